import { z } from 'zod';
import { isValidZone, parseLocalTime } from './time';

/** The clinic's own rules, each stored as one row of `settings` and validated on every change. */
const localTime = z.string().refine((v) => {
  try {
    parseLocalTime(v);
    return v.length === 5;
  } catch {
    return false;
  }
}, 'must be a time like 08:00');

export const settingSchemas = {
  timeZone: z.string().refine(isValidZone, 'must be an IANA time zone such as America/New_York'),
  defaultSlotMinutes: z.number().int().min(5).max(480),
  bookingHorizonDays: z.number().int().min(1).max(365),
  minNoticeMinutes: z.number().int().min(0).max(14 * 24 * 60),
  reminderOffsetsMinutes: z.array(z.number().int().min(5).max(14 * 24 * 60)).max(5),
  quietHours: z.object({ start: localTime, end: localTime }),
  /** Tell doctors on Slack or Teams when a booking is made or cancelled for them. */
  notifyDoctors: z.boolean(),
  /** A morning digest of each doctor's day, at digestTime in their zone. */
  doctorDigest: z.boolean(),
  digestTime: localTime,
  /** Upcoming appointments one patient may hold (front-desk bookings are not counted against it). */
  maxUpcomingPerPatient: z.number().int().min(1).max(50),
  /** Appointments one patient may hold with the same doctor on one day. */
  maxPerDoctorPerDayPerPatient: z.number().int().min(1).max(10),
  /** New numbers that may register by text in an hour, across the clinic. */
  registrationsPerHour: z.number().int().min(1).max(100_000),
  /** New numbers that may register in a day from one number block (the number less its last four digits). */
  registrationsPerPrefixPerDay: z.number().int().min(1).max(10_000),
  /** How long a time the bot asks a patient to confirm is kept for them alone. */
  holdMinutes: z.number().int().min(1).max(30),
  /** How long a patient on the waitlist has to take a freed time they are offered. */
  waitlistOfferMinutes: z.number().int().min(5).max(120),
  /** Admins are alerted when this many bookings in an hour come from numbers registered that day (0: never). */
  newNumberBookingAlert: z.number().int().min(0).max(100_000),
} as const;

export type SettingKey = keyof typeof settingSchemas;
export const SETTING_KEYS = Object.keys(settingSchemas) as SettingKey[];

export type ClinicSettings = { [K in SettingKey]: z.infer<(typeof settingSchemas)[K]> };

export function defaultSettings(timeZone: string): ClinicSettings {
  return {
    timeZone,
    defaultSlotMinutes: 30,
    bookingHorizonDays: 60,
    minNoticeMinutes: 60,
    reminderOffsetsMinutes: [24 * 60, 120],
    quietHours: { start: '21:00', end: '08:00' },
    notifyDoctors: true,
    doctorDigest: false,
    digestTime: '07:30',
    maxUpcomingPerPatient: 3,
    maxPerDoctorPerDayPerPatient: 1,
    registrationsPerHour: 30,
    registrationsPerPrefixPerDay: 5,
    newNumberBookingAlert: 10,
    holdMinutes: 5,
    waitlistOfferMinutes: 15,
  };
}

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(settingSchemas, key);
}
