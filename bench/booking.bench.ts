/**
 * npm run bench: the booking core's figures on this machine, against the real PostgreSQL and Redis.
 * A benchmark, not a test: it prints numbers and the targets beside them, and asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../src/domain/actor';
import { DomainError } from '../src/domain/errors';
import { freeSlots } from '../src/domain/slots';
import type { Db } from '../src/db/models';
import { insertAdmin, insertLocation, insertVisitType } from '../src/db/records';
import { connectRedis, createRedis } from '../src/locks/redis';
import { createRedlockSlotLock } from '../src/locks/slot-lock';
import { loadCalendar } from '../src/services/calendar';
import { createServices } from '../src/services';
import { pgbenchBookings, ratio } from './limits';
import { BENCH_REDIS_URL, benchPrefix, cleanUpBench, clearBenchKeys, createBenchDatabase, machine } from './support';

const REDIS_URL = BENCH_REDIS_URL;
const ZONE = 'America/New_York';
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (v: number) => `${v.toFixed(2)} ms`;

/** Runs `tasks` with at most `concurrency` in flight; returns each task's latency. */
async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<{ latencies: number[]; results: PromiseSettledResult<T>[]; elapsed: number }> {
  const latencies: number[] = [];
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const i = next++;
        const t0 = performance.now();
        try {
          results[i] = { status: 'fulfilled', value: await tasks[i]() };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, results, elapsed: performance.now() - start };
}

async function bulkDoctors(db: Db, count: number, specIds: string[], hours: { start: string; end: string }, slotMinutes: number, locationId: string | null = null) {
  const { User, Doctor, AvailabilityRule, DoctorSpecialization } = db.models;
  const users = await User.bulkCreate(Array.from({ length: count }, (_, i) => ({ role: 'doctor' as const, email: null, displayName: `Doctor ${i}` })));
  const doctors = await Doctor.bulkCreate(
    users.map((u, i) => ({ userId: u.id, fullName: `${['Ana', 'Ben', 'Chloé', 'Dev', 'Eli'][i % 5]} Surname${i}`, timeZone: ZONE, slotMinutes })),
  );
  await AvailabilityRule.bulkCreate(
    doctors.flatMap((d) => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ doctorId: d.id, weekday, startTime: hours.start, endTime: hours.end, validFrom: null, validTo: null, locationId }))),
  );
  if (specIds.length) {
    await DoctorSpecialization.bulkCreate(doctors.map((d, i) => ({ doctorId: d.id, specializationId: specIds[i % specIds.length] })));
  }
  return doctors.map((d) => d.id);
}

async function bulkPatients(db: Db, count: number, firstPhone: number): Promise<Array<Actor & { patientId: string }>> {
  const { User, Patient } = db.models;
  const users = await User.bulkCreate(Array.from({ length: count }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `P${i}` })));
  const patients = await Patient.bulkCreate(
    users.map((u, i) => ({ userId: u.id, fullName: `Patient ${i}`, dateOfBirth: '1990-01-01', phoneE164: `+1555${String(firstPhone + i)}`, timeZone: ZONE })),
  );
  return patients.map((p, i) => ({ userId: users[i].id, role: 'patient' as const, patientId: p.id }));
}

const percent = (ours: number, of: number) => `${((100 * ours) / Math.max(1e-9, of)).toFixed(0)}%`;

async function main(): Promise<void> {
  const bench = await createBenchDatabase('booking');
  const { sequelize, db } = bench;
  const redis = await connectRedis(createRedis(REDIS_URL));
  const prefix = benchPrefix('booking');
  const services = createServices({
    db,
    locks: createRedlockSlotLock(redis, { prefix, ttlMs: 5000 }),
    now: Date.now,
    clinicTimezone: ZONE,
  });
  const admin = await insertAdmin(db, { name: 'Bench', email: 'bench@bench' });
  await services.settings.update(admin, 'minNoticeMinutes', 0);

  console.log('Clinic Concierge booking benchmark');
  console.log(machine());
  const [{ server_version: pgVersion }] = await sequelize.query<{ server_version: string }>('SHOW server_version', { type: QueryTypes.SELECT });
  console.log(`PostgreSQL ${pgVersion}, Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}`);
  console.log('');

  // 1. Bookings on distinct slots.
  const tomorrow = DateTime.now().setZone(ZONE).plus({ days: 1 }).startOf('day');
  const doctorIds = await bulkDoctors(db, 20, [], { start: '00:00', end: '23:30' }, 30);
  // One patient a booking: the per-patient caps (3 ahead, 1 a doctor a day) are not what is measured here.
  const patients = await bulkPatients(db, 4000, 3_000_000);
  const N = 4000;
  const bookings = Array.from({ length: N }, (_, i) => {
    const d = i % doctorIds.length;
    const t = Math.floor(i / doctorIds.length);
    // 47 half-hour slots a day (00:00 to 23:30).
    const startsAt = tomorrow.plus({ days: Math.floor(t / 47), minutes: 30 * (t % 47) }).toJSDate();
    // Patients at the same instant are all different, so no patient overlaps.
    const p = patients[(t * doctorIds.length + d) % patients.length];
    return () => services.booking.book(p, { doctorId: doctorIds[d], patientId: p.patientId, startsAt, channel: 'sms' });
  });
  await pool(bookings.slice(0, 200), 16); // warm-up: pool connections, Lua script cache, JIT
  const distinct = await pool(bookings.slice(200), 16);
  const failed = distinct.results.filter((r) => r.status === 'rejected');
  const bookingRate = distinct.latencies.length / (distinct.elapsed / 1000);
  // The machine's own limit, in the same run: the same statements straight from pgbench.
  const limit = await pgbenchBookings(sequelize, bench.url, { clients: 16, seconds: 10 });
  console.log(`machine limit:                ${limit.tps.toFixed(0)} booking-shaped transactions/s (${limit.command})`);
  console.log(`bookings on distinct slots:   ${bookingRate.toFixed(0)} bookings/s, ${ratio(bookingRate, limit.tps)} (target >= 50%), p50 ${ms(pct(distinct.latencies, 50))}, p99 ${ms(pct(distinct.latencies, 99))}, ${distinct.latencies.length} bookings at concurrency 16, ${failed.length} failed`);
  if (failed.length) console.log(`  first failure: ${String((failed[0] as PromiseRejectedResult).reason?.message).slice(0, 200)}`);

  // 1b. The same load, booking a kind of visit with buffers at a named place: the clinic model's
  // extra work (the doctor's visit types, the place of the slot, the occupied range) in the same run.
  const place = await insertLocation(db, { name: 'Bench Clinic', address: '1 Bench St', timeZone: ZONE });
  const modelDoctors = await bulkDoctors(db, 20, [], { start: '00:00', end: '23:30' }, 30, place);
  const kind = await insertVisitType(db, { name: 'Bench visit', durationMinutes: 20, bufferBeforeMinutes: 5, bufferAfterMinutes: 5, doctorIds: modelDoctors, defaultFor: modelDoctors });
  await db.models.Doctor.update({ gridMinutes: 30 }, { where: { id: modelDoctors } });
  const modelPatients = await bulkPatients(db, 4000, 3_500_000);
  const modelBookings = Array.from({ length: N }, (_, i) => {
    const d = i % modelDoctors.length;
    const t = Math.floor(i / modelDoctors.length);
    // 47 starts a day on the 30-minute grid; each 20-minute visit with its buffers fills its half hour.
    const startsAt = tomorrow.plus({ days: Math.floor(t / 47), minutes: 30 * (t % 47) }).toJSDate();
    const p = modelPatients[(t * modelDoctors.length + d) % modelPatients.length];
    return () => services.booking.book(p, { doctorId: modelDoctors[d], patientId: p.patientId, startsAt, channel: 'sms', visitTypeId: kind });
  });
  await pool(modelBookings.slice(0, 200), 16);
  const model = await pool(modelBookings.slice(200), 16);
  const modelFailed = model.results.filter((r) => r.status === 'rejected');
  const modelRate = model.latencies.length / (model.elapsed / 1000);
  console.log(
    `with visit types and buffers: ${modelRate.toFixed(0)} bookings/s, ${percent(modelRate, bookingRate)} of plain bookings in this run (target: not below them), ${percent(modelRate, limit.tps)} of the machine limit, p50 ${ms(pct(model.latencies, 50))}, p99 ${ms(pct(model.latencies, 99))}, ${modelFailed.length} failed`,
  );
  if (modelFailed.length) console.log(`  first failure: ${String((modelFailed[0] as PromiseRejectedResult).reason?.message).slice(0, 200)}`);

  // 2. Contention: 200 patients at once for one slot, five rounds.
  const contention: number[] = [];
  const outcomes: Record<string, number> = {};
  // Fresh patients each round: a winner may not take a second slot of the same doctor that day.
  const contenders = await bulkPatients(db, 1000, 5_000_000);
  for (let round = 0; round < 5; round++) {
    const startsAt = tomorrow.plus({ days: 5, minutes: 30 * round }).toJSDate();
    const crowd = contenders.slice(round * 200, round * 200 + 200);
    const run = await pool(crowd.map((p) => () => services.booking.book(p, { doctorId: doctorIds[0], patientId: p.patientId, startsAt, channel: 'sms' })), 200);
    contention.push(...run.latencies);
    for (const r of run.results) {
      const k = r.status === 'fulfilled' ? 'booked' : r.reason instanceof DomainError ? r.reason.constructor.name : 'crash';
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
  }
  console.log(`contention, 200 at one slot:  p50 ${ms(pct(contention, 50))}, p99 ${ms(pct(contention, 99))} (target < 100 ms), outcome over 5 rounds: ${JSON.stringify(outcomes)} (expected 5 booked, 995 SlotTakenError)`);

  // 3. Thirty days of slots for a doctor with 1,000 appointments.
  const [busyDoctor] = await bulkDoctors(db, 1, [], { start: '08:00', end: '20:00' }, 15);
  const from = DateTime.now().setZone(ZONE).plus({ days: 1 }).startOf('day');
  const monthPatients = await bulkPatients(db, 1000, 4_000_000);
  // 34 of each day's 48 quarter-hours booked, for 1,000 appointments over the month.
  const busyRows = Array.from({ length: 1000 }, (_, i) => {
    const start = from.plus({ days: Math.floor(i / 34) }).set({ hour: 8 }).plus({ minutes: 15 * (i % 34) });
    return { doctorId: busyDoctor, patientId: monthPatients[i].patientId, startsAt: start.toJSDate(), endsAt: start.plus({ minutes: 15 }).toJSDate(), reason: null, channel: 'sms', createdBy: null };
  });
  await db.models.Appointment.bulkCreate(busyRows);
  const appts = await db.models.Appointment.count({ where: { doctorId: busyDoctor } });
  const to = from.plus({ days: 30 });
  const cal = await loadCalendar(db, busyDoctor, from.toJSDate(), to.toJSDate());
  const engine: number[] = [];
  let slotCount = 0;
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    slotCount = freeSlots({ zone: ZONE, rules: cal.rules, slotMinutes: 15, busy: cal.busy, from: from.toMillis(), to: to.toMillis(), now: Date.now(), minNoticeMinutes: 0, horizonDays: 60 }).length;
    engine.push(performance.now() - t0);
  }
  const withDb: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await services.availability.freeSlots(busyDoctor, from.toJSDate(), to.toJSDate());
    withDb.push(performance.now() - t0);
  }
  console.log(`30 days of slots, ${appts} appts: engine p50 ${ms(pct(engine, 50))}, p99 ${ms(pct(engine, 99))} (target < 5 ms); with the database load p50 ${ms(pct(withDb, 50))}, p99 ${ms(pct(withDb, 99))}; ${slotCount} free slots`);

  // 3b. The same month with three kinds of visit, buffers and a 5-minute grid: each call lays out
  // one kind's free starts (what a patient is offered), for each of the three in turn.
  const kinds = [
    { slotMinutes: 15, gridMinutes: 5 },
    { slotMinutes: 40, gridMinutes: 5, bufferAfterMinutes: 10 },
    { slotMinutes: 20, gridMinutes: 5, bufferBeforeMinutes: 5, bufferAfterMinutes: 5 },
  ];
  const typed: number[] = [];
  const perKind: number[] = [];
  for (let i = 0; i < 300; i++) {
    const k = kinds[i % kinds.length];
    const t0 = performance.now();
    perKind[i % kinds.length] = freeSlots({ zone: ZONE, rules: cal.rules, busy: cal.busy, from: from.toMillis(), to: to.toMillis(), now: Date.now(), minNoticeMinutes: 0, horizonDays: 60, ...k }).length;
    typed.push(performance.now() - t0);
  }
  const consult = await insertVisitType(db, { name: 'Bench consultation', durationMinutes: 40, bufferAfterMinutes: 10, doctorIds: [busyDoctor] });
  await db.models.Doctor.update({ gridMinutes: 5 }, { where: { id: busyDoctor } });
  const typedDb: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await services.availability.freeSlots(busyDoctor, from.toJSDate(), to.toJSDate(), undefined, { visitTypeId: consult });
    typedDb.push(performance.now() - t0);
  }
  console.log(
    `30 days, 3 visit types, buffers, 5-min grid, ${appts} appts: engine p50 ${ms(pct(typed, 50))}, p99 ${ms(pct(typed, 99))} (target < 2 ms); with the database load p50 ${ms(pct(typedDb, 50))}, p99 ${ms(pct(typedDb, 99))}; free starts per kind ${perKind.join(' / ')}`,
  );

  // 4. Specialty search over 1,000 doctors.
  const specNames = ['Dermatology', 'Cardiology', 'Pediatrics', 'Neurology', 'Orthopedics', 'Psychiatry', 'Oncology', 'Urology', 'Radiology', 'Endocrinology'];
  const specIds = await Promise.all(specNames.map((name) => db.models.Specialization.create({ name, keywords: [] }).then((s) => s.id)));
  await bulkDoctors(db, 1000 - (await db.models.Doctor.count()), specIds, { start: '09:00', end: '17:00' }, 30);
  const doctorsNow = await db.models.Doctor.count();
  const search: number[] = [];
  const queries = ['dermatology', 'cardiolgy', 'Surname42', 'chloe', 'neuro'];
  let hits = 0;
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    hits = (await services.doctors.search(queries[i % queries.length], { limit: 5, slotsPerDoctor: 3 })).length;
    search.push(performance.now() - t0);
  }
  console.log(`search over ${doctorsNow} doctors:     p50 ${ms(pct(search, 50))}, p99 ${ms(pct(search, 99))} (target < 100 ms), with the next 3 slots of each of up to 5 results (last query: ${hits} results)`);
  console.log(`peak memory (RSS):            ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

  clearInterval(sampler);
  redis.disconnect();
  await bench.drop();
  await clearBenchKeys();
}

main().catch(async (err) => {
  console.error(`benchmark failed: ${String(err?.message ?? err).slice(0, 500)}`);
  await cleanUpBench().catch(() => undefined);
  process.exit(1);
});
