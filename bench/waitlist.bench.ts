/**
 * npm run bench:waitlist: 1,000 patients on the waitlist, then 100 booked appointments cancelled
 * within one second. Each cancellation goes the real way (service, outbox, relay, BullMQ job, the
 * freed-time worker, a hold, the offer row) to a counting SMS sender. Prints how long after its
 * cancellation each freed time's first offer was texted (p50, p99), offers per second, and double
 * offers (a time offered to two patients at once, or one patient offered the same time twice: 0).
 */
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { insertAdmin } from '../src/db/records';
import { connectRedis, createRedis } from '../src/locks/redis';
import { createRedlockSlotLock } from '../src/locks/slot-lock';
import { createLogger } from '../src/logging';
import { createReminderSystem } from '../src/reminders';
import { createServices } from '../src/services';
import { BENCH_REDIS_URL, benchPrefix, clearBenchKeys, createBenchDatabase, machine } from './support';

const ENTRIES = 1000;
const CANCELLATIONS = 100;
const DOCTORS = 10;
const ZONE = 'UTC';

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const bench = await createBenchDatabase('waitlist');
  const { db } = bench;
  const redis = await connectRedis(createRedis(BENCH_REDIS_URL));
  const prefix = benchPrefix('wl');
  const services = createServices({ db, locks: createRedlockSlotLock(redis, { prefix, ttlMs: 5000 }), now: Date.now, clinicTimezone: ZONE, settingsCacheMs: 60_000 });
  const admin = await insertAdmin(db, { name: 'Bench', email: 'bench@bench' });
  await services.settings.update(admin, 'minNoticeMinutes', 0);
  await services.settings.update(admin, 'maxUpcomingPerPatient', 50);
  // Quiet hours down to one minute, so the wall clock of the run never holds an offer back.
  await services.settings.update(admin, 'quietHours', { start: '03:00', end: '03:01' });

  console.log('Clinic Concierge waitlist benchmark');
  console.log(machine());

  const { User, Doctor, Patient, AvailabilityRule, WaitlistEntry, Appointment } = db.models;
  const doctorUsers = await User.bulkCreate(Array.from({ length: DOCTORS }, (_, i) => ({ role: 'doctor' as const, email: null, displayName: `D${i}` })));
  const doctors = await Doctor.bulkCreate(doctorUsers.map((d, i) => ({ userId: d.id, fullName: `Doctor ${i}`, timeZone: ZONE, slotMinutes: 30 })));
  await AvailabilityRule.bulkCreate(doctors.flatMap((d) => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ doctorId: d.id, weekday, startTime: '08:00', endTime: '18:00', validFrom: null, validTo: null }))));
  const users = await User.bulkCreate(Array.from({ length: ENTRIES + CANCELLATIONS }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `P${i}` })));
  const patients = await Patient.bulkCreate(
    users.map((u, i) => ({ userId: u.id, fullName: `Pat ${i}`, dateOfBirth: '1990-01-01', phoneE164: `+1555${String(6_000_000 + i)}`, timeZone: ZONE })),
  );
  const waiting = patients.slice(0, ENTRIES);
  const bookers = patients.slice(ENTRIES);
  // Tomorrow and the day after: 100 booked appointments, 10 a doctor; 1,000 waiting, 100 a doctor.
  const day = DateTime.now().setZone(ZONE).plus({ days: 1 }).startOf('day');
  await WaitlistEntry.bulkCreate(
    waiting.map((p, i) => ({ patientId: p.id, doctorId: doctors[i % DOCTORS].id, specializationId: null, fromDate: day.toISODate()!, toDate: day.plus({ days: 1 }).toISODate()!, windowStart: null, windowEnd: null, zone: ZONE })),
  );
  const booked = await Appointment.bulkCreate(
    bookers.map((p, i) => {
      const startsAt = day.set({ hour: 9 }).plus({ minutes: 30 * Math.floor(i / DOCTORS) });
      return { doctorId: doctors[i % DOCTORS].id, patientId: p.id, startsAt: startsAt.toJSDate(), endsAt: startsAt.plus({ minutes: 30 }).toJSDate(), reason: null, channel: 'sms', createdBy: null };
    }),
  );

  const firstOffer = new Map<string, number>();
  const cancelledAt = new Map<string, number>();
  let offers = 0;
  const phoneToTime = new Map<string, string>();
  const sms = {
    async send(to: string, body: string) {
      offers++;
      const at = performance.now();
      phoneToTime.set(to, body);
      const key = /A (.+?) time with Dr (Doctor \d+) on (.+?) just opened/.exec(body)?.slice(1).join('|') ?? body;
      if (!firstOffer.has(key)) firstOffer.set(key, at);
      return 'sent' as const;
    },
  };
  const system = createReminderSystem({
    redis: BENCH_REDIS_URL,
    redisPrefix: prefix,
    db,
    settings: services.settings,
    audit: services.audit,
    events: services.events,
    sms,
    staff: null,
    clinicName: 'Bench Clinic',
    now: Date.now,
    logger: createLogger('silent', { write: () => undefined }),
    concurrency: 50,
    waitlist: { services },
  });
  await system.startWorkers();

  // 100 cancellations within one second, by the patients themselves.
  const keyOf = (a: (typeof booked)[number]) => `${DateTime.fromJSDate(a.startsAt, { zone: ZONE }).toFormat('h:mm a')}|Doctor ${doctors.findIndex((d) => d.id === a.doctorId)}|${DateTime.fromJSDate(a.startsAt, { zone: ZONE }).toFormat('ccc d LLL')}`;
  const t0 = performance.now();
  await Promise.all(
    booked.map(async (a, i) => {
      await new Promise((r) => setTimeout(r, Math.floor((i / CANCELLATIONS) * 1000)));
      cancelledAt.set(keyOf(a), performance.now());
      await services.booking.cancel({ userId: users[ENTRIES + i].id, role: 'patient', patientId: a.patientId }, a.id);
    }),
  );
  for (let i = 0; i < 200 && firstOffer.size < CANCELLATIONS; i++) await new Promise((r) => setTimeout(r, 50));
  const elapsed = (performance.now() - t0) / 1000;

  if (process.env.BENCH_DEBUG) console.log([...cancelledAt.keys()][0], '//', [...firstOffer.keys()][0]);
  const delays = [...cancelledAt].filter(([k]) => firstOffer.has(k)).map(([k, at]) => firstOffer.get(k)! - at);
  const [doubles] = await db.sequelize.query<{ same_time: string; same_patient: string }>(
    `SELECT (SELECT count(*) FROM (SELECT doctor_id, starts_at FROM waitlist_offers WHERE outcome = 'offered' GROUP BY 1, 2 HAVING count(*) > 1) x) AS same_time,
            (SELECT count(*) FROM (SELECT patient_id, doctor_id, starts_at FROM waitlist_offers GROUP BY 1, 2, 3 HAVING count(*) > 1) y) AS same_patient`,
    { type: QueryTypes.SELECT },
  );
  console.log(`${ENTRIES} on the waitlist, ${CANCELLATIONS} cancellations within 1 s: ${firstOffer.size} freed times offered, ${offers} texts, in ${elapsed.toFixed(2)} s`);
  console.log(`first offer after its cancellation: p50 ${pct(delays, 50).toFixed(0)} ms, p99 ${pct(delays, 99).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (target p99 < 1,000 ms)`);
  console.log(`double offers: ${Number(doubles.same_time)} times offered to two patients at once, ${Number(doubles.same_patient)} patients offered a time twice (must be 0 and 0)`);
  console.log(`peak memory (RSS): ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

  clearInterval(sampler);
  for (const q of [system.queues.waitlist, system.queues.reminders, system.queues.notifications, system.queues.holds]) await q.obliterate({ force: true }).catch(() => undefined);
  await system.close();
  redis.disconnect();
  await bench.drop();
  await clearBenchKeys();
}

main().catch(async (err) => {
  console.error(err);
  process.exit(1);
});
