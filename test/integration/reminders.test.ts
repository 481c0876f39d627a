import { QueueEvents } from 'bullmq';
import { DateTime } from 'luxon';
import nock from 'nock';
import twilio from 'twilio';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import { awaitReminderReply } from '../../dialogs/patient/reminder-reply';
import { createTwilioSmsSender } from '../../adapters/sms/sms-sender';
import type { Actor } from '../../src/domain/actor';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { createLogger } from '../../src/logging';
import { createReminderSystem, type ReminderSystem } from '../../src/reminders';
import { processNotification } from '../../src/reminders/notifications';
import { reminderJobId } from '../../src/reminders/queues';
import { processReminder, type ReminderDeps } from '../../src/reminders/reminder-worker';
import { createChat } from '../support/dialog-harness';
import { TEST_REDIS_URL } from '../support/env';
import { createHarness, type Harness } from '../support/harness';

const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const SID = `AC${'b'.repeat(32)}`;
const logger = createLogger('silent', { write: () => undefined });

let h: Harness;
let system: ReminderSystem;
let deps: ReminderDeps;
let admin: Actor;
let doctor: Actor & { doctorId: string };
let phoneSeq = 0;
const texts: Array<{ to: string; body: string }> = [];

/** Twilio's Messages API, as nock plays it: every text is recorded. */
function twilioAccepts(status = 201) {
  return nock('https://api.twilio.com')
    .persist()
    .post(`/2010-04-01/Accounts/${SID}/Messages.json`)
    .reply(function (_uri, body) {
      const params = new URLSearchParams(body as string);
      if (status < 300) texts.push({ to: params.get('To')!, body: params.get('Body')! });
      return [status, status < 300 ? { sid: `SM${'1'.repeat(32)}`, status: 'queued' } : { code: 20500, message: 'Internal error', status }];
    });
}

async function newPatient(name = 'Maria Garcia') {
  const phone = `+1555060${String(phoneSeq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name, phone, dateOfBirth: '1988-04-12', timeZone: NY })), phone };
}

const book = (p: Actor & { patientId: string }, iso: string) =>
  h.services.booking.book(p, { doctorId: doctor.doctorId, patientId: p.patientId, startsAt: ny(iso), channel: 'sms' });

async function delayedJob(appointmentId: string, offset: number) {
  return system.queues.reminders.getJob(reminderJobId(appointmentId, offset));
}

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('reminders', { now: '2026-11-30T13:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Admin', email: 'admin@test' });
  doctor = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '18:00' }] });
  const sms = createTwilioSmsSender({
    client: twilio(SID, 'token_0123456789abcdef', { keepAlive: false }),
    from: '+15550001111',
    messagingServiceSid: null,
    status: (phone) => h.services.patients.smsStatus(phone),
    markOptedOut: (phone) => h.services.patients.setSmsOptOut(phone, true, 'carrier'),
    logger,
  });
  const store = createRedisConversationStore(h.redis, h.prefix);
  const awaitReply = (phone: string, id: string, startsAt: number) => awaitReminderReply(store, phone, id, startsAt, h.clock.now());
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
    logger,
    awaitReply,
  });
  deps = { db: h.db, settings: h.services.settings, sms, clinicName: 'Demo Clinic', now: h.clock.now, logger, awaitReply };
  // A booking's answer does not wait for the outbox relay; these tests look at the queues a moment
  // later, so each change waits for the relay that follows it (the system's of the moment).
  const booking = h.services.booking as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['book', 'cancel', 'reschedule', 'bookSeries', 'cancelSeries']) {
    const original = booking[name].bind(h.services.booking);
    booking[name] = async (...args: unknown[]) => {
      const result = await original(...args);
      await system.relay.drain();
      return result;
    };
  }
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await system.close();
  await h.close();
});
beforeEach(() => {
  h.clock.set('2026-11-30T13:00:00Z');
  texts.length = 0;
});
afterEach(() => nock.cleanAll());

describe('scheduling', () => {
  it('puts 24 h and 2 h reminders on the queue as delayed jobs with deterministic ids', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-02T14:00');
    const day = (await delayedJob(a.id, 1440))!;
    const two = (await delayedJob(a.id, 120))!;
    expect(await day.getState()).toBe('delayed');
    // Due times measured against the service's clock, whatever the wall clock says.
    expect(day.opts.delay).toBe(ny('2026-12-01T14:00').getTime() - h.clock.now());
    expect(two.opts.delay).toBe(ny('2026-12-02T12:00').getTime() - h.clock.now());
    expect(day.opts.attempts).toBe(6);
    expect(day.opts.backoff).toEqual({ type: 'exponential', delay: 30_000 });
  });

  it('never schedules twice: scheduling again and reconciling add nothing new', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-03T14:00');
    const before = await system.queues.reminders.getJobCounts('delayed');
    await system.scheduler.schedule(a.id);
    await system.scheduler.reconcile();
    expect(await system.queues.reminders.getJobCounts('delayed')).toEqual(before);
  });

  it('moves the 2 h reminder out of quiet hours, to the evening before', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-04T09:00');
    expect((await delayedJob(a.id, 120))!.opts.delay).toBe(ny('2026-12-03T20:45').getTime() - h.clock.now());
  });

  it('removes them when the appointment is cancelled, and moves them when it is rescheduled', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-05T14:00');
    const moved = await h.services.booking.reschedule(p, a.id, ny('2026-12-06T15:00'));
    expect(await delayedJob(a.id, 1440)).toBeUndefined();
    expect(await delayedJob(a.id, 120)).toBeUndefined();
    expect((await delayedJob(moved.id, 120))!.opts.delay).toBe(ny('2026-12-06T13:00').getTime() - h.clock.now());
    await h.services.booking.cancel(p, moved.id);
    expect(await delayedJob(moved.id, 1440)).toBeUndefined();
    expect(await delayedJob(moved.id, 120)).toBeUndefined();
  });
});

describe('the worker', () => {
  it('sends a short reminder on time through the real worker, once', async () => {
    twilioAccepts();
    const p = await newPatient('Maria Garcia');
    const a = await book(p, '2026-12-07T14:00');
    await system.startWorkers();
    const events = new QueueEvents('reminders', { connection: { url: TEST_REDIS_URL } as never, prefix: system.queues.prefix });
    await events.waitUntilReady();
    try {
      h.clock.set(ny('2026-12-06T14:00'));
      const job = (await delayedJob(a.id, 1440))!;
      const done = job.waitUntilFinished(events, 10_000);
      // Due now by the test's clock: promoted rather than waited for.
      await job.promote();
      expect(await done).toBe('sent');
    } finally {
      await events.close();
    }
    expect(texts).toEqual([
      { to: p.phone, body: 'Hi Maria, a reminder of your appointment at Demo Clinic on Mon 7 Dec at 2:00 PM. Reply C to confirm, R to change it or X to call it off.' },
    ]);
    // Nothing clinical: no doctor, no specialty, no reason.
    expect(texts[0].body).not.toMatch(/Patel|Dermatology|Dr/);
    // The same reminder run again (BullMQ is at-least-once) sends nothing more.
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 1440 } })).toBe('duplicate');
    expect(texts).toHaveLength(1);
  });

  it('skips an appointment cancelled after its job was queued', async () => {
    twilioAccepts();
    const p = await newPatient();
    const a = await book(p, '2026-12-08T14:00');
    await h.services.booking.cancel(p, a.id);
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 120 } })).toBe('skipped');
    expect(texts).toEqual([]);
  });

  it('sends nothing to a patient who opted out, and records why', async () => {
    const scope = twilioAccepts();
    const p = await newPatient();
    const a = await book(p, '2026-12-08T15:00');
    await h.services.patients.setSmsOptOut(p.phone, true, 'keyword');
    h.clock.set(ny('2026-12-08T13:00'));
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 120 } })).toBe('skipped');
    expect(texts).toEqual([]);
    expect(scope.isDone()).toBe(false);
    const [row] = await h.db.sequelize.query(`SELECT status, reason FROM reminder_deliveries WHERE appointment_id = '${a.id}'`);
    expect(row).toEqual([{ status: 'skipped', reason: 'opted-out' }]);
  });

  it('defers a late reminder that would land in quiet hours', async () => {
    twilioAccepts();
    const p = await newPatient();
    const a = await book(p, '2026-12-09T10:00');
    h.clock.set(ny('2026-12-08T23:30'));
    let delayedTo = 0;
    const job = { data: { appointmentId: a.id, offsetMinutes: 120 }, moveToDelayed: async (ts: number) => void (delayedTo = ts) };
    await expect(processReminder(deps, job as never)).rejects.toThrow();
    // 08:00 is eight and a half hours after 23:30.
    expect(Math.round((delayedTo - Date.now()) / 60_000)).toBe(510);
    expect(texts).toEqual([]);
  });

  it('sends one text when the same reminder runs twice at the same moment (their claims share one statement)', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-10T15:00');
    h.clock.set(ny('2026-12-10T13:00'));
    twilioAccepts();
    const job = { data: { appointmentId: a.id, offsetMinutes: 120 } };
    const outcomes = await Promise.all([processReminder(deps, job), processReminder(deps, job), processReminder(deps, job)]);
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'sent']);
    expect(texts).toHaveLength(1);
    const rows = await h.db.models.ReminderDelivery.findAll({ where: { appointmentId: a.id } });
    expect(rows.map((r) => [r.offsetMinutes, r.status])).toEqual([[120, 'sent']]);
  });

  it('gives the claim back when Twilio fails, so the retry sends it once', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-10T14:00');
    h.clock.set(ny('2026-12-10T12:00'));
    twilioAccepts(500);
    await expect(processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 120 } })).rejects.toThrow(/sms send failed/);
    nock.cleanAll();
    twilioAccepts();
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 120 } })).toBe('sent');
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 120 } })).toBe('duplicate');
    expect(texts).toHaveLength(1);
  });
});

describe('answering a reminder', () => {
  it('C confirms, X cancels, R offers new times', async () => {
    twilioAccepts();
    const chat = createChat(h);
    const confirm = await newPatient('Casey Confirm');
    const cancel = await newPatient('Xavi Cancel');
    const move = await newPatient('Robin Move');
    const [a1, a2, a3] = [await book(confirm, '2026-12-11T10:00'), await book(cancel, '2026-12-11T11:00'), await book(move, '2026-12-11T12:00')];
    h.clock.set(ny('2026-12-10T12:00'));
    for (const a of [a1, a2, a3]) expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 1440 } })).toBe('sent');
    // Hours later: the conversation still knows what C, R and X answer.
    h.clock.set(ny('2026-12-10T18:00'));
    expect(await chat.say(confirm.phone, 'C')).toMatch(/Thanks, Casey! See you on Fri 11 Dec, 10:00 AM/);
    expect(await chat.say(cancel.phone, 'x')).toMatch(/Done: your appointment on Fri 11 Dec, 11:00 AM is called off/);
    // R leads to the doctor's name and times: the date of birth first, and nothing named before it.
    const asked = await chat.say(move.phone, 'R');
    expect(asked).toBe('To keep your details private, please reply with your date of birth (for example 04/12/1988).');
    expect(await chat.say(move.phone, '04/12/1988')).toMatch(/^Free times with Dr Anika Patel:\n1 /);
    const rows = await h.db.sequelize.query<{ id: string; status: string; confirmed: boolean }>(
      `SELECT id, status, patient_confirmed_at IS NOT NULL AS confirmed FROM appointments WHERE id IN ('${a1.id}', '${a2.id}')`,
      { type: 'SELECT' as never },
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.status, r.confirmed]]))).toEqual({ [a1.id]: ['booked', true], [a2.id]: ['cancelled', false] });
  });
});

describe('a Spanish-speaking patient', () => {
  it('gets the reminder in Spanish and answers it in Spanish', async () => {
    twilioAccepts();
    const chat = createChat(h);
    const p = await newPatient('Lucía Fernández');
    await h.db.models.Patient.update({ locale: 'es' }, { where: { id: p.patientId } });
    // One a day with the same doctor is the clinic's cap: the second is on the next day.
    const [confirm, cancel] = [await book(p, '2027-01-12T10:30'), await book(p, '2027-01-13T10:30')];
    h.clock.set(ny('2027-01-11T12:00'));
    texts.length = 0;
    expect(await processReminder(deps, { data: { appointmentId: confirm.id, offsetMinutes: 1440 } })).toBe('sent');
    expect(texts).toEqual([{ to: p.phone, body: 'Hola Lucía, le recordamos su cita en Demo Clinic el mar 12 ene a las 10:30. Responda C para confirmar, R para cambiarla o X para anularla.' }]);
    h.clock.set(ny('2027-01-11T18:00'));
    expect(await chat.say(p.phone, 'sí, allí estaré')).toBe('¡Gracias, Lucía! Le esperamos el mar 12 ene, 10:30.');
    h.clock.set(ny('2027-01-12T12:00'));
    expect(await processReminder(deps, { data: { appointmentId: cancel.id, offsetMinutes: 1440 } })).toBe('sent');
    expect(await chat.say(p.phone, 'X')).toBe('Hecho: su cita del mié 13 ene, 10:30 queda anulada. MENU para pedir otra.');
    const rows = await h.db.models.Appointment.findAll({ where: { id: [confirm.id, cancel.id] }, order: [['startsAt', 'ASC']] });
    expect(rows.map((r) => [r.status, Boolean(r.patientConfirmedAt)])).toEqual([['booked', true], ['cancelled', false]]);
  });
});

describe('answering a reminder in everyday words', () => {
  let slot = 0;
  it.each([
    ['yes', 'confirm'],
    ['Yes.', 'confirm'],
    ['confirm', 'confirm'],
    ['ok', 'confirm'],
    ['👍', 'confirm'],
    ['sure, see you then', 'confirm'],
    ['X', 'call off'],
    ['call it off', 'call off'],
    ['change', 'move'],
    ['r', 'move'],
    ['can I move it to friday?', 'move'],
  ])('"%s" is read as %s', async (said, meant) => {
    twilioAccepts();
    const chat = createChat(h);
    const p = await newPatient('Remi Nder');
    // Each case its own half hour of Wednesday 6 January 2027, 9:00 on.
    const at = DateTime.fromISO('2027-01-06T09:00', { zone: NY }).plus({ minutes: 30 * slot++ });
    const a = await book(p, at.toFormat("yyyy-MM-dd'T'HH:mm"));
    h.clock.set(at.minus({ hours: 24 }).toJSDate());
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 1440 } })).toBe('sent');
    // The reminder never asks for a carrier opt-out word: C, R and X are its answers.
    expect(texts.map((t) => t.body)).toEqual([expect.stringMatching(/Reply C to confirm, R to change it or X to call it off\.$/)]);
    expect(texts[0].body).not.toMatch(/\b(STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT|REVOKE|OPTOUT)\b/i);
    const reply = await chat.say(p.phone, said);
    const when = at.toFormat('ccc d LLL, h:mm a');
    const row = (await h.db.models.Appointment.findByPk(a.id))!;
    if (meant === 'confirm') {
      expect(reply).toBe(`Thanks, Remi! See you on ${when}.`);
      expect(row.patientConfirmedAt).not.toBeNull();
    } else if (meant === 'call off') {
      expect(reply).toContain(`your appointment on ${when} is called off`);
      expect(row.status).toBe('cancelled');
    } else {
      expect(reply).toMatch(/date of birth/);
      expect(row.status).toBe('booked');
      expect(row.patientConfirmedAt).toBeNull();
    }
  });
});

describe('surviving restarts', () => {
  it('keeps jobs in Redis across a restart, and reconciliation rebuilds a lost one', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-14T14:00');
    await system.close();
    system = createReminderSystem({ ...deps, redis: TEST_REDIS_URL, redisPrefix: h.prefix, audit: h.services.audit, events: h.services.events, staff: null });
    expect(await delayedJob(a.id, 1440)).toBeDefined();
    // A job lost (a Redis flush, say) comes back from the appointments table.
    await system.queues.reminders.remove(reminderJobId(a.id, 1440));
    expect(await delayedJob(a.id, 1440)).toBeUndefined();
    expect(await system.scheduler.reconcile()).toBeGreaterThan(0);
    expect((await delayedJob(a.id, 1440))!.opts.delay).toBe(ny('2026-12-13T14:00').getTime() - h.clock.now());
    // A reminder already sent is not rebuilt.
    h.clock.set(ny('2026-12-13T14:00'));
    twilioAccepts();
    expect(await processReminder(deps, { data: { appointmentId: a.id, offsetMinutes: 1440 } })).toBe('sent');
    await system.queues.reminders.remove(reminderJobId(a.id, 1440));
    await system.scheduler.reconcile();
    expect(await delayedJob(a.id, 1440)).toBeUndefined();
  });
});

describe('notifications', () => {
  // The doctor's Slack or Teams, as far as this test cares: what they were sent.
  const staffSent: Array<{ userId: string; text: string }> = [];
  const staff = {
    async send(userId: string, text: string) {
      staffSent.push({ userId, text });
      return true;
    },
  };
  const ndeps = () => ({ db: h.db, settings: h.services.settings, audit: h.services.audit, sms: deps.sms, staff, clinicName: 'Demo Clinic', now: h.clock.now, logger });

  it('tells the doctor of a booking, and the patient when the clinic cancels', async () => {
    twilioAccepts();
    const p = await newPatient('Nina Notice');
    const a = await book(p, '2026-12-15T10:00');
    const booked = await system.queues.notifications.getJob(`ntf-doctor-booked-${a.id}`);
    expect(booked).toBeDefined();
    expect(await processNotification(ndeps(), { data: booked!.data })).toBe('sent');
    expect(staffSent.at(-1)).toEqual({ userId: doctor.userId, text: 'New booking: Nina Notice, Tue 15 Dec at 10:00 AM (30 min).' });

    await h.services.booking.cancel(doctor, a.id, 'the doctor is unavailable');
    const told = await system.queues.notifications.getJob(`ntf-patient-cancelled-${a.id}`);
    expect(await processNotification(ndeps(), { data: told!.data })).toBe('sent');
    expect(texts.at(-1)).toEqual({ to: p.phone, body: 'Hi Nina, your appointment at Demo Clinic on Tue 15 Dec at 10:00 AM has been cancelled by the clinic. Reply MENU to book another time.' });
  });

  it('does not text a patient who cancelled it themself', async () => {
    const p = await newPatient();
    const a = await book(p, '2026-12-15T11:00');
    await h.services.booking.cancel(p, a.id);
    expect(await system.queues.notifications.getJob(`ntf-patient-cancelled-${a.id}`)).toBeUndefined();
    expect(await system.queues.notifications.getJob(`ntf-doctor-cancelled-${a.id}`)).toBeDefined();
  });

  it('sends each doctor one morning digest, when switched on', async () => {
    const p = await newPatient('Dee Gest');
    await book(p, '2026-12-16T09:00');
    h.clock.set(ny('2026-12-16T07:40'));
    expect(await processNotification(ndeps(), { data: { kind: 'digest' } })).toBe('off');
    await h.services.settings.update(admin, 'doctorDigest', true);
    staffSent.length = 0;
    expect(await processNotification(ndeps(), { data: { kind: 'digest' } })).toBe('digests 1');
    expect(staffSent[0].text).toMatch(/^Good morning, Dr Anika Patel\. Today you have 1 appointment:\n9:00 AM Dee Gest$/);
    expect(await processNotification(ndeps(), { data: { kind: 'digest' } })).toBe('digests 0');
    await h.services.settings.update(admin, 'doctorDigest', false);
  });
});
