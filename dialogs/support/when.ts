import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';

/**
 * What a person means by 'tomorrow afternoon', 'next Tue 3pm', 'Dec 5', 'after 5' or
 * 'Dec 20 to Jan 2', read in their own zone. Calendar words go to chrono-node; parts of the day
 * and 'after/before N' are ours, because chrono reads 'after 5' as nothing and 'morning' as 06:00.
 */
export interface When {
  /** Local dates, inclusive. */
  fromDate: string;
  toDate: string;
  /** Minutes after local midnight: only times inside [start, end) suit. */
  window: { start: number; end: number } | null;
  /** A precise time asked for, in minutes after midnight ('3pm'). */
  exact: number | null;
  /** Whether the text named a day at all; without one, the next days are searched. */
  namedDay: boolean;
}

const PARTS: Record<string, { start: number; end: number }> = {
  morning: { start: 0, end: 12 * 60 },
  noon: { start: 11 * 60, end: 14 * 60 },
  lunchtime: { start: 11 * 60, end: 14 * 60 },
  afternoon: { start: 12 * 60, end: 17 * 60 },
  evening: { start: 17 * 60, end: 24 * 60 },
  tonight: { start: 17 * 60, end: 24 * 60 },
};

/** 'after 5' means 5 pm at a clinic: bare hours 1 to 7 are read as afternoon or evening. */
function hourOf(h: string, m: string | undefined, meridiem: string | undefined): number | null {
  let hour = Number(h);
  const minute = m ? Number(m) : 0;
  if (hour > 23 || minute > 59) return null;
  if (meridiem === 'pm' && hour < 12) hour += 12;
  else if (meridiem === 'am' && hour === 12) hour = 0;
  else if (!meridiem && hour >= 1 && hour <= 7) hour += 12;
  return hour * 60 + minute;
}

export function readWhen(text: string, zone: string, now: number, searchDays = 14): When | null {
  const lower = text.toLowerCase().replace(/\s+/g, ' ').trim();
  if (!lower) return null;
  let window: When['window'] = null;
  let rest = lower;

  const bound = /\b(after|before|from) (\d{1,2})(?::(\d{2}))? ?(am|pm)?\b/.exec(rest);
  if (bound) {
    const minutes = hourOf(bound[2], bound[3], bound[4]);
    if (minutes === null) return null;
    window = bound[1] === 'before' ? { start: 0, end: minutes } : { start: minutes, end: 24 * 60 };
    rest = rest.replace(bound[0], ' ');
  }
  for (const [word, span] of Object.entries(PARTS)) {
    if (new RegExp(`\\b${word}\\b`).test(rest)) {
      window = span;
      rest = rest.replace(new RegExp(`\\b${word}\\b`), ' ');
      break;
    }
  }

  const local = DateTime.fromMillis(now, { zone });
  // chrono works in the process's own zone: give it a reference whose local fields are the
  // person's wall clock, then rebuild what it found in their zone.
  const reference = new Date(local.year, local.month - 1, local.day, local.hour, local.minute);
  const [found] = chrono.parse(rest.trim(), reference, { forwardDate: true });
  const today = local.toISODate()!;

  if (!found) {
    if (!window) return null;
    return { fromDate: today, toDate: local.plus({ days: searchDays }).toISODate()!, window, exact: null, namedDay: false };
  }

  const dateOf = (c: chrono.ParsedComponents) =>
    DateTime.fromObject({ year: c.get('year')!, month: c.get('month')!, day: c.get('day')! }, { zone });
  const start = dateOf(found.start);
  if (!start.isValid) return null;
  const namedDay = found.start.isCertain('day') || found.start.isCertain('weekday');
  const hasTime = found.start.isCertain('hour');
  const startMinutes = hasTime ? found.start.get('hour')! * 60 + (found.start.get('minute') ?? 0) : null;

  let toDate = namedDay ? start.toISODate()! : start.plus({ days: searchDays }).toISODate()!;
  let exact: number | null = null;
  if (found.end) {
    const end = dateOf(found.end);
    if (!end.isValid || end < start) return null;
    if (found.end.isCertain('hour') && startMinutes !== null && end.hasSame(start, 'day')) {
      // 'Friday 2-5pm': one day, a window of hours.
      window = { start: startMinutes, end: found.end.get('hour')! * 60 + (found.end.get('minute') ?? 0) };
    } else {
      toDate = end.toISODate()!;
    }
  } else if (startMinutes !== null && !window) {
    exact = startMinutes;
  }
  const fromDate = start.toISODate()! < today ? today : start.toISODate()!;
  return { fromDate, toDate, window, exact, namedDay: namedDay || !!found.end };
}

/** The instants a When covers, in the zone: [start of fromDate, end of toDate). */
export function whenToRange(when: When, zone: string): { from: Date; to: Date } {
  const from = DateTime.fromISO(when.fromDate, { zone }).startOf('day');
  const to = DateTime.fromISO(when.toDate, { zone }).plus({ days: 1 }).startOf('day');
  return { from: from.toJSDate(), to: to.toJSDate() };
}

/** Whether an instant suits the When's window of hours (in the zone). */
export function fitsWindow(when: When, instant: number, zone: string): boolean {
  if (!when.window) return true;
  const dt = DateTime.fromMillis(instant, { zone });
  const minutes = dt.hour * 60 + dt.minute;
  return minutes >= when.window.start && minutes < when.window.end;
}
