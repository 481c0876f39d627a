import { DateTime } from 'luxon';
import { localToEpochMs, parseLocalTime } from './time';

/**
 * The slot engine: pure functions, every instant in epoch milliseconds, the zone always explicit.
 *
 * Weekly hours are wall-clock times in the doctor's zone; each day's window is turned into two
 * instants and slots are stepped in real (absolute) time from the window's start. So on a
 * spring-forward day no slot starts inside the skipped hour (those local times name no instant),
 * and on a fall-back day the repeated hour gives distinct instants, never the same slot twice.
 */

/** ISO weekday: 1 = Monday ... 7 = Sunday (luxon's convention). Times are 'HH:mm' local to the doctor. */
export interface WeeklyRule {
  weekday: number;
  start: string;
  end: string;
  /** Inclusive local dates 'YYYY-MM-DD'; null means open-ended. */
  validFrom?: string | null;
  validTo?: string | null;
}

export interface Interval {
  start: number;
  end: number;
}

export type Slot = Interval;

export interface SlotQuery {
  zone: string;
  rules: readonly WeeklyRule[];
  slotMinutes: number;
  /** Booked appointments and time off: anything that overlaps a slot removes it. */
  busy: readonly Interval[];
  from: number;
  to: number;
  now: number;
  minNoticeMinutes: number;
  horizonDays: number;
  /** Stop after this many slots (search results only need the next few). */
  limit?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Working windows of each local day between two instants, as absolute intervals, sorted and merged. */
export function workingWindows(
  rules: readonly WeeklyRule[],
  zone: string,
  from: number,
  to: number,
): Interval[] {
  if (from >= to || rules.length === 0) return [];
  const parsed = rules.map((r) => ({
    weekday: r.weekday,
    start: parseLocalTime(r.start),
    end: parseLocalTime(r.end),
    validFrom: r.validFrom ?? null,
    validTo: r.validTo ?? null,
  }));
  const windows: Interval[] = [];
  // Local calendar dates are walked as plain dates (no zone needed to count days); only the
  // wall-clock -> instant step uses the zone.
  const firstDate = DateTime.fromMillis(from, { zone }).toISODate()!;
  const lastDate = DateTime.fromMillis(to, { zone }).toISODate()!;
  const last = Date.parse(`${lastDate}T00:00:00Z`);
  for (let d = Date.parse(`${firstDate}T00:00:00Z`); d <= last; d += DAY) {
    const date = new Date(d).toISOString().slice(0, 10);
    const weekday = ((new Date(d).getUTCDay() + 6) % 7) + 1;
    for (const r of parsed) {
      if (r.weekday !== weekday) continue;
      if (r.validFrom && date < r.validFrom) continue;
      if (r.validTo && date > r.validTo) continue;
      const start = localToEpochMs(date, r.start, zone);
      const end = localToEpochMs(date, r.end, zone);
      if (end > start && end > from && start < to) windows.push({ start, end });
    }
  }
  return mergeIntervals(windows);
}

/** Sorts and joins overlapping or touching intervals. Does not modify its input. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** Ordered free slots: weekly hours, minus busy time, minus the past and the notice, up to the horizon. */
export function freeSlots(q: SlotQuery): Slot[] {
  if (!(q.slotMinutes > 0)) throw new RangeError('slotMinutes must be positive');
  const earliest = Math.max(q.from, q.now + q.minNoticeMinutes * MINUTE);
  const latest = Math.min(q.to, q.now + q.horizonDays * DAY);
  if (earliest >= latest) return [];

  const slotMs = q.slotMinutes * MINUTE;
  // Windows are fetched from one slot earlier so that a slot which started before `from` is still
  // aligned to its window; it is filtered out below by `earliest`.
  const windows = workingWindows(q.rules, q.zone, earliest - slotMs, latest);
  const busy = mergeIntervals(q.busy);
  const limit = q.limit ?? Number.POSITIVE_INFINITY;

  const slots: Slot[] = [];
  let b = 0;
  for (const w of windows) {
    for (let t = w.start; t + slotMs <= w.end; t += slotMs) {
      if (t < earliest) continue;
      if (t >= latest) return slots;
      while (b < busy.length && busy[b].end <= t) b++;
      if (b < busy.length && busy[b].start < t + slotMs) continue;
      slots.push({ start: t, end: t + slotMs });
      if (slots.length >= limit) return slots;
    }
  }
  return slots;
}

/** Whether `start` is itself a free slot (the exact instant, aligned to the doctor's hours). */
export function isFreeSlot(q: Omit<SlotQuery, 'from' | 'to' | 'limit'>, start: number): boolean {
  const [first] = freeSlots({ ...q, from: start, to: start + 1, limit: 1 });
  return first !== undefined && first.start === start;
}

/** Free slots nearest to an instant, earlier or later, for the 'that one was taken' answer. */
export function nearestFreeSlots(
  q: Omit<SlotQuery, 'from' | 'to' | 'limit'>,
  around: number,
  count: number,
  spanDays = 7,
): Slot[] {
  const all = freeSlots({ ...q, from: around - spanDays * DAY, to: around + spanDays * DAY });
  return all
    .filter((s) => s.start !== around)
    .sort((a, b) => Math.abs(a.start - around) - Math.abs(b.start - around) || a.start - b.start)
    .slice(0, count)
    .sort((a, b) => a.start - b.start);
}
