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
  };
}

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(settingSchemas, key);
}
