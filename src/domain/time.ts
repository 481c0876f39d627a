import { DateTime, IANAZone } from 'luxon';
import { createMemo } from './memo';

/** Pure time helpers shared by the slot engine, the services and config. */

export function isValidZone(zone: string): boolean {
  return typeof zone === 'string' && zone.length > 0 && IANAZone.isValidZone(zone);
}

const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** 'HH:mm' (or 'HH:mm:ss' as PostgreSQL prints a time column) -> minutes after local midnight. */
export function parseLocalTime(value: string): number {
  const m = LOCAL_TIME.exec(value.slice(0, 5));
  if (!m || (value.length > 5 && !/^:\d\d$/.test(value.slice(5)))) {
    throw new RangeError(`not a local time of the form HH:mm: ${JSON.stringify(value)}`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

export function formatLocalTime(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** ISO calendar date 'YYYY-MM-DD', validated (no Feb 30). */
export function isIsoDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

/**
 * The instant a wall-clock time names in a zone. A time inside a spring-forward gap does not
 * exist; luxon moves it forward by the gap, which is what a person reading a clock would expect.
 */
export function localToInstant(date: string, minutes: number, zone: string): DateTime {
  const [year, month, day] = date.split('-').map(Number);
  return DateTime.fromObject(
    { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 },
    { zone },
  );
}

/**
 * localToInstant as epoch ms, remembered: zone rules do not change while the process runs, and
 * the conversion (Intl under luxon) is the slot engine's most expensive step on the booking path.
 */
const instants = createMemo<number>(50_000);
export function localToEpochMs(date: string, minutes: number, zone: string): number {
  return instants(`${zone}|${date}|${minutes}`, () => localToInstant(date, minutes, zone).toMillis());
}

/** True when the wall-clock time does not exist in the zone (it falls in a DST gap). */
export function isInDstGap(date: string, minutes: number, zone: string): boolean {
  const dt = localToInstant(date, minutes, zone);
  return dt.hour * 60 + dt.minute !== minutes || dt.toISODate() !== date;
}

/**
 * A zone's UTC offset (minutes) at an instant, remembered per quarter hour: the offset changes of
 * today's zones (DST, and the 30 and 45 minute zones) all fall on a quarter hour, so one quarter
 * hour has one offset (test/unit/time.test.ts checks it minute by minute around transitions). Reading
 * an offset is luxon asking Intl, the most expensive step of formatting a time or walking a
 * doctor's week (docs/performance.md).
 */
const QUARTER_HOUR = 15 * 60_000;
const offsets = createMemo<number>(50_000);
export function zoneOffsetMinutes(ms: number, zone: string): number {
  return offsets(`${zone}|${Math.floor(ms / QUARTER_HOUR)}`, () => {
    const offset = IANAZone.create(zone).offset(ms);
    if (!Number.isFinite(offset)) throw new RangeError(`not a time zone: ${JSON.stringify(zone)}`);
    return offset;
  });
}

/** The wall-clock date and year at an instant in a zone ('YYYY-MM-DD'). */
export function localDateOf(ms: number, zone: string): string {
  return new Date(ms + zoneOffsetMinutes(ms, zone) * 60_000).toISOString().slice(0, 10);
}

export function localYearOf(ms: number, zone: string): number {
  return new Date(ms + zoneOffsetMinutes(ms, zone) * 60_000).getUTCFullYear();
}
