import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Actor } from '../../src/domain/actor';
import { ForbiddenError, SlotTakenError } from '../../src/domain/errors';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

/**
 * Recurring series ('every Tuesday at 10 for 6 weeks') on the real database: booked in one go or
 * not at all, the dates that are not free named with their nearest alternatives, the rest taken on
 * request, one visit or the rest called off, a reminder planned for each.
 */

const NY = 'America/New_York';
const LONDON = 'Europe/London';
let h: Harness;
let chat: Chat;
let admin: Actor;
let rahman: { id: string; userId: string };
// Monday 30 November 2026, 13:00 in London.
const START = '2026-11-30T13:00:00Z';
const london = (iso: string) => DateTime.fromISO(iso, { zone: LONDON }).toJSDate();
const local = (d: Date, zone = LONDON) => DateTime.fromJSDate(d, { zone }).toFormat('ccc d LLL HH:mm');

let seq = 0;
async function patient(zone = LONDON) {
  const phone = `+1555050${String(seq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name: `Sam Series${seq}`, phone, dateOfBirth: '1985-02-03', timeZone: zone })), phone };
}
const tuesdaysAt10 = (n: number, from = '2026-12-01') => Array.from({ length: n }, (_, i) => DateTime.fromISO(`${from}T10:00`, { zone: LONDON }).plus({ weeks: i }).toJSDate());

beforeAll(async () => {
  h = await createHarness('series', { now: START });
  await seedDemoClinic(h.db);
  chat = createChat(h);
  admin = (await h.services.identity.actorForEmail('admin@demo.clinic'))!;
  const row = (await h.db.models.Doctor.findOne({ where: { fullName: 'Aisha Rahman' } }))!;
  rahman = { id: row.id, userId: row.userId! };
  await h.services.settings.update(admin, 'maxUpcomingPerPatient', 3);
});
afterAll(() => h.close());

it('books six weekly visits in one go, each with its reminder planned and the doctor told once', async () => {
  const p = await patient();
  const { seriesId, appointments } = await h.services.booking.bookSeries(p, { doctorId: rahman.id, patientId: p.patientId, starts: tuesdaysAt10(6), channel: 'sms', everyWeeks: 1 });
  expect(appointments.map((a) => local(a.startsAt))).toEqual(['Tue 1 Dec 10:00', 'Tue 8 Dec 10:00', 'Tue 15 Dec 10:00', 'Tue 22 Dec 10:00', 'Tue 29 Dec 10:00', 'Tue 5 Jan 10:00']);
  expect(new Set(appointments.map((a) => a.seriesId))).toEqual(new Set([seriesId]));
  const outbox = await h.db.models.Outbox.findAll({ where: { appointmentId: appointments.map((a) => a.id) } });
  expect(outbox).toHaveLength(6);
  expect(outbox.filter((o) => o.payload.quiet !== true)).toHaveLength(1);
});

it('books nothing at all when one visit is not free, and names it with the nearest free times', async () => {
  const other = await patient();
  const p = await patient();
  await h.services.booking.book(other, { doctorId: rahman.id, patientId: other.patientId, startsAt: london('2026-12-16T14:00'), channel: 'sms' });
  const starts = tuesdaysAt10(4, '2026-12-02').map((d) => DateTime.fromJSDate(d).plus({ hours: 4 }).toJSDate()); // Wednesdays at 14:00
  await expect(h.services.booking.bookSeries(p, { doctorId: rahman.id, patientId: p.patientId, starts, channel: 'sms' })).rejects.toBeInstanceOf(SlotTakenError);
  expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId } })).toBe(0);
  expect(await h.db.models.AppointmentSeries.count({ where: { patientId: p.patientId } })).toBe(0);
  const plan = await h.services.availability.planSeries(rahman.id, starts[0], { occurrences: 4, zone: LONDON });
  expect(plan.map((o) => [local(o.startsAt), o.free])).toEqual([
    ['Wed 2 Dec 14:00', true],
    ['Wed 9 Dec 14:00', true],
    ['Wed 16 Dec 14:00', false],
    ['Wed 23 Dec 14:00', true],
  ]);
  expect(plan[2].alternatives.map((a) => local(new Date(a.start)))).toEqual(['Wed 16 Dec 13:40', 'Wed 16 Dec 14:20']);
});

it('keeps the local time across a daylight-saving change', async () => {
  const plan = await h.services.availability.planSeries(rahman.id, london('2027-03-23T10:00'), { occurrences: 3, zone: LONDON });
  // London springs forward on Sunday 28 March 2027: still 10:00 on the wall clock.
  expect(plan.map((o) => [local(o.startsAt), DateTime.fromJSDate(o.startsAt, { zone: LONDON }).toFormat('ZZ')])).toEqual([
    ['Tue 23 Mar 10:00', '+00:00'],
    ['Tue 30 Mar 10:00', '+01:00'],
    ['Tue 6 Apr 10:00', '+01:00'],
  ]);
});

it('cancels one visit, or that one and the rest of the series', async () => {
  const p = await patient();
  const { appointments } = await h.services.booking.bookSeries(p, { doctorId: rahman.id, patientId: p.patientId, starts: tuesdaysAt10(5, '2026-12-03').map((d) => DateTime.fromJSDate(d).plus({ hours: 3 }).toJSDate()), channel: 'sms' });
  await h.services.booking.cancel(p, appointments[1].id);
  const rest = await h.services.booking.cancelSeries(p, appointments[2].id);
  expect(rest.map((a) => a.id)).toEqual([appointments[2].id, appointments[3].id, appointments[4].id]);
  const left = await h.db.models.Appointment.findAll({ where: { patientId: p.patientId, status: 'booked' } });
  expect(left.map((a) => a.id)).toEqual([appointments[0].id]);
});

it('a doctor books a series for a patient they see, never for a stranger or with a colleague', async () => {
  const seen = await patient();
  const stranger = await patient();
  await h.services.booking.book(seen, { doctorId: rahman.id, patientId: seen.patientId, startsAt: london('2026-12-04T09:00'), channel: 'sms' });
  const doctor: Actor = { userId: rahman.userId, role: 'doctor', doctorId: rahman.id };
  const fridays = (n: number) => Array.from({ length: n }, (_, i) => DateTime.fromISO('2026-12-11T15:00', { zone: LONDON }).plus({ weeks: i }).toJSDate());
  const { appointments } = await h.services.booking.bookSeries(doctor, { doctorId: rahman.id, patientId: seen.patientId, starts: fridays(3), channel: 'slack' });
  expect(appointments).toHaveLength(3);
  await expect(h.services.booking.bookSeries(doctor, { doctorId: rahman.id, patientId: stranger.patientId, starts: fridays(2), channel: 'slack' })).rejects.toBeInstanceOf(ForbiddenError);
  const hughes = (await h.db.models.Doctor.findOne({ where: { fullName: 'Oliver Hughes' } }))!;
  await expect(h.services.booking.bookSeries(doctor, { doctorId: hughes.id, patientId: seen.patientId, starts: fridays(2), channel: 'slack' })).rejects.toBeInstanceOf(ForbiddenError);
  expect(await h.db.models.Audit.count({ where: { action: 'appointment.series', outcome: 'denied' } })).toBe(2);
});

it('two patients racing for overlapping series: one gets all of it, the other nothing', async () => {
  const [a, b] = [await patient(), await patient()];
  const thursdays = (n: number, hour: number) => Array.from({ length: n }, (_, i) => DateTime.fromISO(`2026-12-10T${hour}:00`, { zone: LONDON }).plus({ weeks: i }).toJSDate());
  const results = await Promise.allSettled([
    h.services.booking.bookSeries(a, { doctorId: rahman.id, patientId: a.patientId, starts: thursdays(4, 11), channel: 'sms' }),
    h.services.booking.bookSeries(b, { doctorId: rahman.id, patientId: b.patientId, starts: [...thursdays(4, 11)].reverse(), channel: 'sms' }),
  ]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  const counts = [await h.db.models.Appointment.count({ where: { patientId: a.patientId } }), await h.db.models.Appointment.count({ where: { patientId: b.patientId } })];
  expect(counts.sort()).toEqual([0, 4]);
});

it('by text: a patient asks for a weekly series in one message and books it', async () => {
  const p = await patient();
  const say = async (text: string) => chat.say(p.phone, text);
  expect(await say('follow-up with Dr Rahman every Monday at 11 for 4 weeks')).toBe(
    'Book Dr Aisha Rahman every Monday at 11:00 AM: 4 visits, Mon 7 Dec to Mon 28 Dec at London Bridge Clinic? Reply YES or NO.',
  );
  expect(await say('yes')).toMatch(/^Booked 4 visits with Dr Aisha Rahman, every Monday at 11:00 AM, Mon 7 Dec to Mon 28 Dec at London Bridge Clinic, 5 Tooley St, London\. We'll text a reminder before each\./);
  expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId, status: 'booked' } })).toBe(4);
});

it('by text: the dates that are not free are named, and the rest taken on YES', async () => {
  const p = await patient();
  // Dr Rahman is away on Monday 14 December.
  await h.services.availability.addTimeOff(admin, rahman.id, { startsAt: london('2026-12-14T00:00'), endsAt: london('2026-12-15T00:00') });
  const say = async (text: string) => chat.say(p.phone, text);
  expect(await say('follow-up with Dr Rahman every Monday at 2pm, 3 sessions')).toMatch(
    /^2 of those 3 visits are free with Dr Aisha Rahman\. Not free: Mon 14 Dec( \(nearest free: [^)]+\))?\. Reply YES to book the 2 free ones, or NO\.$/,
  );
  // 'every Monday' starts today, at 2 PM, an hour from now.
  expect(await say('yes')).toMatch(/^Booked 2 visits with Dr Aisha Rahman, every Monday at 2:00 PM, Mon 30 Nov to Mon 7 Dec/);
  // Calling one off offers the rest of the series too.
  await say('menu');
  expect(await say('cancel my appointment today')).toMatch(/date of birth/);
  expect(await say('1985-02-03')).toMatch(/^Call off your appointment on (Mon 30 Nov|today), 2:00 PM with Dr Aisha Rahman\? It is one of a series\.\n1 Just this one\n2 This one and the 1 after it\n3 Keep it/);
  expect(await say('2')).toMatch(/^Done: 2 appointments with Dr Aisha Rahman from .*2:00 PM on are called off\./);
  expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId, status: 'booked' } })).toBe(0);
});

it('by /clinic: the front desk books a series, or the free part of it', async () => {
  const p = await patient(NY);
  const run = createAdminCommands(h.services);
  const text = async (c: string) => (await run(admin, c)).map((r) => r.text).join('\n');
  const okafor = (await h.db.models.Doctor.findOne({ where: { fullName: 'James Okafor' } }))!;
  await h.services.availability.addTimeOff(admin, okafor.id, { startsAt: DateTime.fromISO('2026-12-17T00:00', { zone: NY }).toJSDate(), endsAt: DateTime.fromISO('2026-12-18T00:00', { zone: NY }).toJSDate() });
  const asked = await text(`series ${p.phone} "James Okafor" 2026-12-03 09:00 count=3`);
  expect(asked).toMatch(/^2 of 3 visits are free with Dr James Okafor\. Not booked yet:\n {2}Thu 17 Dec, 9:00 AM not free/);
  expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId } })).toBe(0);
  const booked = await text(`series ${p.phone} "James Okafor" 2026-12-03 09:00 count=3 rest`);
  expect(booked).toMatch(/^Booked 2 visits for Sam Series\d+ with Dr James Okafor \(America\/New_York\):\n {2}[0-9a-f]{8} Thu 3 Dec, 9:00 AM\n {2}[0-9a-f]{8} Thu 10 Dec, 9:00 AM$/);
  const ref = /\n {2}([0-9a-f]{8}) Thu 3 Dec/.exec(booked)![1];
  expect(await text(`cancel ${ref} rest`)).toMatch(/^Cancelled 2 appointments of the series/);
});

it('in Slack or Teams: a doctor books a series for a patient they see, by name', async () => {
  const olivia = await insertPatient(h.db, { name: 'Olivia Grant', phone: '+15550509001', dateOfBirth: '1979-07-07', timeZone: LONDON });
  await h.services.booking.book(olivia, { doctorId: rahman.id, patientId: olivia.patientId, startsAt: london('2026-12-01T15:00'), channel: 'sms' });
  const say = async (text: string) => chat.say('aisha.rahman@demo.clinic', text, 'console');
  expect(await say('Olivia Grant every Wednesday at 9 for 3 weeks')).toBe('Book Olivia Grant every Wednesday at 9:00 AM: 3 visits, Wed 2 Dec to Wed 16 Dec? Reply YES or NO.');
  expect(await say('yes')).toMatch(/^Booked 3 visits for Olivia Grant, Wed 2 Dec, 9:00 AM to Wed 16 Dec, 9:00 AM\. Each gets its reminders\.$/);
  expect(await h.db.models.Appointment.count({ where: { patientId: olivia.patientId, status: 'booked' } })).toBe(4);
  // A stranger is nobody the doctor may book.
  expect(await say('Zed Nobody every Thursday at 9 for 3 weeks')).toMatch(/None of your patients is called "zed nobody"/i);
});

it('in Spanish: "cada lunes a las 11 durante 3 semanas"', async () => {
  const p = await patient();
  await h.db.models.Patient.update({ locale: 'es' }, { where: { id: p.patientId } });
  const say = async (text: string) => chat.say(p.phone, text);
  expect(await say('seguimiento con la Dra Rahman cada jueves a las 16 durante 3 semanas')).toBe(
    '¿Reservo con Dr Aisha Rahman cada jueves a las 16:00: 3 visitas, del jue 3 dic al jue 17 dic en London Bridge Clinic? Responda SI o NO.',
  );
  expect(await say('sí')).toMatch(/^Reservadas 3 visitas con Dr Aisha Rahman, cada jueves a las 16:00, del jue 3 dic al jue 17 dic en London Bridge Clinic, 5 Tooley St, London\./);
});
