import path from 'node:path';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';
import Redis from 'ioredis';
import { FakePlatforms, Instance, freePort, instanceEnv, messages, sms, textsSent } from './support';

/**
 * A committed booking is always confirmed: the service fails right after the commit of every
 * second booking (an injected fault, counted, not timed), and every patient whose appointment is
 * in the database still hears "Booked", in the reply or by a text shortly after, and a YES sent
 * again after the error answers with the booking that really exists.
 */
const NY = 'America/New_York';
const PATIENTS = 24;
let tdb: TestDatabase;
let app: Instance;
let platforms: FakePlatforms;
const prefix = scopedName('rel_told');
const phones: string[] = [];
let day: DateTime;

beforeAll(async () => {
  tdb = await createTestDatabase('rel_told');
  const { User, Doctor, AvailabilityRule, Patient } = tdb.db.models;
  day = DateTime.now().setZone(NY).plus({ days: 2 }).startOf('day');
  const user = await User.create({ role: 'doctor', email: null, displayName: 'Tol D' });
  const doctor = await Doctor.create({ userId: user.id, fullName: 'Tol D', timeZone: NY, slotMinutes: 15 });
  await AvailabilityRule.create({ doctorId: doctor.id, weekday: day.weekday, startTime: '09:00', endTime: '17:00', validFrom: day.toISODate(), validTo: day.toISODate() });
  const users = await User.bulkCreate(Array.from({ length: PATIENTS }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `T${i}` })));
  await Patient.bulkCreate(
    users.map((u, i) => {
      phones.push(`+1555093${String(i).padStart(4, '0')}`);
      return { userId: u.id, fullName: `Told ${i}`, dateOfBirth: '1990-01-01', phoneE164: phones[i], timeZone: NY };
    }),
  );
  await tdb.db.sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) SELECT 'sms', phone_e164, user_id FROM patients`);
  platforms = new FakePlatforms();
  await platforms.start();
  app = new Instance(
    await freePort(),
    {
      ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }),
      TWILIO_API_URL: platforms.url,
      BOOKING_CONFIRMATION_GRACE_MS: '1500',
      CC_FAULT_AFTER_COMMIT: '2',
    },
    ['--require', path.join(__dirname, 'fault-after-commit.cjs')],
  );
  await app.start();
});

afterAll(async () => {
  await app?.stop();
  await platforms?.stop();
  await tdb?.drop();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

it('tells every patient whose booking committed, though the service failed right after every second commit', async () => {
  // Each patient asks for a time of their own, then all say YES at once.
  const times = phones.map((_, i) => day.set({ hour: 9 }).plus({ minutes: 15 * i }));
  for (const [i, phone] of phones.entries()) {
    expect(messages((await sms(app.port, phone, 'book dr tol d')).body)).toMatch(/^Free times with Dr Tol D:/);
    const asked = messages((await sms(app.port, phone, times[i].toFormat("LLL d h:mma"))).body);
    expect(asked).toMatch(/^Book Dr Tol D on .*\? Reply YES/);
  }
  const yes = await Promise.all(phones.map(async (phone) => messages((await sms(app.port, phone, 'yes')).body)));
  const toldInReply = new Set(phones.filter((_, i) => /^Booked: Dr Tol D/.test(yes[i])));
  const failed = phones.filter((_, i) => /Sorry, something went wrong on our side/.test(yes[i]));
  // The fault really happened, to half of them, and no error text reached anyone.
  expect(failed).toHaveLength(PATIENTS / 2);
  expect(toldInReply.size + failed.length).toBe(PATIENTS);

  const booked = await tdb.db.sequelize.query<{ phone: string }>(
    `SELECT p.phone_e164 AS phone FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.status = 'booked'`,
    { type: QueryTypes.SELECT },
  );
  // Every attempt committed, the failed ones included.
  expect(booked).toHaveLength(PATIENTS);

  // The ones the reply failed hear it by text: "Booked", the doctor and the time, nothing more.
  const deadline = Date.now() + 20_000;
  const byText = () => new Set(textsSent(platforms).filter(([, body]) => /^Booked: Dr Tol D on /.test(body)).map(([to]) => to));
  while (Date.now() < deadline && failed.some((p) => !byText().has(p))) await new Promise((r) => setTimeout(r, 200));
  for (const { phone } of booked) expect(toldInReply.has(phone) || byText().has(phone)).toBe(true);
  // Those told in the reply get no second text.
  for (const phone of toldInReply) expect(byText().has(phone)).toBe(false);
  const told = await tdb.db.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM appointments WHERE status = 'booked' AND patient_told_at IS NOT NULL`, { type: QueryTypes.SELECT });
  expect(Number(told[0].n)).toBe(PATIENTS);

  // The next message after the error reflects what happened: YES again answers with the booking.
  for (const phone of failed.slice(0, 3)) expect(messages((await sms(app.port, phone, 'yes')).body)).toMatch(/^Booked: Dr Tol D on /);
  // And the outbox relayed everything: each booking's reminder jobs and doctor notice were queued.
  const pending = await tdb.db.sequelize.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE relayed_at IS NULL', { type: QueryTypes.SELECT });
  expect(Number(pending[0].n)).toBe(0);
});
