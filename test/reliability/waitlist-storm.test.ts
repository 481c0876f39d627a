import { DateTime } from 'luxon';
import Redis from 'ioredis';
import { QueryTypes } from 'sequelize';
import { createServices } from '../../src/services';
import { noSlotLock } from '../../src/locks/slot-lock';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';
import { FakePlatforms, Instance, freePort, instanceEnv, messages, sms, textsSent } from './support';

/**
 * A storm of cancellations on two instances with a waitlist: every freed time is offered, by text,
 * to one patient at a time; no patient holds two live offers; nobody is offered the same time twice;
 * a NO passes the time on. Checked in the database, and against the texts the platform received.
 */
const ZONE = 'UTC';
const FREED = 40;
const WAITING = 100;
let tdb: TestDatabase;
let instances: Instance[];
let platforms: FakePlatforms;
const prefix = scopedName('rel_waitlist');
const waitingPhones: string[] = [];
let doctorId: string;
const appointmentIds: string[] = [];
const bookerIds: Array<{ userId: string; patientId: string }> = [];

beforeAll(async () => {
  tdb = await createTestDatabase('rel_waitlist');
  const { User, Doctor, AvailabilityRule, Patient, Appointment, WaitlistEntry } = tdb.db.models;
  const day = DateTime.now().setZone(ZONE).plus({ days: 2 }).startOf('day');
  const user = await User.create({ role: 'doctor', email: null, displayName: 'Storm Doc' });
  doctorId = (await Doctor.create({ userId: user.id, fullName: 'Storm Doc', timeZone: ZONE, slotMinutes: 15 })).id;
  await AvailabilityRule.create({ doctorId, weekday: day.weekday, startTime: '08:00', endTime: '18:00', validFrom: day.toISODate(), validTo: day.toISODate() });
  const users = await User.bulkCreate(Array.from({ length: FREED + WAITING }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `S${i}` })));
  const patients = await Patient.bulkCreate(
    users.map((u, i) => ({ userId: u.id, fullName: `Storm ${i}`, dateOfBirth: '1990-01-01', phoneE164: `+1555094${String(i).padStart(4, '0')}`, timeZone: ZONE })),
  );
  await tdb.db.sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) SELECT 'sms', phone_e164, user_id FROM patients`);
  // Quiet hours down to one minute, so the hour the suite runs at does not hold offers back.
  await tdb.db.sequelize.query(`INSERT INTO settings (key, value) VALUES ('quietHours', '{"start":"03:00","end":"03:01"}'::jsonb)`);
  const booked = await Appointment.bulkCreate(
    patients.slice(0, FREED).map((p, i) => {
      const startsAt = day.set({ hour: 8 }).plus({ minutes: 15 * i });
      return { doctorId, patientId: p.id, startsAt: startsAt.toJSDate(), endsAt: startsAt.plus({ minutes: 15 }).toJSDate(), reason: null, channel: 'sms', createdBy: null };
    }),
  );
  booked.forEach((a, i) => {
    appointmentIds.push(a.id);
    bookerIds.push({ userId: users[i].id, patientId: patients[i].id });
  });
  await WaitlistEntry.bulkCreate(
    patients.slice(FREED).map((p) => {
      waitingPhones.push(p.phoneE164!);
      return { patientId: p.id, doctorId, specializationId: null, fromDate: day.toISODate()!, toDate: day.toISODate()!, windowStart: null, windowEnd: null, zone: ZONE };
    }),
  );
  platforms = new FakePlatforms();
  await platforms.start();
  const env = { ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }), TWILIO_API_URL: platforms.url };
  instances = [new Instance(await freePort(), env), new Instance(await freePort(), env)];
  await Promise.all(instances.map((i) => i.start()));
});

afterAll(async () => {
  await Promise.all((instances ?? []).map((i) => i.stop()));
  await platforms?.stop();
  await tdb?.drop();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

const offerTexts = () => textsSent(platforms).filter(([, body]) => /just opened\. Reply YES within/.test(body));

async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Offers of one time (or to one patient) never live at once: each ends before the next begins. */
async function overlaps(by: 'starts_at' | 'patient_id'): Promise<number> {
  const [row] = await tdb.db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM waitlist_offers a JOIN waitlist_offers b
        ON a.id < b.id AND a.${by} = b.${by} ${by === 'starts_at' ? 'AND a.doctor_id = b.doctor_id' : ''}
     WHERE tstzrange(a.offered_at, coalesce(a.answered_at, a.expires_at)) && tstzrange(b.offered_at, coalesce(b.answered_at, b.expires_at))
       AND a.outcome <> 'failed' AND b.outcome <> 'failed'`,
    { type: QueryTypes.SELECT },
  );
  return Number(row.n);
}

it(`${FREED} cancellations at once on two instances, one restarted mid-way: each freed time offered to one patient at a time, never twice to anyone`, async () => {
  // The storm: every booked patient calls off at once, through a third process's services.
  const services = createServices({ db: tdb.db, locks: noSlotLock, now: Date.now, clinicTimezone: ZONE, settingsCacheMs: 0 });
  await Promise.all(appointmentIds.map((id, i) => services.booking.cancel({ ...bookerIds[i], role: 'patient' }, id)));
  // The instances' outbox relays and workers take it from here.
  await until(() => offerTexts().length >= FREED);
  const first = offerTexts();
  expect(new Set(first.map(([to]) => to)).size).toBe(first.length); // one live offer a patient
  expect(new Set(first.map(([, body]) => body)).size).toBe(first.length); // one patient a time

  // One instance restarts with 40 offers live: their conversations and jobs are in Redis and the
  // database, not in the process.
  await instances[0].stop();
  await instances[0].start();

  // Everyone offered says NO, half to each instance: each time goes to the next in line.
  const offered = first.map(([to]) => to);
  await Promise.all(offered.map(async (phone, i) => expect(messages((await sms(instances[i % 2].port, phone, 'no')).body)).toMatch(/offer it to someone else/)));
  await until(() => offerTexts().length >= 2 * FREED);

  const [rows] = await tdb.db.sequelize.query<{ offers: string; live: string; times: string; twice: string }>(
    `SELECT count(*) AS offers, count(*) FILTER (WHERE outcome = 'offered') AS live, count(DISTINCT starts_at) AS times,
            (SELECT count(*) FROM (SELECT patient_id, starts_at FROM waitlist_offers GROUP BY 1, 2 HAVING count(*) > 1) x) AS twice
       FROM waitlist_offers`,
    { type: QueryTypes.SELECT },
  );
  expect(Number(rows.times)).toBe(FREED);
  expect(Number(rows.live)).toBe(FREED);
  expect(Number(rows.offers)).toBe(2 * FREED);
  expect(Number(rows.twice)).toBe(0);
  expect(await overlaps('starts_at')).toBe(0);
  expect(await overlaps('patient_id')).toBe(0);
  // Every live offer is backed by its hold, and nothing else holds those times.
  const [holds] = await tdb.db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM waitlist_offers o JOIN appointments a ON a.id = o.hold_id AND a.status = 'held' WHERE o.outcome = 'offered'`,
    { type: QueryTypes.SELECT },
  );
  expect(Number(holds.n)).toBe(FREED);
  // The texts agree: no patient was texted the same time twice (a NO may be followed by another time).
  const all = offerTexts();
  expect(new Set(all.map(([to, body]) => `${to} ${body}`)).size).toBe(all.length);
  expect(instances.every((i) => i.alive())).toBe(true);
});
