import { DateTime } from 'luxon';
import { inQuietHours, planReminders } from '../../src/domain/reminders';

const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toMillis();
const local = (ms: number) => DateTime.fromMillis(ms, { zone: NY }).toFormat('yyyy-MM-dd HH:mm');
const quiet = { start: '21:00', end: '08:00' };
const plan = (startsAt: string, opts: { bookedAt?: string; now?: string; offsets?: number[] } = {}) =>
  planReminders({
    startsAt: ny(startsAt),
    bookedAt: ny(opts.bookedAt ?? '2026-11-20T10:00'),
    now: ny(opts.now ?? opts.bookedAt ?? '2026-11-20T10:00'),
    offsetsMinutes: opts.offsets ?? [1440, 120],
    zone: NY,
    quiet,
  }).map((p) => [p.offsetMinutes, local(p.sendAt)]);

describe('planning reminders', () => {
  it('sends 24 h and 2 h before an afternoon appointment', () => {
    expect(plan('2026-12-02T14:00')).toEqual([
      [1440, '2026-12-01 14:00'],
      [120, '2026-12-02 12:00'],
    ]);
  });

  it('moves a reminder that falls in quiet hours to just before they begin', () => {
    // 2 h before 09:00 is 07:00, inside 21:00-08:00: sent the evening before at 20:45.
    expect(plan('2026-12-02T09:00')).toEqual([
      [1440, '2026-12-01 09:00'],
      [120, '2026-12-01 20:45'],
    ]);
  });

  it('sends when quiet hours end if the evening before has already passed', () => {
    // Booked at 22:00 for 09:30: the 2 h reminder (07:30) cannot go earlier, so 08:00.
    expect(plan('2026-12-02T09:30', { bookedAt: '2026-12-01T22:00' })).toEqual([[120, '2026-12-02 08:00']]);
  });

  it('does not send a reminder that was already due when the appointment was booked', () => {
    expect(plan('2026-12-02T14:00', { bookedAt: '2026-12-02T12:30' })).toEqual([]);
    // Booked three hours ahead: the 2 h reminder is still to come.
    expect(plan('2026-12-02T14:00', { bookedAt: '2026-12-02T11:00' })).toEqual([[120, '2026-12-02 12:00']]);
    expect(plan('2026-12-02T14:00', { bookedAt: '2026-12-01T20:00' })).toEqual([[120, '2026-12-02 12:00']]);
  });

  it('sends a reminder missed while the service was down, at once or after quiet hours', () => {
    // Both were missed: one text now, not two.
    expect(plan('2026-12-02T14:00', { now: '2026-12-02T12:30' })).toEqual([[120, '2026-12-02 12:30']]);
    expect(plan('2026-12-02T10:00', { bookedAt: '2026-11-20T10:00', now: '2026-12-01T23:00', offsets: [120] })).toEqual([[120, '2026-12-02 08:00']]);
  });

  it('never plans the same time twice, nor a time after the appointment starts', () => {
    // 07:10 and 07:40 are both quiet: both move to 20:45 the evening before, and one is sent.
    expect(plan('2026-12-02T08:10', { offsets: [60, 30] })).toEqual([[30, '2026-12-01 20:45']]);
    expect(plan('2026-12-02T08:30', { offsets: [60, 30] })).toEqual([
      [60, '2026-12-01 20:45'],
      [30, '2026-12-02 08:00'],
    ]);
    expect(plan('2026-12-02T14:00', { now: '2026-12-02T13:59', offsets: [1] })).toEqual([[1, '2026-12-02 13:59']]);
  });

  it('keeps quiet hours across a daylight-saving change', () => {
    // 8 March 2026: clocks jump from 02:00 to 03:00, so that day has 23 hours. Offsets are real
    // elapsed time: 24 h before 09:00 EDT is 08:00 EST the day before. 2 h before is 07:00, quiet.
    expect(plan('2026-03-08T09:00', { bookedAt: '2026-03-01T10:00' })).toEqual([
      [1440, '2026-03-07 08:00'],
      [120, '2026-03-07 20:45'],
    ]);
    expect(inQuietHours(ny('2026-11-01T01:30'), NY, quiet)).toBe(true);
    expect(inQuietHours(ny('2026-11-01T08:00'), NY, quiet)).toBe(false);
  });
});
