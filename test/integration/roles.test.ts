import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { ForbiddenError } from '../../src/domain/errors';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';

const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();

let h: Harness;
let admin: Actor;
let alice: Actor & { patientId: string };
let bob: Actor & { patientId: string };
let carol: Actor & { patientId: string };
let patel: Actor & { doctorId: string };
let chen: Actor & { doctorId: string };
let aliceAppt: string;

beforeAll(async () => {
  h = await createHarness('roles', { now: '2026-12-01T12:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Admin', email: 'admin@test' });
  alice = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550000001', dateOfBirth: '1980-01-01', timeZone: NY });
  bob = await insertPatient(h.db, { name: 'Bob Smith', phone: '+15550000002', dateOfBirth: '1981-02-02', timeZone: NY });
  carol = await insertPatient(h.db, { name: 'Carol White', phone: '+15550000003', dateOfBirth: '1982-03-03', timeZone: NY });
  const hours = [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }];
  patel = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: NY, hours });
  chen = await insertDoctor(h.db, { name: 'Mei Chen', timeZone: NY, hours });
  aliceAppt = (await h.services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-02T10:00'), channel: 'sms' })).id;
});

afterAll(() => h.close());

type Attempt = [string, () => Actor, (actor: Actor) => Promise<unknown>];
const s = () => h.services;
const day = [ny('2026-12-02T00:00'), ny('2026-12-03T00:00')] as const;

/** Every path a role must not take. Each must be refused with ForbiddenError and leave a 'denied' audit row. */
const forbidden: Attempt[] = [
  ['patient reads another patient\'s appointment', () => bob, (a) => s().appointments.get(a, aliceAppt)],
  ['patient cancels another patient\'s appointment', () => bob, (a) => s().booking.cancel(a, aliceAppt)],
  ['patient moves another patient\'s appointment', () => bob, (a) => s().booking.reschedule(a, aliceAppt, ny('2026-12-02T11:00'))],
  ['patient books for another patient', () => bob, (a) => s().booking.book(a, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-02T12:00'), channel: 'sms' })],
  ['patient lists another patient\'s appointments', () => bob, (a) => s().appointments.listForPatient(a, alice.patientId, 'upcoming')],
  ['patient reads another patient\'s profile', () => bob, (a) => s().patients.get(a, alice.patientId)],
  ['patient changes another patient\'s profile', () => bob, (a) => s().patients.updateProfile(a, alice.patientId, { fullName: 'Mallory' })],
  ['patient sets a doctor\'s weekly hours', () => alice, (a) => s().availability.setWeeklyHours(a, patel.doctorId, [])],
  ['patient blocks a doctor\'s time', () => alice, (a) => s().availability.addTimeOff(a, patel.doctorId, { startsAt: day[0], endsAt: day[1] })],
  ['patient reads a doctor\'s schedule', () => alice, (a) => s().appointments.schedule(a, patel.doctorId, day[0], day[1])],
  ['patient changes a clinic setting', () => alice, (a) => s().settings.update(a, 'minNoticeMinutes', 0)],
  ['patient adds a doctor', () => alice, (a) => s().doctors.create(a, { fullName: 'Dr Fake', timeZone: NY })],
  ['doctor reads a patient they have no appointment with', () => chen, (a) => s().patients.get(a, alice.patientId)],
  ['doctor reads another doctor\'s appointment', () => chen, (a) => s().appointments.get(a, aliceAppt)],
  ['doctor cancels another doctor\'s appointment', () => chen, (a) => s().booking.cancel(a, aliceAppt)],
  ['doctor sets another doctor\'s weekly hours', () => chen, (a) => s().availability.setWeeklyHours(a, patel.doctorId, [])],
  ['doctor blocks another doctor\'s time', () => chen, (a) => s().availability.addTimeOff(a, patel.doctorId, { startsAt: day[0], endsAt: day[1] })],
  ['doctor reads another doctor\'s schedule', () => chen, (a) => s().appointments.schedule(a, patel.doctorId, day[0], day[1])],
  ['doctor reads another doctor\'s weekly hours', () => chen, (a) => s().availability.weeklyHours(a, patel.doctorId)],
  ['doctor books an appointment', () => patel, (a) => s().booking.book(a, { doctorId: patel.doctorId, patientId: carol.patientId, startsAt: ny('2026-12-02T13:00'), channel: 'slack' })],
  ['doctor changes a patient\'s profile', () => patel, (a) => s().patients.updateProfile(a, alice.patientId, { fullName: 'X' })],
  ['doctor changes a clinic setting', () => patel, (a) => s().settings.update(a, 'minNoticeMinutes', 0)],
  ['doctor adds a doctor', () => patel, (a) => s().doctors.create(a, { fullName: 'Dr Fake', timeZone: NY })],
];

describe('every forbidden path is refused in the service layer and audited', () => {
  it.each(forbidden)('%s', async (_name, who, attempt) => {
    const actor = who();
    const before = await h.db.models.Audit.count({ where: { outcome: 'denied', actorUserId: actor.userId } });
    await expect(attempt(actor)).rejects.toBeInstanceOf(ForbiddenError);
    const after = await h.db.models.Audit.count({ where: { outcome: 'denied', actorUserId: actor.userId } });
    expect(after).toBe(before + 1);
  });

  it('left Alice\'s appointment, profile and the doctor\'s hours untouched', async () => {
    expect((await h.db.models.Appointment.findByPk(aliceAppt))!.status).toBe('booked');
    expect((await h.db.models.Patient.findByPk(alice.patientId))!.fullName).toBe('Alice Jones');
    expect(await h.db.models.AvailabilityRule.count({ where: { doctorId: patel.doctorId } })).toBe(5);
    expect(await h.db.models.TimeOff.count()).toBe(0);
  });
});

describe('what each role may do', () => {
  it('a patient sees their own appointments and profile', async () => {
    const list = await s().appointments.listForPatient(alice, alice.patientId, 'upcoming');
    expect(list.map((a) => a.id)).toEqual([aliceAppt]);
    expect(await s().appointments.listForPatient(bob, bob.patientId, 'upcoming')).toEqual([]);
    expect((await s().patients.get(alice, alice.patientId)).fullName).toBe('Alice Jones');
    await expect(s().patients.updateProfile(alice, alice.patientId, { timeZone: 'Europe/London' })).resolves.toMatchObject({ timeZone: 'Europe/London' });
  });

  it('a doctor reads their own patient, and the read is audited', async () => {
    const before = await h.db.models.Audit.count({ where: { action: 'patient.read', outcome: 'allowed', actorUserId: patel.userId } });
    await expect(s().patients.get(patel, alice.patientId)).resolves.toMatchObject({ id: alice.patientId });
    const rows = await h.db.models.Audit.findAll({ where: { action: 'patient.read', outcome: 'allowed', actorUserId: patel.userId } });
    expect(rows).toHaveLength(before + 1);
    expect(rows[rows.length - 1].patientId).toBe(alice.patientId);
  });

  it('a doctor sees their own schedule with patient names and manages their own hours and time off', async () => {
    const schedule = await s().appointments.schedule(patel, patel.doctorId, day[0], day[1]);
    expect(schedule.map((e) => [e.id, e.patientName])).toEqual([[aliceAppt, 'Alice Jones']]);
    const hours = await s().availability.setWeeklyHours(patel, patel.doctorId, [
      { weekday: 1, start: '09:00', end: '17:00' },
      { weekday: 2, start: '09:00', end: '17:00' },
      { weekday: 3, start: '09:00', end: '17:00' },
      { weekday: 4, start: '09:00', end: '17:00' },
      { weekday: 5, start: '09:00', end: '17:00' },
    ]);
    expect(hours).toHaveLength(5);
    const { clashes, timeOff } = await s().availability.addTimeOff(patel, patel.doctorId, { startsAt: ny('2026-12-02T09:00'), endsAt: ny('2026-12-02T12:00'), reason: 'conference' });
    // The time off clashes with Alice's 10:00: it is reported, not silently cancelled.
    expect(clashes.map((c) => c.id)).toEqual([aliceAppt]);
    expect((await h.db.models.Appointment.findByPk(aliceAppt))!.status).toBe('booked');
    await s().availability.removeTimeOff(patel, timeOff.id);
  });

  it('an admin may do all of it', async () => {
    await expect(s().appointments.get(admin, aliceAppt)).resolves.toMatchObject({ id: aliceAppt });
    await expect(s().patients.get(admin, bob.patientId)).resolves.toMatchObject({ id: bob.patientId });
    await expect(s().appointments.schedule(admin, patel.doctorId, day[0], day[1])).resolves.toHaveLength(1);
    await expect(s().settings.update(admin, 'bookingHorizonDays', 90)).resolves.toMatchObject({ bookingHorizonDays: 90 });
    await expect(s().doctors.create(admin, { fullName: 'Sam Lee', timeZone: 'Europe/London', specializations: ['Dermatology'] })).resolves.toMatchObject({
      fullName: 'Sam Lee',
      specializations: ['Dermatology'],
    });
  });

  it('a deactivated user is no actor at all', async () => {
    expect(await s().identity.actorFor('sms', '+15550000003')).toMatchObject({ role: 'patient', patientId: carol.patientId });
    await h.db.models.User.update({ active: false }, { where: { id: carol.userId } });
    expect(await s().identity.actorFor('sms', '+15550000003')).toBeNull();
    expect(await s().identity.actorFor('sms', '+15559999999')).toBeNull();
  });
});
