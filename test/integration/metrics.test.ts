import { DateTime } from 'luxon';
import twilio from 'twilio';
import { startMetricsServer } from '../../app/metrics-server';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createRedlockSlotLock } from '../../src/locks/slot-lock';
import { createLogger } from '../../src/logging';
import { createMetrics, type Metrics } from '../../src/observability/metrics';
import { createQueues, reminderJobId } from '../../src/reminders/queues';
import { createReminderWorker } from '../../src/reminders/reminder-worker';
import { createServices, type Services } from '../../src/services';
import { TEST_REDIS_URL } from '../support/env';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';
import { waitFor } from '../support/wait';

/**
 * GET /metrics as a scraper sees it: closed unless configured, then the figures of real requests,
 * conversations and bookings, and never a phone number or a name.
 */
const AUTH_TOKEN = 'test_auth_token_0123456789abcdef';
const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
const PUBLIC = 'https://bot.example-clinic.test';
const METRICS_TOKEN = 'scrape-me-0123456789abcdef';
const NY = 'America/New_York';
const env = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_FROM_NUMBER: '+15550001111', PUBLIC_BASE_URL: PUBLIC, METRICS_TOKEN };

let h: Harness;
let metrics: Metrics;
let services: Services;
let app: HttpApp;
let sid = 0;

beforeAll(async () => {
  h = await createHarness('metrics', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  metrics = createMetrics({ defaults: false });
  metrics.watchPool(h.db.sequelize);
  const locks = createRedlockSlotLock(h.redis, { prefix: h.prefix, ttlMs: 5000, onRefused: metrics.lockRefused });
  services = createServices({ db: h.db, locks, now: h.clock.now, clinicTimezone: NY, settingsCacheMs: 0, observeBooking: metrics.booking });
  app = await startApp(h, env, { twilioClient: twilio(ACCOUNT_SID, AUTH_TOKEN, { keepAlive: false }), metrics, services });
});
afterAll(async () => {
  await app.close();
  await h.close();
});

async function sms(from: string, body: string) {
  const params = { MessageSid: `SM${String(++sid).padStart(32, '0')}`, AccountSid: ACCOUNT_SID, From: from, To: '+15550001111', Body: body, NumMedia: '0' };
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params);
  return request(app.port, 'POST', '/sms', new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });
}
const scrape = (token: string | null = METRICS_TOKEN) => request(app.port, 'GET', '/metrics', '', token ? { authorization: `Bearer ${token}` } : {});
/** The value of one series, or 0 when it is not there. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('is closed without a token, and without the setting there is no route at all', async () => {
  expect((await scrape(null)).status).toBe(401);
  expect((await scrape('wrong-token-0123456789')).status).toBe(401);
  const closed = await startApp(h, { ...env, METRICS_TOKEN: '' as string }, { twilioClient: twilio(ACCOUNT_SID, AUTH_TOKEN, { keepAlive: false }), metrics });
  try {
    const res = await request(closed.port, 'GET', '/metrics', '', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(404);
  } finally {
    await closed.close();
  }
});

test('counts requests, inbound messages, turns by intent and bookings, and names no one', async () => {
  const phone = '+15550707070';
  await insertPatient(h.db, { name: 'Metric Person', phone, dateOfBirth: '1980-01-01', timeZone: NY });
  for (const text of ['book Dr Anika Patel Dec 2 10am', 'yes']) expect((await sms(phone, text)).status).toBe(200);
  // A request is counted when its handler has finished, which may be just after its answer went out.
  let res = await scrape();
  for (let i = 0; i < 40 && value(res.body, 'cc_http_request_duration_seconds_count{route="/sms",method="POST",status="200"}') < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    res = await scrape();
  }
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/text\/plain/);
  const text = res.body;
  expect(value(text, 'cc_http_request_duration_seconds_count{route="/sms",method="POST",status="200"}')).toBe(2);
  expect(value(text, 'cc_inbound_messages_total{channel="sms",outcome="answered"}')).toBe(2);
  expect(value(text, 'cc_dialog_turns_total{channel="sms",intent="book"}')).toBe(1);
  expect(value(text, 'cc_dialog_turns_total{channel="sms",intent="yes"}')).toBe(1);
  expect(value(text, 'cc_bookings_total{outcome="booked"}')).toBe(1);
  expect(text).toMatch(/cc_db_pool_connections\{state="free"\} \d+/);
  // No person in the figures: not the number, not the name, not what they wrote.
  expect(text).not.toMatch(/5550707070|Metric|Person|Patel/);
});

test('counts a slot taken and the lock refusals of a race for one slot', async () => {
  const patients = await Promise.all(
    Array.from({ length: 12 }, (_, i) => insertPatient(h.db, { name: `Racer ${i}`, phone: `+155507071${String(i).padStart(2, '0')}`, dateOfBirth: '1980-01-01', timeZone: NY })),
  );
  const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
  const startsAt = DateTime.fromISO('2026-12-03T09:00', { zone: NY }).toJSDate();
  const before = await scrape().then((r) => r.body);
  await Promise.allSettled(patients.map((p) => services.booking.book(p, { doctorId: patel.id, patientId: p.patientId, startsAt, channel: 'sms' })));
  const after = await scrape().then((r) => r.body);
  const delta = (series: string) => value(after, series) - value(before, series);
  expect(delta('cc_bookings_total{outcome="booked"}')).toBe(1);
  expect(delta('cc_bookings_total{outcome="taken"}')).toBe(11);
  // Most lost at the lock (held by the winner); the rest at the database.
  expect(delta('cc_slot_lock_refusals_total{reason="held"}')).toBeGreaterThan(0);
});

test('serves the figures on a port of its own, and nothing else there', async () => {
  const server = await startMetricsServer(metrics, 0, '127.0.0.1', createLogger('silent', { write: () => undefined }));
  try {
    const port = (server.address() as { port: number }).port;
    const res = await request(port, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('cc_bookings_total');
    expect((await request(port, 'GET', '/')).status).toBe(404);
    expect((await request(port, 'POST', '/metrics')).status).toBe(404);
  } finally {
    server.close();
  }
});

test('records how late reminders go out, and the queues\' depths', async () => {
  const worker = createMetrics({ defaults: false });
  const queues = createQueues(TEST_REDIS_URL, h.prefix);
  const queue = queues.reminders;
  worker.watchQueue('reminders', () => queue.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  const p = await insertPatient(h.db, { name: 'Late Reminder', phone: '+15550707199', dateOfBirth: '1980-01-01', timeZone: NY });
  const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
  const appt = await services.booking.book(p, { doctorId: patel.id, patientId: p.patientId, startsAt: DateTime.fromISO('2026-12-04T14:00', { zone: NY }).toJSDate(), channel: 'sms' });
  h.clock.set(DateTime.fromISO('2026-12-04T12:00', { zone: NY }).toJSDate());
  const sent: string[] = [];
  await queue.add('reminder', { appointmentId: appt.id, offsetMinutes: 120 }, { jobId: reminderJobId(appt.id, 120), delay: 300 });
  const delayed = await worker.registry.metrics();
  expect(value(delayed, 'cc_queue_jobs{queue="reminders",state="delayed"}')).toBe(1);
  const running = createReminderWorker({
    db: h.db,
    settings: services.settings,
    // The sending side stands in for Twilio here; the SMS adapter's own tests cover Twilio itself.
    sms: { send: async (to: string) => (sent.push(to), 'sent' as const) },
    clinicName: 'Demo Clinic',
    now: h.clock.now,
    logger: createLogger('silent', { write: () => undefined }),
    connection: queues.workerConnection(),
    prefix: queues.prefix,
    observeLateness: worker.reminderSent,
  });
  try {
    await waitFor(() => sent.length === 1, 10_000);
    // The figure is recorded as the job completes, just after the text went.
    let text = '';
    for (let i = 0; i < 100 && value(text, 'cc_reminder_lateness_seconds_count') !== 1; i++) {
      text = await worker.registry.metrics();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(value(text, 'cc_reminder_lateness_seconds_count')).toBe(1);
    // Sent within a couple of seconds of due, on this machine: it lands in a bucket of 5 s or less.
    expect(value(text, 'cc_reminder_lateness_seconds_bucket{le="5"}')).toBe(1);
  } finally {
    await running.close();
    await queue.obliterate({ force: true });
    await queues.close();
  }
});
