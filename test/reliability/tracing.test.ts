import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { DateTime } from 'luxon';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';
import { FakePlatforms, Instance, freePort, get, instanceEnv, messages, sms } from './support';

/**
 * OpenTelemetry, as an operator turns it on: the service started with OTEL_EXPORTER_OTLP_ENDPOINT
 * pointing at a collector (a local server reading OTLP/HTTP JSON). One booking by SMS must arrive as
 * traces from the webhook down to the SQL and Redis calls, and no span may carry who the patient is
 * or what they wrote.
 */
const NY = 'America/New_York';
const PHONE = '+15550940001';
const NAME = 'Quintessa Tracewell';
let tdb: TestDatabase;
let app: Instance;
let collector: FakePlatforms;
const prefix = scopedName('rel_trace');

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

function spans(): Span[] {
  return collector.calls
    .filter((c) => c.path === '/v1/traces')
    .flatMap((c) => (c.body.resourceSpans as Array<{ scopeSpans: Array<{ spans: Span[] }> }>).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}
const attr = (span: Span, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

beforeAll(async () => {
  tdb = await createTestDatabase('rel_trace');
  const { User, Doctor, AvailabilityRule, Patient } = tdb.db.models;
  const day = DateTime.now().setZone(NY).plus({ days: 2 }).startOf('day');
  const user = await User.create({ role: 'doctor', email: null, displayName: 'Otel D' });
  const doctor = await Doctor.create({ userId: user.id, fullName: 'Otel D', timeZone: NY, slotMinutes: 15 });
  await AvailabilityRule.create({ doctorId: doctor.id, weekday: day.weekday, startTime: '09:00', endTime: '12:00', validFrom: day.toISODate(), validTo: day.toISODate() });
  const patientUser = await User.create({ role: 'patient', email: null, displayName: NAME });
  await Patient.create({ userId: patientUser.id, fullName: NAME, dateOfBirth: '1971-03-14', phoneE164: PHONE, timeZone: NY });
  await tdb.db.sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) VALUES ('sms', :phone, :userId)`, {
    replacements: { phone: PHONE, userId: patientUser.id },
  });
  collector = new FakePlatforms();
  await collector.start();
  app = new Instance(await freePort(), {
    ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }),
    TWILIO_API_URL: collector.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_SERVICE_NAME: 'cc-tracing-test',
    // Batches go out every 200 ms rather than every 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  await app.start();
});

afterAll(async () => {
  await app?.stop();
  await collector?.stop();
  await tdb?.drop();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

it('traces a booking from the webhook to the SQL, with nothing about the patient in any span', async () => {
  const texts = ['book with dr otel d', DateTime.now().setZone(NY).plus({ days: 2 }).set({ hour: 10, minute: 0 }).toFormat('LLL d h:mma'), 'yes'];
  const replies: string[] = [];
  for (const text of texts) replies.push(messages((await sms(app.port, PHONE, text)).body));
  expect(replies[2]).toMatch(/^Booked: Dr Otel D/);
  for (let i = 0; i < 5; i++) await get(app.port, '/healthz');

  // Everything is exported once the process shuts down (the last batch is flushed on SIGTERM).
  await app.stop();
  const all = spans();

  // One trace per webhook: the server span, the pipeline, the dialog turn, then SQL and Redis.
  const servers = all.filter((s) => s.kind === 2 && /POST/.test(s.name));
  expect(servers).toHaveLength(3);
  const bookingTrace = all.filter((s) => s.traceId === servers[2].traceId);
  const byId = new Map(bookingTrace.map((s) => [s.spanId, s]));
  const ancestry = (s: Span): string[] => (s.parentSpanId && byId.has(s.parentSpanId) ? [byId.get(s.parentSpanId)!.name, ...ancestry(byId.get(s.parentSpanId)!)] : []);

  const inbound = bookingTrace.find((s) => s.name === 'inbound sms')!;
  expect(inbound.parentSpanId).toBe(servers[2].spanId);
  expect(attr(inbound, 'inbound.outcome')).toBe('answered');
  const turn = bookingTrace.find((s) => s.name === 'dialog turn')!;
  expect(turn.parentSpanId).toBe(inbound.spanId);
  expect(attr(turn, 'messaging.system')).toBe('sms');

  // The booking's write is a prepared statement (src/db/pipelined-transaction.ts), named by its label.
  const insert = bookingTrace.find((s) => s.name === 'pg EXECUTE book');
  expect(insert).toBeDefined();
  expect(attr(insert!, 'db.statement')).toBe('EXECUTE book');
  expect(ancestry(insert!)).toContain('dialog turn');
  expect(bookingTrace.some((s) => attr(s, 'db.system') === 'redis' || attr(s, 'db.system.name') === 'redis')).toBe(true);

  // The first message was read as a booking request, and the turn says so.
  const firstTurn = all.find((s) => s.traceId === servers[0].traceId && s.name === 'dialog turn')!;
  expect(attr(firstTurn, 'dialog.intent')).toBe('book');

  // Probes are not traced.
  expect(all.some((s) => /healthz/.test(JSON.stringify(s.attributes)))).toBe(false);

  // Sequelize writes values into SQL; no span may carry the phone, the name, the birth date or the words.
  const exported = JSON.stringify(all);
  for (const secret of [PHONE, PHONE.slice(2), 'Quintessa', 'Tracewell', '1971-03-14', 'book with dr otel d']) expect(exported).not.toContain(secret);
});

it('refuses to start with an endpoint that is not a URL, and says so', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../app/main.ts')], {
    env: { ...process.env, ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }), OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
});
