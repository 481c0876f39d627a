import { createMemo } from './memo';
import { localDateOf, localToEpochMs, parseLocalTime } from './time';

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
  /** Where the doctor works in these hours; null for a one-site clinic that names no locations. */
  locationId?: string | null;
  /** The location's zone, when it has one: hours are wall-clock times where the doctor works. */
  zone?: string | null;
}

export interface Interval {
  start: number;
  end: number;
}

export interface Slot extends Interval {
  locationId?: string | null;
}

/** A working window: hours at one location, as absolute instants. */
export interface Window extends Interval {
  locationId: string | null;
}

export interface SlotQuery {
  zone: string;
  rules: readonly WeeklyRule[];
  /** The visit's length. */
  slotMinutes: number;
  /** Start times lie on this grid from the start of each window; the visit's length when absent. */
  gridMinutes?: number;
  /** Time blocked before and after the visit (cleaning, notes): never offered, never overlapping anything busy. */
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  /** Only hours at this location. */
  locationId?: string | null;
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

/**
 * Working windows of each local day between two instants, as absolute intervals: merged within a
 * location, sorted, and never overlapping across locations (a doctor is in one place at a time; the
 * service refuses such hours, and here the earlier window wins should old data hold them).
 */
export function workingWindows(
  rules: readonly WeeklyRule[],
  zone: string,
  from: number,
  to: number,
  onlyLocation?: string | null,
): Window[] {
  if (from >= to || rules.length === 0) return [];
  const groups = new Map<string, { locationId: string | null; zone: string; rules: WeeklyRule[] }>();
  for (const r of rules) {
    const locationId = r.locationId ?? null;
    if (onlyLocation != null && locationId !== onlyLocation) continue;
    const z = r.zone || zone;
    const key = `${locationId}|${z}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { locationId, zone: z, rules: [] }));
    g.rules.push(r);
  }
  const all: Window[] = [];
  for (const g of groups.values()) {
    for (const w of mergeIntervals(zoneWindows(g.rules, g.zone, from, to))) all.push({ ...w, locationId: g.locationId });
  }
  if (groups.size <= 1) return all;
  all.sort((a, b) => a.start - b.start);
  const out: Window[] = [];
  for (const w of all) {
    const last = out[out.length - 1];
    if (last && w.start < last.end) continue;
    out.push(w);
  }
  return out;
}

/**
 * The windows of the local days from `from` to `to`, remembered per set of rules and run of days:
 * everyone asking for a doctor this week walks the same days of the same hours (the walk was the
 * slot engine's largest cost, docs/performance.md). Windows are returned unclipped, as computed;
 * callers filter them.
 */
const dayWindows = createMemo<Interval[]>(5_000);
function zoneWindows(rules: readonly WeeklyRule[], zone: string, from: number, to: number): Interval[] {
  const firstDate = localDateOf(from, zone);
  const lastDate = localDateOf(to, zone);
  let key = `${zone}|${firstDate}|${lastDate}`;
  for (const r of rules) key += `|${r.weekday},${r.start},${r.end},${r.validFrom ?? ''},${r.validTo ?? ''}`;
  return dayWindows(key, () => walkDays(rules, zone, firstDate, lastDate)).filter((w) => w.end > from && w.start < to);
}

function walkDays(rules: readonly WeeklyRule[], zone: string, firstDate: string, lastDate: string): Interval[] {
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
      if (end > start) windows.push({ start, end });
    }
  }
  return windows;
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

/**
 * Ordered free slots: weekly hours, minus busy time, minus the past and the notice, up to the
 * horizon. A slot is the visit itself, which must lie within the hours; its buffers must not touch
 * anything busy but may run past the hours (cleaning after the last visit of the day).
 */
export function freeSlots(q: SlotQuery): Slot[] {
  if (!(q.slotMinutes > 0)) throw new RangeError('slotMinutes must be positive');
  const grid = q.gridMinutes ?? q.slotMinutes;
  if (!(grid > 0)) throw new RangeError('gridMinutes must be positive');
  const earliest = Math.max(q.from, q.now + q.minNoticeMinutes * MINUTE);
  const latest = Math.min(q.to, q.now + q.horizonDays * DAY);
  if (earliest >= latest) return [];

  const slotMs = q.slotMinutes * MINUTE;
  const gridMs = grid * MINUTE;
  const before = (q.bufferBeforeMinutes ?? 0) * MINUTE;
  const after = (q.bufferAfterMinutes ?? 0) * MINUTE;
  // Windows are fetched from one visit earlier so that a slot which started before `from` is still
  // aligned to its window; it is filtered out below by `earliest`.
  const windows = workingWindows(q.rules, q.zone, earliest - slotMs, latest, q.locationId);
  const busy = mergeIntervals(q.busy);
  const limit = q.limit ?? Number.POSITIVE_INFINITY;

  const slots: Slot[] = [];
  let b = 0;
  for (const w of windows) {
    let t = w.start;
    if (t < earliest) t += Math.ceil((earliest - t) / gridMs) * gridMs;
    for (; t + slotMs <= w.end; t += gridMs) {
      if (t >= latest) return slots;
      while (b < busy.length && busy[b].end <= t - before) b++;
      if (b < busy.length && busy[b].start < t + slotMs + after) continue;
      slots.push({ start: t, end: t + slotMs, locationId: w.locationId });
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
