import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { createSequelize, ensureDatabase } from '../../src/db/database';
import { createMigrator } from '../../src/db/migrator';
import { createDb, type Db } from '../../src/db/models';
import { planReminders } from '../../src/domain/reminders';
import { defaultSettings } from '../../src/domain/settings';
import { reminderJobId } from '../../src/reminders/queues';
import { Instance, OwnPostgres, OwnRedis, freePort, instanceEnv, messages, sms } from './support';
import { scopedName } from '../support/run-scope';

const NY = 'America/New_York';
// Both servers are the suite's own, so taking them down touches nobody else's.
let pg: OwnPostgres;
let dbUrl: string;
let db: Db;
let redis: OwnRedis;
let instances: Instance[];
let prefix: string;
const phones: string[] = [];
let round = 0;

type Outcome = { phone: string; status: number; text: string };

beforeAll(async () => {
  pg = new OwnPostgres(await freePort());
  await pg.start();
  dbUrl = pg.url('cc_rel_outage');
  await ensureDatabase(dbUrl);
  db = openDb();
  await createMigrator(db.sequelize).up();
  redis = new OwnRedis(await freePort());
  await redis.start();
  const { User, Doctor, AvailabilityRule, Patient } = db.models;
  // Three doctors with plenty of slots every day from tomorrow: load with real contention.
  for (const name of ['Ada Outage', 'Ben Outage', 'Cy Outage']) {
    const user = await User.create({ role: 'doctor', email: null, displayName: name });
    const doctor = await Doctor.create({ userId: user.id, fullName: name, timeZone: NY, slotMinutes: 15 });
    await AvailabilityRule.bulkCreate([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ doctorId: doctor.id, weekday, startTime: '09:00', endTime: '18:00', validFrom: null, validTo: null })));
  }
  const users = await User.bulkCreate(Array.from({ length: 150 }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `P${i}` })));
  await Patient.bulkCreate(
    users.map((u, i) => {
      phones.push(`+1555091${String(i).padStart(4, '0')}`);
      return { userId: u.id, fullName: `Load ${i}`, dateOfBirth: '1990-01-01', phoneE164: phones[i], timeZone: NY };
    }),
  );
  await db.sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) SELECT 'sms', phone_e164, user_id FROM patients`);
  prefix = scopedName('rel_outage');
  const env = instanceEnv({ databaseUrl: dbUrl, redisUrl: redis.url, prefix });
  instances = [new Instance(await freePort(), env), new Instance(await freePort(), env)];
  await Promise.all(instances.map((i) => i.start()));
});

afterAll(async () => {
  await Promise.all((instances ?? []).map((i) => i.stop()));
  await redis?.stop();
  await db?.sequelize.close().catch(() => undefined);
  await pg?.destroy();
});

function openDb(): Db {
  return createDb(createSequelize({ url: dbUrl, poolMax: 5 }));
}

/** One patient's whole booking: pick a doctor, the first time offered, yes. Every reply kept. */
async function conversation(phone: string, i: number): Promise<Outcome[]> {
  const port = instances[i % 2].port;
  const doctor = ['ada outage', 'ben outage', 'cy outage'][i % 3];
  const out: Outcome[] = [];
  for (const text of ['menu', `book dr ${doctor}`, '1', 'yes']) {
    const res = await sms(port, phone, text);
    out.push({ phone, status: res.status, text: messages(res.body) });
  }
  return out;
}

/** Conversations, a few at a time per patient group, until `ms` has passed; `during` runs meanwhile. */
async function underLoad(ms: number, during: () => Promise<void>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const end = Date.now() + ms;
  const lanes = Array.from({ length: 30 }, async (_, lane) => {
    for (let k = 0; Date.now() < end; k++) {
      // The last ten patients are kept out of the load: the recovery checks book as them, and a
      // patient the load already booked could be told "you already have an appointment then".
      const i = (lane * 5 + (k % 5) + round * 7) % (phones.length - 10);
      outcomes.push(...(await conversation(phones[i], i)));
    }
  });
  await Promise.all([...lanes, during()]);
  round++;
  return outcomes;
}

/** Recovery: within a few seconds a whole booking works again, on each instance. */
async function eventuallyBooks(phone: string, i: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const c = await conversation(phone, i);
    last = c.map((o) => `[${o.status}] ${o.text}`).join('\n>> ');
    if (/^Booked: |just taken/.test(c.at(-1)!.text)) return;
    await sleep(250);
  }
  throw new Error(`no booking after recovery; last reply: ${last}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function noOverlaps(): Promise<number> {
  const [row] = await db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM appointments a JOIN appointments b ON a.id < b.id
       AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
       AND a.status <> 'cancelled' AND b.status <> 'cancelled' AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`,
    { type: QueryTypes.SELECT },
  );
  return Number(row.n);
}

/** Every "Booked:" a patient was told is a booked appointment in the database. */
async function confirmedAreKept(outcomes: Outcome[]): Promise<void> {
  const told = outcomes.filter((o) => /^Booked: /.test(o.text));
  const rows = await db.sequelize.query<{ phone_e164: string; starts_at: Date; full_name: string }>(
    `SELECT p.phone_e164, a.starts_at, d.full_name FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id WHERE a.status = 'booked'`,
    { type: QueryTypes.SELECT },
  );
  const held = new Set(rows.map((r) => `${r.phone_e164} Booked: Dr ${r.full_name} on ${DateTime.fromJSDate(new Date(r.starts_at), { zone: NY }).toFormat('ccc d LLL, h:mm a')}`));
  for (const t of told) expect(held).toContain(`${t.phone} ${t.text.replace(/\. We'll text you.*$/s, '')}`);
}

it('Redis stopped and started under load: every request answered, no double booking, nothing confirmed lost, reminders come back', async () => {
  const outcomes = await underLoad(9_000, async () => {
    await sleep(2_500);
    await redis.stop();
    await sleep(3_000);
    await redis.start();
  });
  // Never a 500 or a dropped connection: a polite TwiML answer every time.
  expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  expect(outcomes.some((o) => /having trouble right now|busy right now/.test(o.text))).toBe(true);
  expect(outcomes.filter((o) => /^Booked: /.test(o.text)).length).toBeGreaterThan(5);
  expect(await noOverlaps()).toBe(0);
  await confirmedAreKept(outcomes);

  // The restarted Redis came back empty: reconciliation rebuilds every future reminder job.
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('reminders', { connection, prefix: `${prefix}:bull` });
  try {
    // The reminders that should exist, by the same plan the service uses (some appointments are
    // too soon for any reminder).
    const booked = await db.sequelize.query<{ id: string; starts_at: Date; created_at: Date }>(
      `SELECT id, starts_at, created_at FROM appointments WHERE status = 'booked' AND starts_at > now()`,
      { type: QueryTypes.SELECT },
    );
    const settings = defaultSettings(NY);
    const expected = booked.flatMap((b) =>
      planReminders({ startsAt: new Date(b.starts_at).getTime(), bookedAt: new Date(b.created_at).getTime(), offsetsMinutes: settings.reminderOffsetsMinutes, zone: NY, quiet: settings.quietHours, now: Date.now() })
        .map((p) => reminderJobId(b.id, p.offsetMinutes)),
    );
    expect(expected.length).toBeGreaterThan(0);
    const deadline = Date.now() + 15_000;
    let missing = expected;
    while (Date.now() < deadline && missing.length > 0) {
      const found = await Promise.all(missing.map((id) => queue.getJob(id)));
      missing = missing.filter((_, k) => !found[k]);
      if (missing.length) await sleep(250);
    }
    expect(missing).toEqual([]);
  } finally {
    await queue.close();
    connection.disconnect();
  }

  // And the service carries on normally, on both instances, without a restart.
  await Promise.all([eventuallyBooks(phones[148], 0), eventuallyBooks(phones[149], 1)]);
  expect(instances.every((i) => i.alive())).toBe(true);
});

it('PostgreSQL restarted under load: requests fail cleanly meanwhile and recover without restarting the app', async () => {
  const outcomes = await underLoad(9_000, async () => {
    await sleep(2_000);
    // A real restart of the server: stopped as a crash stops it (every connection dropped, nothing
    // accepted), down for three seconds, then started, recovering from its write-ahead log.
    await pg.stop();
    await sleep(3_000);
    await pg.start();
  });
  expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  expect(outcomes.some((o) => /busy right now|having trouble right now|went wrong on our side/.test(o.text))).toBe(true);
  expect(outcomes.some((o) => /Error|stack|sequelize|ECONN/i.test(o.text))).toBe(false);
  // The test's own connections died with the server too.
  await db.sequelize.close().catch(() => undefined);
  db = openDb();
  expect(await noOverlaps()).toBe(0);
  await confirmedAreKept(outcomes);
  await Promise.all([eventuallyBooks(phones[146], 0), eventuallyBooks(phones[147], 1)]);
  expect(instances.every((i) => i.alive())).toBe(true);
});
