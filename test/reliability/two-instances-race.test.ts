import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { Instance, OwnRedis, freePort, instanceEnv, messages, sms } from './support';
import { scopedName } from '../support/run-scope';

const NY = 'America/New_York';
const PATIENTS = 500;
const SLOTS = 20;
let tdb: TestDatabase;
let redis: OwnRedis;
let instances: Instance[];
let day: DateTime;
let doctorId: string;
let holdDoctor: string;
const phones: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase('rel_race');
  redis = new OwnRedis(await freePort());
  await redis.start();
  const { User, Doctor, AvailabilityRule, Patient } = tdb.db.models;
  // One doctor with exactly twenty half-hour slots, on one day two days from now.
  day = DateTime.now().setZone(NY).plus({ days: 2 }).startOf('day');
  const user = await User.create({ role: 'doctor', email: null, displayName: 'Rel Iable' });
  doctorId = (await Doctor.create({ userId: user.id, fullName: 'Rel Iable', timeZone: NY, slotMinutes: 30 })).id;
  await AvailabilityRule.create({ doctorId, weekday: day.weekday, startTime: '09:00', endTime: '19:00', validFrom: day.toISODate(), validTo: day.toISODate() });
  // A second doctor, ten half-hour slots the day after, for the holds race.
  const holder = await User.create({ role: 'doctor', email: null, displayName: 'Hold Fast' });
  holdDoctor = (await Doctor.create({ userId: holder.id, fullName: 'Hold Fast', timeZone: NY, slotMinutes: 30 })).id;
  const holdDay = day.plus({ days: 1 });
  await AvailabilityRule.create({ doctorId: holdDoctor, weekday: holdDay.weekday, startTime: '09:00', endTime: '14:00', validFrom: holdDay.toISODate(), validTo: holdDay.toISODate() });
  const users = await User.bulkCreate(Array.from({ length: PATIENTS }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `P${i}` })));
  await Patient.bulkCreate(
    users.map((u, i) => {
      phones.push(`+1555090${String(i).padStart(4, '0')}`);
      return { userId: u.id, fullName: `Racer ${i}`, dateOfBirth: '1990-01-01', phoneE164: phones[i], timeZone: NY };
    }),
  );
  await tdb.db.sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) SELECT 'sms', phone_e164, user_id FROM patients`);
  const env = instanceEnv({ databaseUrl: tdb.url, redisUrl: redis.url, prefix: scopedName('rel_race') });
  instances = [new Instance(await freePort(), env), new Instance(await freePort(), env)];
  await Promise.all(instances.map((i) => i.start()));
});

afterAll(async () => {
  await Promise.all((instances ?? []).map((i) => i.stop()));
  await redis?.stop();
  await tdb?.drop();
});

/** Everyone says something at once, alternating between the two instances. */
async function everyone(say: (i: number) => string): Promise<Array<{ status: number; text: string }>> {
  return Promise.all(
    phones.map(async (phone, i) => {
      const res = await sms(instances[i % 2].port, phone, say(i));
      return { status: res.status, text: messages(res.body) };
    }),
  );
}

it('500 patients texting two instances at once for 20 slots: 20 held and booked, no double booking, and a clear answer for everyone', async () => {
  const slot = (i: number) => day.set({ hour: 9 }).plus({ minutes: 30 * (i % SLOTS) });

  const found = await everyone(() => 'book dr rel iable');
  expect(found.filter((r) => r.status === 200 && /^Free times with Dr Rel Iable:/.test(r.text))).toHaveLength(PATIENTS);

  // Each time is held for the first to ask for it: one confirmation question a slot, and everyone
  // else hears at once that it is taken (all twenty are held, so nothing else is free nearby).
  const asked = await everyone((i) => slot(i).toFormat('LLL d h:mma'));
  expect(asked.every((r) => r.status === 200)).toBe(true);
  const askedToConfirm = asked.filter((r) => /^Book Dr Rel Iable on .*\? Reply YES/.test(r.text));
  expect(askedToConfirm).toHaveLength(SLOTS);
  expect(new Set(askedToConfirm.map((r) => r.text)).size).toBe(SLOTS);
  // (or, when every time is held by then, that nothing is free; or, when their time was held before
  // they asked, that it is not free, with the times still free at that moment)
  const others = asked.filter(
    (r) =>
      !/^Book Dr Rel Iable on .*\? Reply YES/.test(r.text) &&
      !/Sorry, that time was just taken\. (Nearest free times:|Dr Rel Iable has nothing else free nearby)|^Sorry, Dr Rel Iable has nothing free in the next weeks\./.test(r.text) &&
      !/^\d{1,2}:\d{2} [AP]M on \w{3} \d{1,2} \w{3} is not free\. (Nearest free times:|Dr Rel Iable has nothing else free nearby)/.test(r.text),
  );
  expect(others.map((r) => r.text)).toEqual([]);

  // Every YES within its hold books; the others' YES is nothing to confirm.
  const answers = await everyone(() => 'yes');
  expect(answers.every((r) => r.status === 200)).toBe(true);
  const booked = answers.filter((r) => /^Booked: Dr Rel Iable on /.test(r.text));
  expect(booked).toHaveLength(SLOTS);
  const holders = phones.filter((_, i) => /^Book Dr Rel Iable on/.test(asked[i].text)).sort();
  expect(phones.filter((_, i) => /^Booked:/.test(answers[i].text)).sort()).toEqual(holders);

  // The database agrees: one appointment per slot, none overlapping, each with a confirmed patient.
  const rows = await tdb.db.sequelize.query<{ starts_at: Date; phone_e164: string }>(
    `SELECT a.starts_at, p.phone_e164 FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.doctor_id = :doctorId AND a.status = 'booked'`,
    { replacements: { doctorId }, type: QueryTypes.SELECT },
  );
  expect(rows).toHaveLength(SLOTS);
  expect(new Set(rows.map((r) => new Date(r.starts_at).getTime())).size).toBe(SLOTS);
  const confirmedPhones = phones.filter((_, i) => /^Booked:/.test(answers[i].text)).sort();
  expect(rows.map((r) => r.phone_e164).sort()).toEqual(confirmedPhones);
  const [overlap] = await tdb.db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM appointments a JOIN appointments b ON a.id < b.id AND a.doctor_id = b.doctor_id
       AND a.status <> 'cancelled' AND b.status <> 'cancelled' AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`,
    { type: QueryTypes.SELECT },
  );
  expect(Number(overlap.n)).toBe(0);
  expect(instances.every((i) => i.alive())).toBe(true);
});

it('200 patients reaching the confirmation of the same first free time: each held time asked of exactly one, every YES in its hold booked', async () => {
  const group = phones.slice(0, 200);
  const all = (say: (i: number) => string, who: number[]) =>
    Promise.all(who.map(async (i) => ({ i, ...(await sms(instances[i % 2].port, group[i], say(i))) })).map(async (p) => {
      const r = await p;
      return { i: r.i, status: r.status, text: messages(r.body) };
    }));
  const everyoneInGroup = group.map((_, i) => i);

  await all(() => 'menu', everyoneInGroup); // out of whatever the first race left them in
  const listed = await all(() => 'book dr hold fast', everyoneInGroup);
  expect(listed.filter((r) => /^Free times with Dr Hold Fast:\n1 /.test(r.text))).toHaveLength(200);
  // Round one: all at once for the first time listed, the same for everyone.
  const first = await all(() => '1', everyoneInGroup);
  const confirming = first.filter((r) => /^Book Dr Hold Fast on .*\? Reply YES/.test(r.text));
  expect(confirming).toHaveLength(1);
  // Round two: the others take the first of the nearest times they were offered.
  const again = first.filter((r) => /Sorry, that time was just taken\. Nearest free times:/.test(r.text)).map((r) => r.i);
  expect(again.length).toBe(199);
  const second = await all(() => '1', again);
  const confirmingToo = second.filter((r) => /^Book Dr Hold Fast on .*\? Reply YES/.test(r.text));
  const asked = [...confirming, ...confirmingToo];
  // No time is put to two patients.
  expect(new Set(asked.map((r) => r.text)).size).toBe(asked.length);
  const [held] = await tdb.db.sequelize.query<{ n: string; times: string }>(
    `SELECT count(*) AS n, count(DISTINCT starts_at) AS times FROM appointments WHERE doctor_id = :d AND status = 'held'`,
    { replacements: { d: holdDoctor }, type: QueryTypes.SELECT },
  );
  expect([Number(held.n), Number(held.times)]).toEqual([asked.length, asked.length]);

  const yes = await all(() => 'yes', asked.map((r) => r.i));
  expect(yes.filter((r) => /^Booked: Dr Hold Fast on /.test(r.text))).toHaveLength(asked.length);
  const [booked] = await tdb.db.sequelize.query<{ n: string; times: string; holds: string }>(
    `SELECT count(*) FILTER (WHERE status = 'booked') AS n, count(DISTINCT starts_at) FILTER (WHERE status = 'booked') AS times,
            count(*) FILTER (WHERE status = 'held') AS holds FROM appointments WHERE doctor_id = :d`,
    { replacements: { d: holdDoctor }, type: QueryTypes.SELECT },
  );
  expect([Number(booked.n), Number(booked.times), Number(booked.holds)]).toEqual([asked.length, asked.length, 0]);
});
