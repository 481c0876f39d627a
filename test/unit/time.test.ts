import { DateTime } from 'luxon';
import { localDateOf, localYearOf, zoneOffsetMinutes } from '../../src/domain/time';

/**
 * The remembered offsets must agree with luxon (Intl) minute by minute, where they could go wrong:
 * the hours around DST changes, in zones an hour, half an hour and three quarters off UTC.
 */
const ZONES = ['America/New_York', 'Europe/Madrid', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns', 'Asia/Kolkata', 'America/Santiago'];

function transitions(zone: string, year: number): number[] {
  // Every instant in the year where the offset differs from an hour before.
  const out: number[] = [];
  let t = DateTime.fromObject({ year }, { zone: 'UTC' }).toMillis();
  const end = DateTime.fromObject({ year: year + 1 }, { zone: 'UTC' }).toMillis();
  let prev = DateTime.fromMillis(t, { zone }).offset;
  for (; t < end; t += 3_600_000) {
    const o = DateTime.fromMillis(t, { zone }).offset;
    if (o !== prev) out.push(t);
    prev = o;
  }
  return out;
}

test.each(ZONES)('offsets and local dates in %s agree with luxon, minute by minute around each change of 2026 and 2027', (zone) => {
  const changes = [...transitions(zone, 2026), ...transitions(zone, 2027)];
  if (zone !== 'Asia/Kolkata' && zone !== 'Asia/Kathmandu') expect(changes.length).toBeGreaterThan(0);
  const around = changes.length ? changes : [Date.UTC(2026, 11, 31, 18, 0)];
  let checked = 0;
  for (const c of around) {
    for (let t = c - 3 * 3_600_000; t <= c + 3 * 3_600_000; t += 60_000) {
      const dt = DateTime.fromMillis(t, { zone });
      expect(zoneOffsetMinutes(t, zone)).toBe(dt.offset);
      expect(localDateOf(t, zone)).toBe(dt.toISODate());
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(300);
});

test('the year turns at local midnight, not UTC midnight', () => {
  const newYearInTokyo = DateTime.fromISO('2027-01-01T00:00', { zone: 'Asia/Tokyo' }).toMillis();
  expect(localYearOf(newYearInTokyo, 'Asia/Tokyo')).toBe(2027);
  expect(localYearOf(newYearInTokyo - 60_000, 'Asia/Tokyo')).toBe(2026);
  expect(localYearOf(newYearInTokyo, 'America/New_York')).toBe(2026);
});

test('an unknown zone is an error, not a silent UTC', () => {
  expect(() => zoneOffsetMinutes(Date.now(), 'Mars/Olympus')).toThrow(RangeError);
});
