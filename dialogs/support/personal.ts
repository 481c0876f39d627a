import { DateTime } from 'luxon';
import { isValidZone } from '../../src/domain/time';

/** Reading a date of birth and a time zone the way people type them. */

const NAMED_FORMATS = ['d MMMM yyyy', 'MMMM d yyyy', 'd MMM yyyy', 'MMM d yyyy'];

/**
 * '04/12/1988', '1988-04-12', '12 April 1988', 'April 12, 1988'. Numeric dates are month first in
 * the Americas and day first elsewhere, unless the first number can only be a day.
 */
export function readDateOfBirth(text: string, zone: string): string | null {
  const t = text.trim().toLowerCase().replace(/,/g, ' ').replace(/(\d)(st|nd|rd|th)\b/g, '$1').replace(/\s+/g, ' ');
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (iso) return build(+iso[1], +iso[2], +iso[3]);
  const num = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(t);
  if (num) {
    let [a, b] = [+num[1], +num[2]];
    let year = +num[3];
    if (num[3].length === 2) year += year > DateTime.now().year % 100 ? 1900 : 2000;
    const monthFirst = zone.startsWith('America/') ? a <= 12 : b > 12;
    if (!monthFirst) [a, b] = [b, a];
    return build(year, a, b);
  }
  for (const format of NAMED_FORMATS) {
    const dt = DateTime.fromFormat(t, format, { locale: 'en' });
    if (dt.isValid) return dt.toISODate();
  }
  return null;
}

function build(year: number, month: number, day: number): string | null {
  const dt = DateTime.fromObject({ year, month, day }, { zone: 'UTC' });
  return dt.isValid ? dt.toISODate() : null;
}

const ALIASES: Record<string, string> = {
  eastern: 'America/New_York',
  et: 'America/New_York',
  est: 'America/New_York',
  central: 'America/Chicago',
  ct: 'America/Chicago',
  mountain: 'America/Denver',
  pacific: 'America/Los_Angeles',
  pt: 'America/Los_Angeles',
  uk: 'Europe/London',
  britain: 'Europe/London',
  gmt: 'Europe/London',
};

/** An IANA name, a city ('london', 'new york') or a common name ('eastern'). */
export function readTimeZone(text: string): string | null {
  const t = text.trim();
  if (t.includes('/') && isValidZone(t)) return t;
  const key = t.toLowerCase().replace(/\s+time$/, '').replace(/[^a-z ]/g, '').trim();
  if (ALIASES[key]) return ALIASES[key];
  const city = key.replace(/ /g, '_');
  if (!city) return null;
  return Intl.supportedValuesOf('timeZone').find((z) => z.toLowerCase().split('/').pop() === city) ?? null;
}
