import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../../src/domain/actor';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { createLogger } from '../../src/logging';
import { createReminderSystem, type ReminderSystem } from '../../src/reminders';
import { endOffer, offerFreedTime, type WaitlistOfferDeps } from '../../src/reminders/waitlist-offers';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import { awaitWaitlistOffer } from '../../dialogs/patient/waitlist';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';
import { TEST_REDIS_URL } from '../support/env';

/**
 * The waitlist on the real database and queues: joining and leaving by text, a freed time offered
 * to the first in line with the time held for them, YES booking it, NO or silence passing it on,
 * quiet hours and opt-out respected, one live offer a patient, never the same time twice.
 */

const NY = 'America/New_York';
let h: Harness;
let chat: Chat;
let admin: Actor;
let doctor: Actor & { doctorId: string };
const texts: Array<{ to: string; body: string }> = [];
const sms = { send: async (to: string, body: string) => (texts.push({ to, body }), 'sent' as const) };
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
// Monday 30 November 2026, 10:00 in New York.
const START = '2026-11-30T15:00:00Z';
let deps: WaitlistOfferDeps;
let system: ReminderSystem;

let seq = 0;
async function patient(zone = NY) {
  const phone = `+1555070${String(seq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name: `Wanda Wait${seq}`, phone, dateOfBirth: '1975-05-05', timeZone: zone })), phone };
}
const offers = () =>
  h.db.sequelize.query<{ patient_id: string; starts_at: Date; outcome: string }>(`SELECT patient_id, starts_at, outcome FROM waitlist_offers ORDER BY offered_at, outcome`, { type: QueryTypes.SELECT });
const join = (p: Actor & { patientId: string }, fromDate = '2026-12-01', toDate = '2026-12-04', window: { start: number; end: number } | null = null) =>
  h.services.waitlist.join(p, { patientId: p.patientId, doctorId: doctor.doctorId, fromDate, toDate, window, zone: NY });

beforeAll(async () => {
  h = await createHarness('waitlist', { now: START });
  admin = await insertAdmin(h.db, { name: 'Ada', email: 'ada@wait.test' });
  doctor = await insertDoctor(h.db, { name: 'Will Waite', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  const store = createRedisConversationStore(h.redis, h.prefix);
  chat = createChat(h);
  system = createReminderSystem({
    redis: TEST_REDIS_URL,
    redisPrefix: h.prefix,
    db: h.db,
    settings: h.services.settings,
    audit: h.services.audit,
    events: h.services.events,
    sms,
    staff: null,
    clinicName: 'Demo Clinic',
    now: h.clock.now,
    logger: createLogger('silent'),
    waitlist: { services: h.services, awaitOffer: (phone, offerId, expiresAt) => awaitWaitlistOffer(store, phone, offerId, expiresAt, h.clock.now()) },
  });
  await system.startWorkers();
  deps = { services: h.services, sms, now: h.clock.now, logger: createLogger('silent'), queue: system.queues.waitlist, awaitOffer: (phone, offerId, expiresAt) => awaitWaitlistOffer(store, phone, offerId, expiresAt, h.clock.now()) };
});
afterAll(async () => {
  await system.close();
  await h.close();
});
beforeEach(async () => {
  h.clock.set(START);
  texts.length = 0;
  await h.db.sequelize.query(`UPDATE waitlist_entries SET ended_at = now(), ended_reason = 'left' WHERE ended_at IS NULL`);
});

it('by text: joins the waitlist for a doctor next week in the mornings, lists it and leaves it', async () => {
  const p = await patient();
  const say = (text: string) => chat.say(p.phone, text);
  expect(await say('put me on the waitlist for Dr Waite next week, mornings')).toBe(
    "Put you on the waitlist for Dr Will Waite, Mon 7 Dec to Sun 13 Dec, between 8:00 AM and 12:00 PM? We'll text you if a time opens. Reply YES or NO.",
  );
  expect(await say('yes')).toMatch(/^Done: you're on the waitlist for Dr Will Waite, Mon 7 Dec to Sun 13 Dec, between 8:00 AM and 12:00 PM\./);
  expect(await say('my waitlist')).toMatch(/^Your waitlist:\n1 Dr Will Waite, Mon 7 Dec to Sun 13 Dec, between 8:00 AM and 12:00 PM\n/);
  expect(await say('1')).toMatch(/^Done: you're off the waitlist for Dr Will Waite/);
  expect(await h.services.waitlist.list(p, p.patientId)).toEqual([]);
});

it('a cancellation is offered by text to the first in line, the time held for them; YES books it', async () => {
  const [booker, first, second] = [await patient(), await patient(), await patient()];
  await join(first);
  await join(second);
  const appt = await h.services.booking.book(booker, { doctorId: doctor.doctorId, patientId: booker.patientId, startsAt: ny('2026-12-01T09:30'), channel: 'sms' });
  await h.services.booking.cancel(booker, appt.id);
  for (let i = 0; i < 100 && texts.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(texts).toEqual([{ to: first.phone, body: 'A 9:30 AM time with Dr Will Waite on Tue 1 Dec just opened. Reply YES within 15 minutes to take it, or NO.' }]);
  // Held for them: nobody else may take it meanwhile.
  expect(await h.services.availability.freeSlots(doctor.doctorId, ny('2026-12-01T09:30'), ny('2026-12-01T09:31'))).toEqual([]);
  expect(await chat.say(first.phone, 'yes')).toMatch(/^Booked: Dr Will Waite on Tue 1 Dec, 9:30 AM/);
  const booked = await h.db.models.Appointment.findAll({ where: { patientId: first.patientId, status: 'booked' } });
  expect(booked.map((a) => a.startsAt)).toEqual([ny('2026-12-01T09:30')]);
  // Their entry is done; the second in line was never texted.
  expect(await h.services.waitlist.list(first, first.patientId)).toEqual([]);
  expect(texts.map((t) => t.to)).toEqual([first.phone]);
});

it('NO passes the time to the next in line; silence does too, at expiry', async () => {
  const [a, b, c] = [await patient(), await patient(), await patient()];
  for (const p of [a, b, c]) await join(p);
  const at = ny('2026-12-02T10:00').getTime();
  expect(await offerFreedTime(deps, doctor.doctorId, at)).toBe('offered');
  expect(texts.map((t) => t.to)).toEqual([a.phone]);
  // A says NO: the event queues the next offer (a job with a fixed id), and the worker texts B.
  expect(await chat.say(a.phone, 'no')).toMatch(/^OK, we'll offer it to someone else\./);
  for (let i = 0; i < 100 && texts.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  expect(texts.map((t) => t.to)).toEqual([a.phone, b.phone]);
  // B says nothing: at expiry the hold goes and C is offered it.
  const live = (await h.db.sequelize.query<{ id: string }>(`SELECT id FROM waitlist_offers WHERE outcome = 'offered'`, { type: QueryTypes.SELECT }))[0];
  expect(await endOffer(deps, live.id, 'expired')).toBe(false); // not expired yet
  h.clock.advance(15 * 60_000);
  expect(await endOffer(deps, live.id, 'expired')).toBe(true);
  expect(texts.map((t) => t.to)).toEqual([a.phone, b.phone, c.phone]);
  // B's late YES is told the offer is gone.
  expect(await chat.say(b.phone, 'yes')).toMatch(/^Sorry, that offer is no longer open\./);
  const outcomes = (await offers()).filter((o) => new Date(o.starts_at).getTime() === at).map((o) => o.outcome);
  expect(outcomes).toEqual(['declined', 'expired', 'offered']);
});

it('passes over patients in their quiet hours, opted out, or outside their parts of the day, and offers a time to nobody twice', async () => {
  const london = await patient('Europe/London'); // 10:00 in New York is 15:00 in London: fine; quiet hours are checked at now
  const sleeper = await patient('Asia/Tokyo'); // now is 00:00 in Tokyo: quiet hours
  const optedOut = await patient();
  const afternoons = await patient();
  await h.db.models.Patient.update({ smsOptOut: true }, { where: { id: optedOut.patientId } });
  await h.services.waitlist.join(sleeper, { patientId: sleeper.patientId, doctorId: doctor.doctorId, fromDate: '2026-12-02', toDate: '2026-12-05', zone: 'Asia/Tokyo' });
  await join(optedOut);
  await join(afternoons, '2026-12-01', '2026-12-04', { start: 12 * 60, end: 17 * 60 });
  await h.services.waitlist.join(london, { patientId: london.patientId, doctorId: doctor.doctorId, fromDate: '2026-12-03', toDate: '2026-12-03', zone: 'Europe/London' });
  const at = ny('2026-12-03T11:00').getTime();
  expect(await offerFreedTime(deps, doctor.doctorId, at)).toBe('offered');
  expect(texts.map((t) => t.to)).toEqual([london.phone]);
  // Declined, and offered again later: never to the same patient twice.
  await h.services.waitlist.answer(london, (await h.services.waitlist.liveOffer(london, london.patientId))!.id, 'declined');
  expect(await offerFreedTime(deps, doctor.doctorId, at)).toBe('nobody');
  expect(texts).toHaveLength(1);
});

it('a time too close to answer for is not offered; a patient has one live offer at a time', async () => {
  const p = await patient();
  await join(p, '2026-11-30', '2026-12-04');
  expect(await offerFreedTime(deps, doctor.doctorId, ny('2026-11-30T11:00').getTime())).toBe('too-late');
  expect(await offerFreedTime(deps, doctor.doctorId, ny('2026-12-04T09:00').getTime())).toBe('offered');
  expect(await offerFreedTime(deps, doctor.doctorId, ny('2026-12-04T10:00').getTime())).toBe('nobody');
  expect(texts).toHaveLength(1);
});

it('reports who waits and how many freed times the waitlist filled', async () => {
  const p = await patient();
  await join(p);
  const report = await h.services.reports.report(admin, '2026-11-01', '2026-12-31');
  expect(report.waitlist.waiting).toEqual([{ doctor: 'Will Waite', entries: 1 }]);
  expect(report.waitlist.offered).toBeGreaterThanOrEqual(4);
  expect(report.waitlist.filled).toBe(1);
});

it('two freed times offered at once to the same first in line: one offer, and its hold stays', async () => {
  const p = await patient();
  await join(p, '2026-12-01', '2026-12-04');
  const results = await Promise.all([offerFreedTime(deps, doctor.doctorId, ny('2026-12-03T09:00').getTime()), offerFreedTime(deps, doctor.doctorId, ny('2026-12-03T09:30').getTime())]);
  expect(results.filter((r) => r === 'offered')).toHaveLength(1);
  const [backed] = await h.db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM waitlist_offers o JOIN appointments a ON a.id = o.hold_id AND a.status = 'held' WHERE o.outcome = 'offered' AND o.patient_id = :p`,
    { replacements: { p: p.patientId }, type: QueryTypes.SELECT },
  );
  expect(Number(backed.n)).toBe(1);
});

it('time off removed opens times the waitlist is offered', async () => {
  const p = await patient();
  await join(p, '2026-12-07', '2026-12-07');
  const off = await h.services.availability.addTimeOff(admin, doctor.doctorId, { startsAt: ny('2026-12-07T00:00'), endsAt: ny('2026-12-08T00:00') });
  await h.services.availability.removeTimeOff(admin, off.timeOff.id);
  for (let i = 0; i < 100 && !texts.some((t) => t.to === p.phone); i++) await new Promise((r) => setTimeout(r, 50));
  expect(texts.filter((t) => t.to === p.phone).map((t) => t.body)).toEqual(['A 9:00 AM time with Dr Will Waite on Mon 7 Dec just opened. Reply YES within 15 minutes to take it, or NO.']);
});

it('by text: a name two doctors share is asked about, with both listed', async () => {
  await insertDoctor(h.db, { name: 'Wes Waite', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '13:00', end: '17:00' }] });
  const fresh = createChat(h); // a new engine: the directory is read afresh
  const p = await patient();
  expect(await fresh.say(p.phone, 'put me on the waitlist for Dr Waite next week')).toBe('Which doctor? Reply with a number:\n1 Dr Wes Waite\n2 Dr Will Waite');
  expect(await fresh.say(p.phone, '1')).toMatch(/^Put you on the waitlist for Dr Wes Waite, Mon 7 Dec to Sun 13 Dec\?/);
});
