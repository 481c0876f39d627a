import type { WeeklyRule } from '../../src/domain/slots';
import { formatLocalTime } from '../../src/domain/time';

/**
 * Weekly hours as a doctor types them: 'Mon-Fri 9-17', 'Mon 9-12, Wed 13:30-17',
 * 'weekdays 9am-5pm', 'Tue & Thu 8-12'. Null when any part cannot be read.
 */
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function dayIndex(word: string): number | null {
  const i = DAYS.indexOf(word.slice(0, 3));
  return i >= 0 ? i + 1 : null;
}

function readDays(text: string): number[] | null {
  const t = text.trim();
  if (/^(weekdays?|mon(day)?\s*-\s*fri(day)?)$/.test(t)) return [1, 2, 3, 4, 5];
  if (/^(every ?day|daily|all week)$/.test(t)) return [1, 2, 3, 4, 5, 6, 7];
  if (/^weekends?$/.test(t)) return [6, 7];
  const range = /^([a-z]+)\s*(?:-|to)\s*([a-z]+)$/.exec(t);
  if (range) {
    const a = dayIndex(range[1]);
    const b = dayIndex(range[2]);
    if (!a || !b || b < a) return null;
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const list = t.split(/\s*(?:\/|&|\band\b|\s)\s*/).filter(Boolean).map(dayIndex);
  return list.length && list.every((d) => d !== null) ? (list as number[]) : null;
}

function readClock(text: string, pmHint: boolean): number | null {
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(text.trim());
  if (!m) return null;
  let h = Number(m[1]);
  const min = m[2] ? Number(m[2]) : 0;
  if (h > 24 || min > 59) return null;
  if (m[3] === 'pm' && h < 12) h += 12;
  if (m[3] === 'am' && h === 12) h = 0;
  if (!m[3] && pmHint && h < 12) h += 12;
  return h * 60 + min;
}

function readSpan(text: string): { start: number; end: number } | null {
  const m = /^(.+?)\s*(?:-|to|until)\s*(.+)$/.exec(text.trim());
  if (!m) return null;
  const start = readClock(m[1], false);
  if (start === null) return null;
  let end = readClock(m[2], false);
  // '9-5' means until 5 pm.
  if (end !== null && end <= start && !/am|pm/.test(m[2])) end = readClock(m[2], true);
  if (end === null || end <= start || end > 24 * 60) return null;
  return { start, end: Math.min(end, 23 * 60 + 59) };
}

export function readWeeklyHours(text: string): WeeklyRule[] | null {
  const parts = text.toLowerCase().replace(/^(hours|set hours|my hours)\s*:?\s*/, '').split(/\s*[,;]\s*|\s+and\s+(?=[a-z])/).filter(Boolean);
  if (parts.length === 0) return null;
  const rules: WeeklyRule[] = [];
  for (const part of parts) {
    const m = /^([a-z][a-z\s/&-]*?)\s+(\d.*)$/.exec(part.trim());
    if (!m) return null;
    const days = readDays(m[1]);
    const span = readSpan(m[2]);
    if (!days || !span) return null;
    for (const weekday of days) rules.push({ weekday, start: formatLocalTime(span.start), end: formatLocalTime(span.end) });
  }
  return rules;
}

const SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** 'Mon-Fri 09:00-17:00; Sat 09:00-12:00' */
export function describeWeeklyHours(rules: WeeklyRule[]): string {
  if (rules.length === 0) return 'no weekly hours';
  const bySpan = new Map<string, number[]>();
  for (const r of rules) bySpan.set(`${r.start}-${r.end}`, [...(bySpan.get(`${r.start}-${r.end}`) ?? []), r.weekday]);
  return [...bySpan.entries()]
    .map(([span, days]) => {
      const sorted = [...new Set(days)].sort();
      const consecutive = sorted.every((d, i) => i === 0 || d === sorted[i - 1] + 1);
      const label = sorted.length > 2 && consecutive ? `${SHORT[sorted[0] - 1]}-${SHORT[sorted[sorted.length - 1] - 1]}` : sorted.map((d) => SHORT[d - 1]).join(', ');
      return `${label} ${span}`;
    })
    .join('; ');
}
