import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { ForbiddenError, SlotTakenError, SlotUnavailableError, ValidationError } from '../../src/domain/errors';
import type { Location, VisitType } from '../../src/domain/visits';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { violatedConstraint } from '../../src/services/db-errors';
import { createHarness, type Harness } from '../support/harness';

/**
 * Locations, visit types with their own lengths, buffers and the doctor's grid, on the real
 * database: what a patient is offered, what a booking occupies, and what the constraint refuses.
 */

const ZONE = 'America/New_York';
let h: Harness;
let admin: Actor;
let patel: Actor & { doctorId: string };
let alice: Actor & { patientId: string };
let bob: Actor & { patientId: string };
let downtown: Location;
let eastside: Location;
let newPatient: VisitType;
let followUp: VisitType;
let video: VisitType;

const ny = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();
const hhmm = (slots: { start: number }[]) => slots.map((s) => DateTime.fromMillis(s.start, { zone: ZONE }).toFormat('HH:mm'));

beforeAll(async () => {
  // Monday 7 December 2026 and Tuesday 8 December are the days under test.
  h = await createHarness('clinic-model', { now: '2026-12-01T12:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Ada Admin', email: 'ada@clinic.test' });
  patel = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: ZONE });
  alice = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550001001', dateOfBirth: '1980-01-01', timeZone: ZONE });
  bob = await insertPatient(h.db, { name: 'Bob Brown', phone: '+15550001002', dateOfBirth: '1981-01-01', timeZone: ZONE });
  const s = h.services;
  downtown = await s.locations.create(admin, { name: 'Downtown', address: '12 Main St, Springfield', phone: '+1 555 010 2000', timeZone: ZONE });
  eastside = await s.locations.create(admin, { name: 'Eastside', address: '400 East Ave, Springfield', phone: '+15550103000', timeZone: ZONE });
  newPatient = await s.visitTypes.create(admin, { name: 'New patient visit', durationMinutes: 40, bufferAfterMinutes: 10, keywords: ['first visit', 'new patient'] });
  followUp = await s.visitTypes.create(admin, { name: 'Follow-up', durationMinutes: 20, keywords: ['follow up', 'check up'] });
  video = await s.visitTypes.create(admin, { name: 'Video visit', durationMinutes: 20, telehealth: true, videoUrlTemplate: 'https://video.clinic.test/room/{token}' });
  await s.visitTypes.setOffered(admin, patel.doctorId, [newPatient.id, followUp.id, video.id], followUp.id);
  await s.visitTypes.setGrid(admin, patel.doctorId, 10);
  await s.availability.setWeeklyHours(admin, patel.doctorId, [{ weekday: 1, start: '09:00', end: '12:00' }], { locationId: downtown.id });
  await s.availability.setWeeklyHours(admin, patel.doctorId, [{ weekday: 2, start: '09:00', end: '12:00' }], { locationId: eastside.id });
});
afterAll(() => h.close());

describe('visit types on the doctor grid', () => {
  it('steps each visit type on the doctor grid and fits its own length in the hours', async () => {
    const monday = [ny('2026-12-07T00:00'), ny('2026-12-08T00:00')] as const;
    const first = await h.services.availability.freeSlots(patel.doctorId, monday[0], monday[1], undefined, { visitTypeId: newPatient.id });
    // Every 10 minutes from 09:00; a 40-minute visit must end by 12:00, so the last start is 11:20.
    expect(hhmm(first)[0]).toBe('09:00');
    expect(hhmm(first).slice(-2)).toEqual(['11:10', '11:20']);
    expect(first).toHaveLength(15);
    const follow = await h.services.availability.freeSlots(patel.doctorId, monday[0], monday[1]);
    // No type named: the doctor's default (the 20-minute follow-up), last start 11:40.
    expect(hhmm(follow).slice(-1)).toEqual(['11:40']);
    expect(first.every((s) => s.locationId === downtown.id)).toBe(true);
  });

  it('knows where each slot is, and offers only the location asked for', async () => {
    const week = [ny('2026-12-07T00:00'), ny('2026-12-09T00:00')] as const;
    const east = await h.services.availability.freeSlots(patel.doctorId, week[0], week[1], undefined, { locationId: eastside.id });
    expect(east.length).toBeGreaterThan(0);
    expect(east.every((s) => DateTime.fromMillis(s.start, { zone: ZONE }).weekday === 2 && s.locationId === eastside.id)).toBe(true);
  });

  it('books a visit type with its length, location and buffer, and never offers the buffer', async () => {
    const a = await h.services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-07T09:00'), channel: 'sms', visitTypeId: newPatient.id, reason: 'knee pain' });
    expect(a.endsAt).toEqual(ny('2026-12-07T09:40'));
    expect(a.locationId).toBe(downtown.id);
    expect(a.visitTypeId).toBe(newPatient.id);
    const follow = await h.services.availability.freeSlots(patel.doctorId, ny('2026-12-07T09:00'), ny('2026-12-07T10:30'));
    // 09:40 is the end of the visit but the start of its 10-minute buffer: the first follow-up is 09:50.
    expect(hhmm(follow)[0]).toBe('09:50');
    await expect(h.services.booking.book(bob, { doctorId: patel.doctorId, patientId: bob.patientId, startsAt: ny('2026-12-07T09:40'), channel: 'sms' })).rejects.toBeInstanceOf(SlotTakenError);
    const next = await h.services.booking.book(bob, { doctorId: patel.doctorId, patientId: bob.patientId, startsAt: ny('2026-12-07T09:50'), channel: 'sms' });
    expect(next.endsAt).toEqual(ny('2026-12-07T10:10'));
    expect(next.visitTypeId).toBe(followUp.id);
  });

  it('a booking before a buffered visit may not run into its buffer before either', async () => {
    const prep = await h.services.visitTypes.create(admin, { name: 'Procedure', durationMinutes: 30, bufferBeforeMinutes: 20 });
    await h.services.visitTypes.setOffered(admin, patel.doctorId, [newPatient.id, followUp.id, video.id, prep.id], followUp.id);
    const slots = await h.services.availability.freeSlots(patel.doctorId, ny('2026-12-07T10:00'), ny('2026-12-07T12:00'), undefined, { visitTypeId: prep.id });
    // Bob's follow-up ends 10:10; the procedure's 20 minutes before must start after it: 10:30.
    expect(hhmm(slots)[0]).toBe('10:30');
  });

  it('the database itself refuses a visit whose buffer overlaps another (the exclusion constraint guards the occupied range)', async () => {
    const [row] = (await h.db.sequelize.query(
      `SELECT occupied_from, occupied_to FROM appointments WHERE patient_id = :p AND status = 'booked'`,
      { replacements: { p: alice.patientId } },
    ))[0] as Array<{ occupied_from: Date; occupied_to: Date }>;
    expect(new Date(row.occupied_to)).toEqual(ny('2026-12-07T09:50'));
    const carol = await insertPatient(h.db, { name: 'Carol White', phone: '+15550001003', dateOfBirth: '1982-01-01', timeZone: ZONE });
    // A raw insert in the buffer (09:40-09:45): no service, no lock, and still refused.
    const refused = await h.db.sequelize
      .query(`INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, channel) VALUES (:d, :p, :s, :e, 'console')`, {
        replacements: { d: patel.doctorId, p: carol.patientId, s: ny('2026-12-07T09:40'), e: ny('2026-12-07T09:45') },
      })
      .then(() => null, (err: unknown) => err);
    expect(violatedConstraint(refused)).toBe('appointments_no_doctor_overlap');
  });

  it('refuses a visit type the doctor does not offer, and a start off the grid', async () => {
    const other = await h.services.visitTypes.create(admin, { name: 'Physio session', durationMinutes: 45 });
    await expect(h.services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-07T11:00'), channel: 'sms', visitTypeId: other.id })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-07T11:05'), channel: 'sms' })).rejects.toBeInstanceOf(SlotUnavailableError);
  });

  it('a telehealth visit carries its own video link', async () => {
    const a = await h.services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt: ny('2026-12-08T11:00'), channel: 'sms', visitTypeId: video.id });
    expect(a.videoUrl).toMatch(/^https:\/\/video\.clinic\.test\/room\/[A-Za-z0-9_-]{16}$/);
    expect(a.locationId).toBe(eastside.id);
  });

  it('a reason longer than 200 characters is refused, and nothing is written', async () => {
    const before = await h.db.models.Appointment.count();
    await expect(
      h.services.booking.book(bob, { doctorId: patel.doctorId, patientId: bob.patientId, startsAt: ny('2026-12-08T09:00'), channel: 'sms', reason: 'x'.repeat(201) }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await h.db.models.Appointment.count()).toBe(before);
  });
});

describe('managing hours per location', () => {
  it('refuses hours at one location that overlap the doctor hours at another', async () => {
    await expect(
      h.services.availability.setWeeklyHours(admin, patel.doctorId, [{ weekday: 1, start: '11:00', end: '13:00' }], { locationId: eastside.id }),
    ).rejects.toThrow(/overlap the doctor's hours at another location \(Mon 09:00-12:00 and 11:00-13:00\)/);
    const hours = await h.services.availability.weeklyHours(admin, patel.doctorId);
    expect(hours.map((r) => [r.weekday, r.start, r.end, r.locationId])).toEqual([
      [1, '09:00', '12:00', downtown.id],
      [2, '09:00', '12:00', eastside.id],
    ]);
  });

  it('lists the bookings a change of hours leaves outside them', async () => {
    // Mondays at Downtown shrink to the afternoon: Alice's 09:00 and Bob's 09:50 fall outside.
    await h.services.availability.setWeeklyHours(admin, patel.doctorId, [{ weekday: 1, start: '13:00', end: '17:00' }], { locationId: downtown.id });
    const outside = await h.services.availability.bookingsOutsideHours(admin, patel.doctorId);
    expect(outside.map((a) => [DateTime.fromJSDate(a.startsAt, { zone: ZONE }).toFormat('ccc HH:mm'), a.patientName])).toEqual([
      ['Mon 09:00', 'Alice Jones'],
      ['Mon 09:50', 'Bob Brown'],
    ]);
    // Tuesday's hours at Eastside were kept: the video visit there is not listed.
    await h.services.availability.setWeeklyHours(admin, patel.doctorId, [{ weekday: 1, start: '09:00', end: '12:00' }], { locationId: downtown.id });
    expect(await h.services.availability.bookingsOutsideHours(admin, patel.doctorId)).toEqual([]);
  });

  it('only admins set up locations and visit types; refusals are audited', async () => {
    await expect(h.services.locations.create(alice, { name: 'Uptown', timeZone: ZONE })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.services.visitTypes.create(patel, { name: 'Long visit', durationMinutes: 60 })).rejects.toBeInstanceOf(ForbiddenError);
    const denied = await h.db.models.Audit.count({ where: { outcome: 'denied', action: ['admin.locations.create', 'admin.visit-types.create'] } });
    expect(denied).toBe(2);
    await expect(h.services.locations.create(admin, { name: 'downtown', timeZone: ZONE })).rejects.toThrow(/already a location/);
    await expect(h.services.locations.create(admin, { name: 'Nowhere', timeZone: 'Mars/Olympus' })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.services.visitTypes.create(admin, { name: 'Tele', durationMinutes: 20, telehealth: true })).rejects.toThrow(/video link/);
  });
});
