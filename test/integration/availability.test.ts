import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { ValidationError } from '../../src/domain/errors';
import { insertDoctor, insertPatient } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let london: Actor & { doctorId: string };
let newYork: Actor & { doctorId: string };

beforeAll(async () => {
  h = await createHarness('availability', { now: '2026-03-01T12:00:00Z' });
  london = await insertDoctor(h.db, { name: 'Zoë Müller', timeZone: 'Europe/London', hours: [{ weekdays: [7], start: '00:00', end: '03:00' }] });
  newYork = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: 'America/New_York', hours: [{ weekdays: [7], start: '00:00', end: '04:00' }] });
  await h.services.settings.update({ userId: (await h.db.models.User.create({ role: 'admin', email: 'a@b', displayName: 'A' })).id, role: 'admin' }, 'bookingHorizonDays', 365);
});
afterAll(() => h.close());

const localTimes = (slots: { start: number }[], zone: string) => slots.map((s) => DateTime.fromMillis(s.start, { zone }).toFormat('HH:mm ZZ'));

describe('free slots through the database on daylight-saving days', () => {
  it('London spring forward (29 March 2026): the skipped 01:00 hour offers nothing', async () => {
    const zone = 'Europe/London';
    const from = DateTime.fromISO('2026-03-29T00:00', { zone });
    const slots = await h.services.availability.freeSlots(london.doctorId, from.toJSDate(), from.plus({ days: 1 }).toJSDate());
    expect(localTimes(slots, zone)).toEqual(['00:00 +00:00', '00:30 +00:00', '02:00 +01:00', '02:30 +01:00']);
  });

  it('London fall back (25 October 2026): the repeated hour is offered once per real instant', async () => {
    const zone = 'Europe/London';
    const from = DateTime.fromISO('2026-10-25T00:00', { zone });
    const slots = await h.services.availability.freeSlots(london.doctorId, from.toJSDate(), from.plus({ days: 1 }).toJSDate());
    expect(localTimes(slots, zone)).toEqual([
      '00:00 +01:00', '00:30 +01:00', '01:00 +01:00', '01:30 +01:00', '01:00 +00:00', '01:30 +00:00', '02:00 +00:00', '02:30 +00:00',
    ]);
  });

  it('New York spring forward (8 March 2026): no slot starts between 02:00 and 03:00, and a booking there is refused', async () => {
    const zone = 'America/New_York';
    const from = DateTime.fromISO('2026-03-08T00:00', { zone });
    const slots = await h.services.availability.freeSlots(newYork.doctorId, from.toJSDate(), from.plus({ days: 1 }).toJSDate());
    expect(localTimes(slots, zone)).toEqual(['00:00 -05:00', '00:30 -05:00', '01:00 -05:00', '01:30 -05:00', '03:00 -04:00', '03:30 -04:00']);
    const patient = await insertPatient(h.db, { name: 'Pat', phone: '+15550000009', dateOfBirth: '1990-01-01', timeZone: zone });
    // "02:30" on that day does not exist; luxon reads it as 03:30 EDT, which is a real, free slot.
    const gapTime = DateTime.fromObject({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, { zone });
    expect(gapTime.toFormat('HH:mm ZZ')).toBe('03:30 -04:00');
    const booked = await h.services.booking.book(patient, { doctorId: newYork.doctorId, patientId: patient.patientId, startsAt: gapTime.toJSDate(), channel: 'sms' });
    expect(DateTime.fromJSDate(booked.startsAt, { zone }).toFormat('HH:mm ZZ')).toBe('03:30 -04:00');
  });

  it('New York fall back (1 November 2026): five real hours in a four-hour wall-clock window', async () => {
    const zone = 'America/New_York';
    const from = DateTime.fromISO('2026-11-01T00:00', { zone });
    const slots = await h.services.availability.freeSlots(newYork.doctorId, from.toJSDate(), from.plus({ days: 1 }).toJSDate());
    expect(slots).toHaveLength(10);
    expect(new Set(slots.map((s) => s.start)).size).toBe(10);
  });
});

describe('weekly hours and time off', () => {
  it('refuses hours that make no sense, and keeps the old ones', async () => {
    const bad = [
      [{ weekday: 0, start: '09:00', end: '17:00' }],
      [{ weekday: 8, start: '09:00', end: '17:00' }],
      [{ weekday: 1, start: '17:00', end: '09:00' }],
      [{ weekday: 1, start: '25:00', end: '26:00' }],
      [{ weekday: 1, start: '9am', end: '5pm' }],
      [{ weekday: 1, start: '09:00', end: '17:00', validFrom: '2026-02-30' }],
    ];
    for (const rules of bad) {
      await expect(h.services.availability.setWeeklyHours(london, london.doctorId, rules)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await h.services.availability.weeklyHours(london, london.doctorId)).toEqual([{ weekday: 7, start: '00:00', end: '03:00', validFrom: null, validTo: null }]);
  });

  it('replaces weekly hours as a whole, and the free slots follow', async () => {
    await h.services.availability.setWeeklyHours(london, london.doctorId, [{ weekday: 2, start: '14:00', end: '15:00' }]);
    const from = DateTime.fromISO('2026-03-03T00:00', { zone: 'Europe/London' });
    const slots = await h.services.availability.freeSlots(london.doctorId, from.toJSDate(), from.plus({ days: 7 }).toJSDate());
    expect(localTimes(slots, 'Europe/London')).toEqual(['14:00 +00:00', '14:30 +00:00']);
  });

  it('refuses time off that ends before it starts or is already over', async () => {
    const t = (iso: string) => new Date(iso);
    await expect(h.services.availability.addTimeOff(london, london.doctorId, { startsAt: t('2026-03-10T10:00Z'), endsAt: t('2026-03-10T09:00Z') })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.services.availability.addTimeOff(london, london.doctorId, { startsAt: t('2026-02-10T10:00Z'), endsAt: t('2026-02-11T09:00Z') })).rejects.toThrow(/already over/);
    await expect(h.services.availability.addTimeOff(london, london.doctorId, { startsAt: t('invalid'), endsAt: t('2026-03-10T09:00Z') })).rejects.toBeInstanceOf(ValidationError);
    expect(await h.db.models.TimeOff.count()).toBe(0);
  });
});
