import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../../src/domain/actor';
import { BookingLimitError, ForbiddenError, NotFoundError, SlotTakenError } from '../../src/domain/errors';
import { insertDoctor, insertPatient, insertVisitType } from '../../src/db/records';
import { createLogger } from '../../src/logging';
import { createReminderSystem } from '../../src/reminders';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';
import { TEST_REDIS_URL } from '../support/env';

/**
 * Holding the time a patient is asked to confirm: kept from everyone else by the database, given
 * back on NO, on another choice, on leaving, or at expiry, and booked on YES within it.
 */

const NY = 'America/New_York';
let h: Harness;
let chat: Chat;
let doctor: Actor & { doctorId: string };
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const START = '2026-11-30T13:00:00Z';

let seq = 0;
async function patient() {
  const phone = `+1555060${String(seq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name: `Hal Holder${seq}`, phone, dateOfBirth: '1980-01-01', timeZone: NY })), phone };
}
const held = () =>
  h.db.sequelize.query<{ patient_id: string; starts_at: Date; hold_expires_at: Date }>(`SELECT patient_id, starts_at, hold_expires_at FROM appointments WHERE status = 'held'`, { type: QueryTypes.SELECT });
const free = async (iso: string) =>
  (await h.services.availability.freeSlots(doctor.doctorId, ny(`${iso.slice(0, 10)}T00:00`), ny(`${iso.slice(0, 10)}T23:59`))).some((s) => s.start === ny(iso).getTime());

beforeAll(async () => {
  h = await createHarness('holds', { now: START });
  doctor = await insertDoctor(h.db, { name: 'Hana Hold', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  chat = createChat(h);
});
afterAll(() => h.close());
beforeEach(() => h.clock.set(START));

it('keeps a held time from everyone else: not offered, refused as taken; the holder books it', async () => {
  const [a, b] = [await patient(), await patient()];
  const hold = await h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T09:00') });
  expect(hold.expiresAt).toEqual(new Date(Date.parse(START) + 5 * 60_000));
  expect(await free('2026-12-01T09:00')).toBe(false);
  await expect(h.services.booking.book(b, { doctorId: doctor.doctorId, patientId: b.patientId, startsAt: ny('2026-12-01T09:00'), channel: 'sms' })).rejects.toBeInstanceOf(SlotTakenError);
  await expect(h.services.booking.hold(b, { doctorId: doctor.doctorId, patientId: b.patientId, startsAt: ny('2026-12-01T09:00') })).rejects.toBeInstanceOf(SlotTakenError);
  h.clock.advance(4 * 60_000);
  const booked = await h.services.booking.book(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T09:00'), channel: 'sms', holdId: hold.id });
  expect(booked.status).toBe('booked');
  expect(await held()).toEqual([]);
});

it('an expired hold blocks nobody: the time is offered again and booked by someone else', async () => {
  const [a, b] = [await patient(), await patient()];
  const hold = await h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T09:30') });
  h.clock.set(hold.expiresAt);
  expect(await free('2026-12-01T09:30')).toBe(true);
  await h.services.booking.book(b, { doctorId: doctor.doctorId, patientId: b.patientId, startsAt: ny('2026-12-01T09:30'), channel: 'sms' });
  // The late YES: the time is gone, and the hold with it.
  await expect(h.services.booking.book(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T09:30'), channel: 'sms', holdId: hold.id })).rejects.toBeInstanceOf(SlotTakenError);
  expect(await held()).toEqual([]);
});

it('one hold a patient: a new one replaces theirs; another patient cannot release it', async () => {
  const [a, b] = [await patient(), await patient()];
  const first = await h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T10:00') });
  await h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-01T10:30') });
  expect((await held()).filter((r) => r.patient_id === a.patientId).map((r) => new Date(r.starts_at))).toEqual([ny('2026-12-01T10:30')]);
  expect(await free('2026-12-01T10:00')).toBe(true);
  await expect(h.services.booking.releaseHold(b, first.id)).resolves.toBeUndefined(); // gone already: nothing to do
  const second = (await h.db.models.Appointment.findOne({ where: { patientId: a.patientId, status: 'held' } }))!;
  await expect(h.services.booking.releaseHold(b, second.id)).rejects.toBeInstanceOf(ForbiddenError);
  await h.services.booking.releaseHold(a, second.id);
  expect(await free('2026-12-01T10:30')).toBe(true);
});

it('a hold for a move lasts as long as the visit being moved, is the patient’s own, and is audited as theirs', async () => {
  // A doctor of this test's own: a kind of visit changes what the booking dialog asks of the others.
  const mover = await insertDoctor(h.db, { name: 'Moe Mover', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  const [a, b] = [await patient(), await patient()];
  const talk = await insertVisitType(h.db, { name: 'Long talk', durationMinutes: 60, doctorIds: [mover.doctorId] });
  const booked = await h.services.booking.book(a, { doctorId: mover.doctorId, patientId: a.patientId, startsAt: ny('2026-12-04T09:00'), channel: 'sms', visitTypeId: talk });
  const hold = await h.services.booking.hold(a, { doctorId: mover.doctorId, patientId: a.patientId, startsAt: ny('2026-12-07T10:00'), moving: booked.id });
  expect([hold.startsAt, hold.endsAt]).toEqual([ny('2026-12-07T10:00'), ny('2026-12-07T11:00')]);
  const offered = await h.services.availability.freeSlots(mover.doctorId, ny('2026-12-07T00:00'), ny('2026-12-07T23:59'));
  expect(offered.some((s) => s.start === ny('2026-12-07T10:30').getTime())).toBe(false);
  // Someone else's appointment is not theirs to move: it is not found, and nothing is held for them.
  await expect(h.services.booking.hold(b, { doctorId: mover.doctorId, patientId: b.patientId, startsAt: ny('2026-12-07T11:00'), moving: booked.id })).rejects.toBeInstanceOf(NotFoundError);
  expect((await held()).filter((r) => r.patient_id === b.patientId)).toEqual([]);
  const audit = await h.db.sequelize.query(`SELECT action, outcome, actor_user_id, patient_id FROM audit_log WHERE subject_id = :id`, { replacements: { id: hold.id }, type: QueryTypes.SELECT });
  expect(audit).toEqual([{ action: 'appointment.hold', outcome: 'allowed', actor_user_id: a.userId, patient_id: a.patientId }]);
  await h.services.booking.releaseHold(a, hold.id);
});

it("is refused at once when the patient is at their cap, so a YES never fails on it", async () => {
  const a = await patient();
  await h.services.booking.book(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-02T09:00'), channel: 'sms' });
  await expect(h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-02T10:00') })).rejects.toBeInstanceOf(BookingLimitError);
});

it('the expiry job, queued under a deterministic id, deletes the hold once it has expired', async () => {
  const system = createReminderSystem({
    redis: TEST_REDIS_URL,
    redisPrefix: h.prefix,
    db: h.db,
    settings: h.services.settings,
    audit: h.services.audit,
    events: h.services.events,
    sms: null,
    staff: null,
    clinicName: 'Demo Clinic',
    now: h.clock.now,
    logger: createLogger('silent'),
    sweepHold: (id) => h.services.booking.sweepHold(id),
  });
  try {
    const a = await patient();
    const hold = await h.services.booking.hold(a, { doctorId: doctor.doctorId, patientId: a.patientId, startsAt: ny('2026-12-03T09:00') });
    const job = (await system.queues.holds.getJob(`hold-${hold.id}`))!;
    expect(job.opts.delay).toBe(5 * 60_000 + 1000);
    // The same hold announced twice is one job.
    await h.services.events.publish({ type: 'held', appointment: { id: hold.id } as never, expiresAt: hold.expiresAt, actor: a });
    expect(await system.queues.holds.getJobCounts('delayed')).toMatchObject({ delayed: 1 });
    // Not expired yet: the sweep leaves it.
    expect(await h.services.booking.sweepHold(hold.id)).toBe(false);
    h.clock.set(hold.expiresAt);
    await system.startWorkers();
    await job.promote();
    for (let i = 0; i < 100 && (await held()).some((r) => r.patient_id === a.patientId); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await held()).filter((r) => r.patient_id === a.patientId)).toEqual([]);
  } finally {
    await system.close();
  }
});

it('by text: NO gives the time back, another choice moves the hold, EXIT gives it back, YES books it', async () => {
  const p = await patient();
  const say = (text: string) => chat.say(p.phone, text);
  expect(await say('book dr hana hold on Dec 4 at 9')).toMatch(/^Book Dr Hana Hold on Fri 4 Dec, 9:00 AM\?/);
  expect((await held()).filter((r) => r.patient_id === p.patientId).map((r) => new Date(r.starts_at))).toEqual([ny('2026-12-04T09:00')]);
  expect(await say('no')).toMatch(/^Free times with Dr Hana Hold/);
  expect((await held()).filter((r) => r.patient_id === p.patientId)).toEqual([]);
  expect(await say('Dec 4 at 10')).toMatch(/^Book Dr Hana Hold on Fri 4 Dec, 10:00 AM\?/);
  expect(await say('actually 10:30')).toMatch(/^Book Dr Hana Hold on Fri 4 Dec, 10:30 AM\?/);
  expect((await held()).filter((r) => r.patient_id === p.patientId).map((r) => new Date(r.starts_at))).toEqual([ny('2026-12-04T10:30')]);
  expect(await say('exit')).toMatch(/^OK, I stopped that\./);
  expect((await held()).filter((r) => r.patient_id === p.patientId)).toEqual([]);
  expect(await say('book dr hana hold on Dec 4 at 11')).toMatch(/^Book Dr Hana Hold on Fri 4 Dec, 11:00 AM\?/);
  expect(await say('yes')).toMatch(/^Booked: Dr Hana Hold on Fri 4 Dec, 11:00 AM/);
  const rows = await h.db.models.Appointment.findAll({ where: { patientId: p.patientId } });
  expect(rows.map((r) => [r.status, r.startsAt])).toEqual([['booked', ny('2026-12-04T11:00')]]);
});
