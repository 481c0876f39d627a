import { DateTime } from 'luxon';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { ValidationError } from './errors';
import { isIsoDate, isValidZone } from './time';

/** Rules for a patient's own details, shared by registration and profile changes. */

export function normalizePhone(input: string, defaultCountry: CountryCode = 'US'): string {
  const phone = parsePhoneNumberFromString(String(input ?? '').trim(), defaultCountry);
  // isPossible, not isValid: fictional demo numbers (555) must work, and Twilio has already proven the number.
  if (!phone || !phone.isPossible()) throw new ValidationError('That does not look like a phone number.', 'phone');
  return phone.number;
}

export function validateFullName(input: string): string {
  const name = String(input ?? '').replace(/[\p{C}]/gu, '').replace(/\s+/g, ' ').trim();
  if (name.length < 1 || name.length > 120 || !/\p{L}/u.test(name)) {
    throw new ValidationError('Please give your name in letters (up to 120).', 'fullName');
  }
  return name;
}

/** A real date, not in the future, not before 1900. */
export function validateDateOfBirth(input: string, now: number): string {
  if (!isIsoDate(input)) throw new ValidationError('Please give a real date of birth.', 'dateOfBirth');
  const today = DateTime.fromMillis(now, { zone: 'UTC' }).toISODate()!;
  if (input > today || input < '1900-01-01') throw new ValidationError('Please give a real date of birth.', 'dateOfBirth');
  return input;
}

export function validateTimeZone(input: string): string {
  if (!isValidZone(input)) throw new ValidationError('That is not a time zone I know (try America/New_York).', 'timeZone');
  return input;
}

/** First name only: what reminders and greetings use, so texts carry as little as possible. */
export function firstName(fullName: string): string {
  return fullName.trim().split(/\s+/)[0] ?? '';
}

/** A language code as the catalogs name them ('en', 'es', 'pt-BR'). */
export function validateLocale(input: string): string {
  const code = String(input ?? '').trim();
  if (!/^[a-z]{2}(-[A-Z]{2})?$/.test(code)) throw new ValidationError('That is not a language code.', 'locale');
  return code;
}
