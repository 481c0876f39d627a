import { DateTime } from 'luxon';
import { freeSlots, isFreeSlot, mergeIntervals, nearestFreeSlots, workingWindows, type SlotQuery, type WeeklyRule } from '../../src/domain/slots';

const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7];
const hours = (start: string, end: string, weekdays = ALL_DAYS): WeeklyRule[] => weekdays.map((weekday) => ({ weekday, start, end }));
const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toMillis();
const local = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm ZZ');

/** All free slots of one local day, with no notice or horizon in the way. */
function daySlots(zone: string, date: string, rules: WeeklyRule[], slotMinutes = 30, busy: SlotQuery['busy'] = []) {
  const from = at(`${date}T00:00`, zone);
  const to = DateTime.fromMillis(from, { zone }).plus({ days: 1 }).toMillis();
  return freeSlots({ zone, rules, slotMinutes, busy, from, to, now: from - 86_400_000, minNoticeMinutes: 0, horizonDays: 365 });
}

function expectWellFormed(slots: { start: number; end: number }[]) {
  const starts = slots.map((s) => s.start);
  expect(new Set(starts).size).toBe(starts.length);
  expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  for (let i = 1; i < slots.length; i++) expect(slots[i].start).toBeGreaterThanOrEqual(slots[i - 1].end);
}

describe('slot engine on ordinary days', () => {
  const zone = 'America/New_York';
  const weekdays = hours('09:00', '12:00', [1, 2, 3, 4, 5]);

  it('steps weekly hours into slots of the doctor\'s length, in local time', () => {
    const slots = daySlots(zone, '2026-12-01', weekdays); // a Tuesday
    expect(slots.map((s) => local(s.start, zone))).toEqual([
      '2026-12-01 09:00 -05:00',
      '2026-12-01 09:30 -05:00',
      '2026-12-01 10:00 -05:00',
      '2026-12-01 10:30 -05:00',
      '2026-12-01 11:00 -05:00',
      '2026-12-01 11:30 -05:00',
    ]);
    expect(slots.every((s) => s.end - s.start === 30 * 60_000)).toBe(true);
  });

  it('has nothing on days without hours', () => {
    expect(daySlots(zone, '2026-12-06', weekdays)).toEqual([]); // Sunday
  });

  it('drops a slot a leftover piece does not fit (a 45-minute length in a 3-hour morning)', () => {
    expect(daySlots(zone, '2026-12-01', weekdays, 45).map((s) => local(s.start, zone).slice(11, 16))).toEqual([
      '09:00',
      '09:45',
      '10:30',
      '11:15',
    ]);
  });

  it('removes exactly the slots a booking or time off overlaps', () => {
    const busy = [
      { start: at('2026-12-01T10:15', zone), end: at('2026-12-01T11:00', zone) }, // a longer, misaligned booking
      { start: at('2026-12-01T11:30', zone), end: at('2026-12-01T11:45', zone) },
    ];
    const starts = daySlots(zone, '2026-12-01', weekdays, 30, busy).map((s) => local(s.start, zone).slice(11, 16));
    expect(starts).toEqual(['09:00', '09:30', '11:00']);
  });

  it('treats a busy interval that ends as a slot starts as no clash', () => {
    const busy = [{ start: at('2026-12-01T08:00', zone), end: at('2026-12-01T09:00', zone) }];
    expect(daySlots(zone, '2026-12-01', weekdays, 30, busy)[0].start).toBe(at('2026-12-01T09:00', zone));
  });

  it('leaves out the past and the minimum notice, and stops at the horizon', () => {
    const now = at('2026-12-01T10:10', zone);
    const slots = freeSlots({ zone, rules: weekdays, slotMinutes: 30, busy: [], from: now - 86_400_000, to: now + 30 * 86_400_000, now, minNoticeMinutes: 60, horizonDays: 2 });
    expect(local(slots[0].start, zone)).toBe('2026-12-01 11:30 -05:00');
    expect(slots[slots.length - 1].start).toBeLessThan(now + 2 * 86_400_000);
    // The horizon ends at 10:10 two days on: the 10:00 slot starts inside it, 10:30 does not.
    expect(local(slots[slots.length - 1].start, zone)).toBe('2026-12-03 10:00 -05:00');
  });

  it('honours valid-from and valid-to dates of weekly hours', () => {
    const rules: WeeklyRule[] = [{ weekday: 2, start: '09:00', end: '10:00', validFrom: '2026-12-08', validTo: '2026-12-15' }];
    expect(daySlots(zone, '2026-12-01', rules)).toEqual([]);
    expect(daySlots(zone, '2026-12-08', rules)).toHaveLength(2);
    expect(daySlots(zone, '2026-12-15', rules)).toHaveLength(2);
    expect(daySlots(zone, '2026-12-22', rules)).toEqual([]);
  });

  it('merges overlapping weekly hours instead of offering a slot twice', () => {
    const rules = [...hours('09:00', '11:00', [2]), ...hours('10:00', '12:00', [2])];
    const slots = daySlots(zone, '2026-12-01', rules);
    expectWellFormed(slots);
    expect(slots).toHaveLength(6);
  });

  it('stops at the limit', () => {
    expect(daySlots(zone, '2026-12-01', weekdays).length).toBe(6);
    const from = at('2026-12-01T00:00', zone);
    expect(freeSlots({ zone, rules: weekdays, slotMinutes: 30, busy: [], from, to: from + 7 * 86_400_000, now: from, minNoticeMinutes: 0, horizonDays: 30, limit: 3 })).toHaveLength(3);
  });

  it('says whether an instant is itself a free slot', () => {
    const q = { zone, rules: weekdays, slotMinutes: 30, busy: [], now: at('2026-11-30T00:00', zone), minNoticeMinutes: 0, horizonDays: 30 };
    expect(isFreeSlot(q, at('2026-12-01T09:30', zone))).toBe(true);
    expect(isFreeSlot(q, at('2026-12-01T09:15', zone))).toBe(false); // not aligned
    expect(isFreeSlot(q, at('2026-12-01T12:00', zone))).toBe(false); // after hours
    expect(isFreeSlot({ ...q, busy: [{ start: at('2026-12-01T09:30', zone), end: at('2026-12-01T10:00', zone) }] }, at('2026-12-01T09:30', zone))).toBe(false);
  });

  it('offers the nearest free slots around a taken one, in time order', () => {
    const q = { zone, rules: weekdays, slotMinutes: 30, now: at('2026-11-30T00:00', zone), minNoticeMinutes: 0, horizonDays: 30 };
    const busy = [{ start: at('2026-12-01T10:00', zone), end: at('2026-12-01T10:30', zone) }];
    const near = nearestFreeSlots({ ...q, busy }, at('2026-12-01T10:00', zone), 3);
    // 09:30 and 10:30 are nearest; 09:00 and 11:00 tie, and the earlier one wins.
    expect(near.map((s) => local(s.start, zone).slice(11, 16))).toEqual(['09:00', '09:30', '10:30']);
  });

  it('merges intervals without touching its input', () => {
    const input = [{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 2, end: 4 }];
    expect(mergeIntervals(input)).toEqual([{ start: 1, end: 4 }, { start: 5, end: 7 }]);
    expect(input[0]).toEqual({ start: 5, end: 7 });
  });
});

describe('slot engine on daylight-saving change days', () => {
  const cases = [
    { zone: 'America/New_York', date: '2026-03-08', kind: 'spring', gap: ['02:00', '03:00'] },
    { zone: 'Europe/London', date: '2026-03-29', kind: 'spring', gap: ['01:00', '02:00'] },
    { zone: 'America/New_York', date: '2026-11-01', kind: 'autumn', gap: null },
    { zone: 'Europe/London', date: '2026-10-25', kind: 'autumn', gap: null },
  ] as const;

  it.each(cases)('$zone $date ($kind): a 09:00-17:00 day has its 16 slots at the right local times', ({ zone, date }) => {
    const slots = daySlots(zone, date, hours('09:00', '17:00'));
    expectWellFormed(slots);
    expect(slots).toHaveLength(16);
    expect(DateTime.fromMillis(slots[0].start, { zone }).toFormat('HH:mm')).toBe('09:00');
    expect(DateTime.fromMillis(slots[15].end, { zone }).toFormat('HH:mm')).toBe('17:00');
  });

  it.each(cases.filter((c) => c.kind === 'spring'))(
    '$zone $date: hours across the skipped hour lose it, and no slot starts inside it',
    ({ zone, date, gap }) => {
      const slots = daySlots(zone, date, hours('00:00', '05:00'));
      expectWellFormed(slots);
      // Five wall-clock hours hold only four real ones today.
      expect(slots).toHaveLength(8);
      const times = slots.map((s) => DateTime.fromMillis(s.start, { zone }).toFormat('HH:mm'));
      expect(times.filter((t) => t >= gap![0] && t < gap![1])).toEqual([]);
      expect(times).toContain(gap![1]);
      // Every slot lasts its full half hour of real time.
      expect(slots.every((s) => s.end - s.start === 30 * 60_000)).toBe(true);
    },
  );

  it('New York spring day: hours that begin inside the skipped hour start when the clock resumes', () => {
    const zone = 'America/New_York';
    const slots = daySlots(zone, '2026-03-08', hours('02:30', '04:30'));
    const times = slots.map((s) => local(s.start, zone));
    expect(times.every((t) => t.slice(11, 13) !== '02')).toBe(true);
    expect(times[times.length - 1]).toBe('2026-03-08 04:00 -04:00');
  });

  it.each(cases.filter((c) => c.kind === 'autumn'))(
    '$zone $date: the repeated hour gives distinct slots, none doubled',
    ({ zone, date }) => {
      const slots = daySlots(zone, date, hours('00:00', '03:00'));
      expectWellFormed(slots);
      // Three wall-clock hours hold four real ones today; each instant appears once.
      expect(slots).toHaveLength(8);
      const labels = slots.map((s) => local(s.start, zone));
      expect(new Set(labels).size).toBe(labels.length);
    },
  );

  it('a week across the New York spring change keeps every weekday at 16 slots from 09:00 local', () => {
    const zone = 'America/New_York';
    const from = at('2026-03-02T00:00', zone);
    const to = at('2026-03-14T00:00', zone);
    const slots = freeSlots({ zone, rules: hours('09:00', '17:00', [1, 2, 3, 4, 5]), slotMinutes: 30, busy: [], from, to, now: from - 1, minNoticeMinutes: 0, horizonDays: 365 });
    const byDay = new Map<string, string[]>();
    for (const s of slots) {
      const dt = DateTime.fromMillis(s.start, { zone });
      byDay.set(dt.toISODate()!, [...(byDay.get(dt.toISODate()!) ?? []), dt.toFormat('HH:mm')]);
    }
    expect(byDay.size).toBe(10);
    for (const times of byDay.values()) {
      expect(times).toHaveLength(16);
      expect(times[0]).toBe('09:00');
    }
    // 09:00 is 14:00Z before the change and 13:00Z after it.
    expect(new Date(slots[0].start).toISOString()).toBe('2026-03-02T14:00:00.000Z');
    expect(new Date(slots[slots.length - 16].start).toISOString()).toBe('2026-03-13T13:00:00.000Z');
  });

  it('working windows follow the doctor\'s zone, not the server\'s', () => {
    const ny = workingWindows(hours('09:00', '10:00', [2]), 'America/New_York', at('2026-12-01T00:00', 'UTC'), at('2026-12-02T00:00', 'UTC'));
    const london = workingWindows(hours('09:00', '10:00', [2]), 'Europe/London', at('2026-12-01T00:00', 'UTC'), at('2026-12-02T00:00', 'UTC'));
    expect(new Date(ny[0].start).toISOString()).toBe('2026-12-01T14:00:00.000Z');
    expect(new Date(london[0].start).toISOString()).toBe('2026-12-01T09:00:00.000Z');
  });
});
