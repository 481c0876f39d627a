import { DateTime } from 'luxon';
import { Op } from 'sequelize';
import type { Actor } from '../../src/domain/actor';
import {
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  PatientBusyError,
  SlotTakenError,
  SlotUnavailableError,
  ValidationError,
} from '../../src/domain/errors';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import type { AppointmentEvent } from '../../src/services/events';
import { createHarness, type Harness } from '../support/harness';

const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();

let h: Harness;
let auditFrom = 0;
let admin: Actor;
let alice: Actor & { patientId: string };
let bob: Actor & { patientId: string };
let patel: Actor & { doctorId: string };
let chen: Actor & { doctorId: string };
const events: AppointmentEvent[] = [];

beforeAll(async () => {
  // Tuesday 1 December 2026, 07:00 in New York.
  h = await createHarness('booking', { now: '2026-12-01T12:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Admin', email: 'admin@test' });
  alice = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550000001', dateOfBirth: '1980-01-01', timeZone: NY });
  bob = await insertPatient(h.db, { name: 'Bob Smith', phone: '+15550000002', dateOfBirth: '1981-02-02', timeZone: NY });
  patel = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }] });
  chen = await insertDoctor(h.db, { name: 'Mei Chen', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }] });
  h.services.events.subscribe((e) => {
    events.push(e);
  });
});

afterAll(() => h.close());

beforeEach(async () => {
  await h.db.models.Appointment.destroy({ where: {} });
  await h.db.models.TimeOff.destroy({ where: {} });
  // The audit log is append-only (a trigger refuses DELETE): each test reads the entries after this one.
  auditFrom = Number((await h.db.models.Audit.max('id')) ?? 0);
  await h.db.models.Setting.destroy({ where: {} });
  await h.db.models.Doctor.update({ active: true, slotMinutes: 30 }, { where: {} });
  h.clock.set('2026-12-01T12:00:00Z');
  events.length = 0;
});

const book = (actor: Actor, patientId: string, doctorId: string, startsAt: Date) =>
  h.services.booking.book(actor, { doctorId, patientId, startsAt, channel: 'sms' });

async function activeRows() {
  return h.db.models.Appointment.findAll({ where: { status: 'booked' }, order: [['startsAt', 'ASC']] });
}

describe('booking', () => {
  it('books a free slot for the doctor\'s slot length, records it and tells listeners', async () => {
    const appt = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    expect(appt.status).toBe('booked');
    expect(appt.endsAt.getTime() - appt.startsAt.getTime()).toBe(30 * 60_000);

    const rows = await activeRows();
    expect(rows).toHaveLength(1);
    expect(rows[0].startsAt.toISOString()).toBe('2026-12-02T15:00:00.000Z');
    expect(rows[0].channel).toBe('sms');
    expect(rows[0].createdBy).toBe(alice.userId);

    const audit = await h.db.models.Audit.findAll({ where: { action: 'appointment.book', id: { [Op.gt]: auditFrom } } });
    expect(audit.map((a) => [a.outcome, a.subjectId, a.patientId])).toEqual([['allowed', appt.id, alice.patientId]]);
    expect(events.map((e) => [e.type, 'appointment' in e ? e.appointment.id : null])).toEqual([['booked', appt.id]]);
  });

  it('refuses the same slot to a second patient with SlotTakenError', async () => {
    await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await expect(book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T10:00'))).rejects.toMatchObject({
      constructor: SlotTakenError,
      why: 'booked',
    });
    expect(await activeRows()).toHaveLength(1);
  });

  it('offers the nearest free alternatives around a taken slot', async () => {
    await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    const near = await h.services.availability.nearestFreeSlots(patel.doctorId, ny('2026-12-02T10:00'), 2);
    expect(near.map((s) => new Date(s.start).toISOString())).toEqual(['2026-12-02T14:30:00.000Z', '2026-12-02T15:30:00.000Z']);
  });

  it.each([
    ['not aligned to a slot', '2026-12-02T10:15', /not one of Anika Patel's appointment times/],
    ['outside weekly hours', '2026-12-02T18:00', /not one of/],
    ['on a weekend', '2026-12-05T10:00', /not one of/],
    ['in the past', '2026-11-30T10:00', /already passed/],
    ['inside the minimum notice', '2026-12-01T07:30', /notice/],
    ['beyond the booking horizon', '2027-03-01T10:00', /up to 60 days ahead/],
  ])('refuses a time %s and writes nothing', async (_why, when, message) => {
    await expect(book(alice, alice.patientId, patel.doctorId, ny(when))).rejects.toThrow(message);
    await expect(book(alice, alice.patientId, patel.doctorId, ny(when))).rejects.toBeInstanceOf(SlotUnavailableError);
    expect(await h.db.models.Appointment.count()).toBe(0);
  });

  it('refuses a slot inside the doctor\'s time off', async () => {
    await h.services.availability.addTimeOff(patel, patel.doctorId, { startsAt: ny('2026-12-02T09:00'), endsAt: ny('2026-12-02T12:00'), reason: 'training' });
    await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'))).rejects.toThrow(/not available then/);
    await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T12:00'))).resolves.toMatchObject({ status: 'booked' });
  });

  it('refuses a deactivated doctor, an unknown doctor and a malformed id', async () => {
    await h.db.models.Doctor.update({ active: false }, { where: { id: patel.doctorId } });
    await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'))).rejects.toThrow(/not taking appointments/);
    await expect(book(alice, alice.patientId, '00000000-0000-4000-8000-000000000000', ny('2026-12-02T10:00'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(book(alice, alice.patientId, "1' OR '1'='1", ny('2026-12-02T10:00'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(book(alice, alice.patientId, chen.doctorId, new Date('not a date'))).rejects.toBeInstanceOf(ValidationError);
    expect(await h.db.models.Appointment.count()).toBe(0);
  });

  it('does not let a patient hold two overlapping appointments', async () => {
    await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await expect(book(alice, alice.patientId, chen.doctorId, ny('2026-12-02T10:00'))).rejects.toBeInstanceOf(PatientBusyError);
    expect(await activeRows()).toHaveLength(1);
  });

  it('uses the clinic\'s minimum notice and horizon from settings', async () => {
    await h.services.settings.update(admin, 'minNoticeMinutes', 24 * 60);
    await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-01T15:00'))).rejects.toThrow(/1440 minutes' notice/);
    await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T15:00'))).resolves.toMatchObject({ status: 'booked' });
  });

  it('lets an admin book for a patient, but not a doctor', async () => {
    await expect(book(admin, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'))).resolves.toMatchObject({ patientId: alice.patientId });
    await expect(book(patel, bob.patientId, patel.doctorId, ny('2026-12-02T11:00'))).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('the database is the last guard', () => {
  it('refuses overlapping active appointments of different lengths at the constraint', async () => {
    const { Appointment } = h.db.models;
    await Appointment.create({ doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-02T10:00'), endsAt: ny('2026-12-02T11:00'), reason: null, channel: 'sms', createdBy: null });
    await expect(
      Appointment.create({ doctorId: patel.doctorId, patientId: bob.patientId, startsAt: ny('2026-12-02T10:30'), endsAt: ny('2026-12-02T10:45'), reason: null, channel: 'sms', createdBy: null }),
    ).rejects.toMatchObject({ parent: { code: '23P01', constraint: 'appointments_no_doctor_overlap' } });
    // A cancelled appointment does not hold the time.
    await Appointment.update({ status: 'cancelled', cancelledAt: new Date() }, { where: {} });
    await expect(
      Appointment.create({ doctorId: patel.doctorId, patientId: bob.patientId, startsAt: ny('2026-12-02T10:30'), endsAt: ny('2026-12-02T10:45'), reason: null, channel: 'sms', createdBy: null }),
    ).resolves.toBeDefined();
  });

  it('keeps a longer slot length from overlapping an existing booking', async () => {
    await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await h.db.models.Doctor.update({ slotMinutes: 45 }, { where: { id: patel.doctorId } });
    // 45-minute slots now start 09:00, 09:45, 10:30: 09:45-10:30 overlaps the 10:00 booking.
    await expect(book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T09:45'))).rejects.toBeInstanceOf(SlotTakenError);
    await expect(book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T10:30'))).resolves.toMatchObject({ status: 'booked' });
  });
});

describe('cancelling', () => {
  it('cancels the patient\'s own appointment and frees the slot', async () => {
    const appt = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    const cancelled = await h.services.booking.cancel(alice, appt.id, 'feeling better');
    expect(cancelled.status).toBe('cancelled');
    const row = await h.db.models.Appointment.findByPk(appt.id);
    expect(row).toMatchObject({ status: 'cancelled', cancelledBy: alice.userId, cancelReason: 'feeling better' });
    await expect(book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T10:00'))).resolves.toMatchObject({ status: 'booked' });
    expect(events.map((e) => e.type)).toEqual(['booked', 'cancelled', 'booked']);
  });

  it('refuses another patient, audits the attempt and leaves the appointment booked', async () => {
    const appt = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await expect(h.services.booking.cancel(bob, appt.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await h.db.models.Appointment.findByPk(appt.id))!.status).toBe('booked');
    const denied = await h.db.models.Audit.findAll({ where: { outcome: 'denied', id: { [Op.gt]: auditFrom } } });
    expect(denied.map((d) => [d.action, d.actorUserId, d.subjectId])).toEqual([['appointment.cancel', bob.userId, appt.id]]);
  });

  it('lets the appointment\'s doctor cancel it, but not another doctor', async () => {
    const appt = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await expect(h.services.booking.cancel(chen, appt.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.services.booking.cancel(patel, appt.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('refuses to cancel twice, or once it has started', async () => {
    const a = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await h.services.booking.cancel(alice, a.id);
    await expect(h.services.booking.cancel(alice, a.id)).rejects.toBeInstanceOf(InvalidStateError);
    const b = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T11:00'));
    h.clock.set(ny('2026-12-02T11:05'));
    await expect(h.services.booking.cancel(alice, b.id)).rejects.toThrow(/already started/);
  });

  it('answers a guessed or malformed id with NotFoundError', async () => {
    await expect(h.services.booking.cancel(alice, '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.services.booking.cancel(alice, '../../etc/passwd')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('rescheduling', () => {
  it('moves an appointment atomically: the old one cancelled, the new one linked to it', async () => {
    const old = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    const moved = await h.services.booking.reschedule(alice, old.id, ny('2026-12-03T14:00'));
    expect(moved).toMatchObject({ status: 'booked', rescheduledFrom: old.id, patientId: alice.patientId, doctorId: patel.doctorId });
    expect(moved.startsAt.toISOString()).toBe('2026-12-03T19:00:00.000Z');
    expect(await h.db.models.Appointment.findByPk(old.id)).toMatchObject({ status: 'cancelled', cancelReason: 'rescheduled' });
    // The old time is free for someone else.
    await expect(book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T10:00'))).resolves.toMatchObject({ status: 'booked' });
    const e = events.find((x) => x.type === 'rescheduled');
    expect(e && e.type === 'rescheduled' && e.previous.id).toBe(old.id);
  });

  it('moves into an adjacent slot that overlaps the old time (longer appointments)', async () => {
    await h.db.models.Doctor.update({ slotMinutes: 60 }, { where: { id: patel.doctorId } });
    const old = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await h.db.models.Doctor.update({ slotMinutes: 30 }, { where: { id: patel.doctorId } });
    // The 10:30 slot overlaps the 10:00-11:00 appointment it replaces: allowed, as one move.
    await expect(h.services.booking.reschedule(alice, old.id, ny('2026-12-02T10:30'))).resolves.toMatchObject({ status: 'booked' });
    expect(await activeRows()).toHaveLength(1);
  });

  it('changes nothing when the new slot is taken', async () => {
    const mine = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await book(bob, bob.patientId, patel.doctorId, ny('2026-12-02T11:00'));
    await expect(h.services.booking.reschedule(alice, mine.id, ny('2026-12-02T11:00'))).rejects.toBeInstanceOf(SlotTakenError);
    expect(await h.db.models.Appointment.findByPk(mine.id)).toMatchObject({ status: 'booked' });
    expect(await h.db.models.Appointment.count()).toBe(2);
  });

  it('refuses another patient and a cancelled appointment', async () => {
    const mine = await book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'));
    await expect(h.services.booking.reschedule(bob, mine.id, ny('2026-12-02T12:00'))).rejects.toBeInstanceOf(ForbiddenError);
    await h.services.booking.cancel(alice, mine.id);
    await expect(h.services.booking.reschedule(alice, mine.id, ny('2026-12-02T12:00'))).rejects.toBeInstanceOf(InvalidStateError);
    expect(await activeRows()).toHaveLength(0);
  });
});

describe('listeners', () => {
  it('a failing listener never fails or undoes a booking', async () => {
    const unsubscribe = h.services.events.subscribe(() => {
      throw new Error('reminder queue down');
    });
    try {
      await expect(book(alice, alice.patientId, patel.doctorId, ny('2026-12-02T10:00'))).resolves.toMatchObject({ status: 'booked' });
      expect(await activeRows()).toHaveLength(1);
    } finally {
      unsubscribe();
    }
  });
});

describe('concurrent attempts in one process', () => {
  it('50 patients at one slot: exactly one appointment, every other attempt SlotTakenError', async () => {
    const patients = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        insertPatient(h.db, { name: `Racer ${i}`, phone: `+1555100${String(i).padStart(4, '0')}`, dateOfBirth: '1990-01-01', timeZone: NY }),
      ),
    );
    const results = await Promise.allSettled(patients.map((p) => book(p, p.patientId, chen.doctorId, ny('2026-12-04T09:00'))));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const taken = results.filter((r) => r.status === 'rejected' && r.reason instanceof SlotTakenError);
    expect(ok).toHaveLength(1);
    expect(taken).toHaveLength(49);
    expect(await h.db.models.Appointment.count({ where: { doctorId: chen.doctorId } })).toBe(1);
  });
});
