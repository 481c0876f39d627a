/**
 * npm run bench:reminders: schedule 10,000 reminders through the real scheduler and let the real
 * BullMQ worker fire them against PostgreSQL and Redis. The SMS sender counts instead of calling
 * Twilio. Prints jobs/s, how late each text went out against its due time, and duplicates (0).
 */
import { performance } from 'node:perf_hooks';
import { insertAdmin } from '../src/db/records';
import { connectRedis, createRedis } from '../src/locks/redis';
import { noSlotLock } from '../src/locks/slot-lock';
import { createLogger } from '../src/logging';
import { createReminderSystem } from '../src/reminders';
import { createServices } from '../src/services';
import { BENCH_REDIS_URL, benchPrefix, cleanUpBench, clearBenchKeys, createBenchDatabase, machine } from './support';

const REDIS_URL = BENCH_REDIS_URL;
const N = Number(process.env.BENCH_REMINDERS ?? 10_000);
const OFFSET_MINUTES = 5;
const SPREAD_MS = Number(process.env.BENCH_SPREAD_MS ?? 5_000);
const DOCTORS = 100;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const bench = await createBenchDatabase('reminders');
  const { db } = bench;
  const redis = await connectRedis(createRedis(REDIS_URL));
  const prefix = benchPrefix('rem');
  const services = createServices({ db, locks: noSlotLock, now: Date.now, clinicTimezone: 'UTC', settingsCacheMs: 60_000 });
  const admin = await insertAdmin(db, { name: 'Bench', email: 'bench@bench' });
  await services.settings.update(admin, 'reminderOffsetsMinutes', [OFFSET_MINUTES]);
  // Quiet hours down to one minute, so the wall clock of the run never defers a text.
  await services.settings.update(admin, 'quietHours', { start: '03:00', end: '03:01' });

  console.log('Clinic Concierge reminder benchmark');
  console.log(machine());

  // 10,000 appointments, each due for its reminder within the next few seconds.
  const { User, Doctor, Patient, Appointment } = db.models;
  const doctorUsers = await User.bulkCreate(Array.from({ length: DOCTORS }, (_, i) => ({ role: 'doctor' as const, email: null, displayName: `D${i}` })));
  const doctors = await Doctor.bulkCreate(doctorUsers.map((d, i) => ({ userId: d.id, fullName: `Doctor ${i}`, timeZone: 'UTC', slotMinutes: 30 })));
  const patientUsers = await User.bulkCreate(Array.from({ length: N }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `P${i}` })));
  const patients = await Patient.bulkCreate(
    patientUsers.map((p, i) => ({ userId: p.id, fullName: `Pat ${i}`, dateOfBirth: '1990-01-01', phoneE164: `+1555${String(7_000_000 + i)}`, timeZone: 'UTC' })),
  );
  // The first reminder is due 15 s from now: time to schedule all of them first.
  const base = Date.now() + OFFSET_MINUTES * 60_000 + 15_000;
  const due = new Map<string, number>();
  const dueByPhone = new Map<string, number>();
  const rows = patients.map((p, i) => {
    // Each doctor's appointments are 1 ms long and apart in time: no overlaps, all due in SPREAD_MS.
    const startsAt = base + Math.floor((i / N) * SPREAD_MS);
    return { doctorId: doctors[i % DOCTORS].id, patientId: p.id, startsAt: new Date(startsAt), endsAt: new Date(startsAt + 1), reason: null, channel: 'sms', createdBy: null };
  });
  for (let i = 0; i < rows.length; i += 2000) {
    for (const a of await Appointment.bulkCreate(rows.slice(i, i + 2000))) due.set(a.id, a.startsAt.getTime() - OFFSET_MINUTES * 60_000);
  }
  patients.forEach((p, i) => dueByPhone.set(p.phoneE164!, rows[i].startsAt.getTime() - OFFSET_MINUTES * 60_000));

  const sends = new Map<string, number>();
  const lateness: number[] = [];
  let first = Infinity;
  let last = 0;
  const sms = {
    async send(to: string, _body: string) {
      const now = Date.now();
      sends.set(to, (sends.get(to) ?? 0) + 1);
      lateness.push(Math.max(0, now - dueByPhone.get(to)!));
      first = Math.min(first, now);
      last = Math.max(last, now);
      return 'sent' as const;
    },
  };
  const logger = createLogger('silent', { write: () => undefined });
  const system = createReminderSystem({
    redis: REDIS_URL,
    redisPrefix: prefix,
    db,
    settings: services.settings,
    audit: services.audit,
    events: services.events,
    sms,
    staff: null,
    clinicName: 'Bench Clinic',
    now: Date.now,
    logger,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  });

  const t0 = performance.now();
  const scheduled = await system.scheduler.reconcile();
  const scheduleMs = performance.now() - t0;
  // At-least-once delivery, made real: one in ten reminders is enqueued a second time under
  // another id, so the worker runs it twice. The delivery claim must keep it to one text.
  const doubles = [...due.keys()].filter((_, i) => i % 10 === 0);
  await system.queues.reminders.addBulk(
    doubles.map((id) => ({ name: 'reminder', data: { appointmentId: id, offsetMinutes: OFFSET_MINUTES }, opts: { jobId: `dup-${id}`, delay: Math.max(0, due.get(id)! - Date.now()) } })),
  );
  console.log(`scheduled ${scheduled} reminders in ${(scheduleMs / 1000).toFixed(2)} s (${Math.round(scheduled / (scheduleMs / 1000))} jobs/s), plus ${doubles.length} duplicate jobs`);

  let processed = 0;
  const finished = new Promise<void>((resolve) => {
    system.queues.reminders.on('error', () => undefined);
    const check = setInterval(async () => {
      const counts = await system.queues.reminders.getJobCounts('delayed', 'waiting', 'active', 'prioritized');
      if (Object.values(counts).every((c) => c === 0) && processed >= scheduled + doubles.length) {
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  await system.startWorkers();
  // Completion events of our own worker, to count runs and measure lateness.
  const { QueueEvents } = await import('bullmq');
  const events = new QueueEvents('reminders', { connection: { url: REDIS_URL } as never, prefix: `${prefix}:bull` });
  events.on('completed', () => {
    processed++;
  });
  await events.waitUntilReady();
  await finished;

  const duplicates = [...sends.values()].reduce((n, c) => n + (c - 1), 0);
  const sent = [...sends.values()].length;
  console.log(`fired: ${processed} jobs run, ${sent} texts sent, ${duplicates} duplicate texts (must be 0)`);
  console.log(`throughput: ${Math.round(sent / ((last - first) / 1000))} texts/s while due (${N} due over ${SPREAD_MS / 1000} s, worker concurrency ${Number(process.env.BENCH_CONCURRENCY ?? 50)})`);
  console.log(`lateness against the due time: p50 ${pct(lateness, 50)} ms, p99 ${pct(lateness, 99)} ms, max ${Math.max(...lateness)} ms (${lateness.length} measured)`);
  console.log(`peak memory (RSS): ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

  clearInterval(sampler);
  await events.close();
  await system.queues.reminders.obliterate({ force: true }).catch(() => undefined);
  await system.queues.notifications.obliterate({ force: true }).catch(() => undefined);
  await system.close();
  redis.disconnect();
  await bench.drop();
  await clearBenchKeys();
}

main().catch(async (err) => {
  console.error(`benchmark failed: ${String(err?.message ?? err).slice(0, 500)}`);
  await cleanUpBench().catch(() => undefined);
  process.exit(1);
});

