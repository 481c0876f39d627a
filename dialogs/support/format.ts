import { DateTime } from 'luxon';
import { createMemo } from '../../src/domain/memo';
import { localYearOf } from '../../src/domain/time';
import { DEFAULT_LOCALE, formatIn } from '../../src/i18n/catalog';
import type { Reply } from '../types';

/** How times and lists read in a short message, in the reader's language ('Fri 4 Dec, 10:00 AM', 'vie 4 dic, 10:00'). */
type FormatKey = 'format.slot' | 'format.slotYear' | 'format.date' | 'format.dateYear' | 'format.time' | 'format.day';

const localized = (dt: DateTime, key: FormatKey, locale: string) => formatIn(dt, key, locale);

/**
 * An instant's label, remembered: a reply offers the same few times to everyone asking for a
 * doctor, and formatting one (luxon and Intl) cost more than the rest of composing the reply
 * (docs/performance.md). A label depends only on the instant, zone, format and language.
 */
const labels = createMemo<string>(20_000);
function label(ms: number, zone: string, key: FormatKey, locale: string): string {
  return labels(`${key}|${locale}|${zone}|${ms}`, () => localized(DateTime.fromMillis(ms, { zone }), key, locale));
}

/**
 * 'Fri 4 Dec, 10:00 AM'; with the year when it is not this year ('Mon 15 Feb 2027, 10:00 AM'), so a
 * year never changes without the reply saying so.
 */
export function formatSlot(instant: number | Date, zone: string, now?: number, locale = DEFAULT_LOCALE): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const otherYear = now !== undefined && localYearOf(ms, zone) !== localYearOf(now, zone);
  return label(ms, zone, otherYear ? 'format.slotYear' : 'format.slot', locale);
}

/** 'Fri 4 Dec' (with the year when it is not this year). */
export function formatDate(instant: number | Date, zone: string, now?: number, locale = DEFAULT_LOCALE): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const otherYear = now !== undefined && localYearOf(ms, zone) !== localYearOf(now, zone);
  return label(ms, zone, otherYear ? 'format.dateYear' : 'format.date', locale);
}

export function formatTime(instant: number | Date, zone: string, locale = DEFAULT_LOCALE): string {
  return label(typeof instant === 'number' ? instant : instant.getTime(), zone, 'format.time', locale);
}

/** A time of day given in minutes ('3:00 PM', '15:00'). */
export function formatClock(minutes: number, locale = DEFAULT_LOCALE): string {
  return localized(DateTime.fromObject({ hour: Math.floor(minutes / 60), minute: minutes % 60 }), 'format.time', locale);
}

export function formatDay(instant: number | Date, zone: string, locale = DEFAULT_LOCALE): string {
  return localized(DateTime.fromMillis(typeof instant === 'number' ? instant : instant.getTime(), { zone }), 'format.day', locale);
}

export function doctorName(fullName: string): string {
  return `Dr ${fullName}`;
}

/**
 * A reply as plain text, for SMS and the console: numbered choices become lines ('1 Wed 2 Dec,
 * 10:00 AM'); word choices (YES, NO) are already named in the text.
 */
export function renderPlain(reply: Reply): string {
  const lines = [reply.text];
  if (reply.card) lines.push(reply.card.title, ...reply.card.lines);
  for (const c of reply.choices ?? []) if (/^\d+$/.test(c.value)) lines.push(`${c.value} ${c.label}`);
  return lines.join('\n');
}

const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€'.split(''),
);

/** How many SMS segments a text needs (GSM-7: 160, then 153 each; otherwise UCS-2: 70, then 67). */
export function smsSegments(text: string): number {
  const chars = [...text];
  const gsm = chars.every((c) => GSM7.has(c));
  // GSM-7 extension characters take two septets; UCS-2 counts UTF-16 units, so an emoji takes two.
  const length = gsm ? chars.reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0) : text.length;
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / multi);
}
