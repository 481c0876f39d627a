import { DateTime } from 'luxon';
import { parseLocalTime } from './time';

/**
 * When each reminder of an appointment goes out: `offset` minutes before it starts, but never in the
 * patient's quiet hours. A time that falls in them moves earlier, to just before they begin; if that
 * has already passed, to when they end, as long as that is still before the appointment; otherwise
 * that reminder is dropped. Pure: the zone and the clock are given.
 */
export interface PlannedReminder {
  offsetMinutes: number;
  sendAt: number;
}

export interface QuietHours {
  start: string;
  end: string;
}

/** Minutes before quiet hours begin that a moved reminder is sent, leaving the queue some slack. */
export const QUIET_MARGIN_MINUTES = 15;

/** Whether an instant falls in the quiet hours of a zone (a window that may cross midnight). */
export function inQuietHours(instant: number, zone: string, quiet: QuietHours): boolean {
  const local = DateTime.fromMillis(instant, { zone });
  const minutes = local.hour * 60 + local.minute;
  const start = parseLocalTime(quiet.start);
  const end = parseLocalTime(quiet.end);
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/** The quiet period containing `instant`, as [start, end) instants. Assumes inQuietHours is true. */
export function quietPeriodAround(instant: number, zone: string, quiet: QuietHours): { start: number; end: number } {
  const local = DateTime.fromMillis(instant, { zone });
  const startMin = parseLocalTime(quiet.start);
  const endMin = parseLocalTime(quiet.end);
  const minutes = local.hour * 60 + local.minute;
  const day = local.startOf('day');
  const at = (d: DateTime, m: number) => d.set({ hour: Math.floor(m / 60), minute: m % 60 }).toMillis();
  if (startMin <= endMin) return { start: at(day, startMin), end: at(day, endMin) };
  // The period crosses midnight: it began yesterday evening if we are in the early morning.
  return minutes < endMin ? { start: at(day.minus({ days: 1 }), startMin), end: at(day, endMin) } : { start: at(day, startMin), end: at(day.plus({ days: 1 }), endMin) };
}

export function planReminders(opts: {
  startsAt: number;
  /** When the appointment was booked: a reminder already due then is not sent (the confirmation was). */
  bookedAt: number;
  offsetsMinutes: readonly number[];
  zone: string;
  quiet: QuietHours;
  now: number;
}): PlannedReminder[] {
  const planned: PlannedReminder[] = [];
  const quietEndIfQuiet = (t: number) => (inQuietHours(t, opts.zone, opts.quiet) ? quietPeriodAround(t, opts.zone, opts.quiet).end : t);
  // Nearest first: when two collapse onto one time (both missed while down, both moved out of the
  // same quiet hours), the one kept is the latest-intended.
  for (const offset of [...new Set(opts.offsetsMinutes)].sort((a, b) => a - b)) {
    let sendAt = opts.startsAt - offset * 60_000;
    if (inQuietHours(sendAt, opts.zone, opts.quiet)) {
      const period = quietPeriodAround(sendAt, opts.zone, opts.quiet);
      const earlier = period.start - QUIET_MARGIN_MINUTES * 60_000;
      sendAt = earlier >= opts.bookedAt ? earlier : period.end;
    }
    if (sendAt < opts.bookedAt) continue;
    // Due while the service was down: send it now, or when the quiet hours end.
    if (sendAt < opts.now) sendAt = quietEndIfQuiet(opts.now);
    if (sendAt >= opts.startsAt) continue;
    // Two offsets squeezed onto one time would be the same text twice.
    if (planned.some((p) => Math.abs(p.sendAt - sendAt) < 60_000)) continue;
    planned.push({ offsetMinutes: offset, sendAt });
  }
  return planned.sort((a, b) => a.sendAt - b.sendAt);
}
