/**
 * npm run bench:fhir: the FHIR API as an EHR loads it, over HTTP, the service as its own process.
 *
 * - Slot search: one practitioner's free slots over 30 days, all in one page. The slot engine
 *   computes them from weekly hours, time off and 120 booked appointments. Target: p99 < 20 ms.
 * - Appointment create: bookings through the booking service (slot lock, transaction, constraint),
 *   each a distinct time with one of 40 doctors, each for a patient of its own. Target: at least
 *   300/s with p99 < 100 ms.
 *
 * Prints throughput, p50/p99 latency, the service's peak memory and the machine; then checks in SQL
 * that every 201 is exactly one booked row and that no doctor is booked twice.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { insertAdmin, insertDoctor } from '../src/db/records';
import { createAuditLog } from '../src/services/audit';
import { createFhirClientsService } from '../src/services/fhir-clients';
import { BENCH_REDIS_URL, benchPrefix, cleanUpBench, clearBenchKeys, createBenchDatabase, freePort, machine, peakRssMiB, waitHealthy, stopProcess } from './support';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SLOT_CONNECTIONS = Number(process.env.BENCH_FHIR_SLOT_CONNECTIONS ?? 4);
const CREATE_CONNECTIONS = Number(process.env.BENCH_FHIR_CREATE_CONNECTIONS ?? 16);
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'slots,create').split(',').map((x) => x.trim()));
const DOCTORS = 40;
const PATIENTS = 20_000;
const NY = 'America/New_York';
const PUBLIC = 'https://bot.bench.test';



function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}


function report(name: string, r: autocannon.Result, target: string, ok: boolean): void {
  const failed = r.non2xx + r.errors + r.timeouts;
  console.log(
    `${name.padEnd(30)} ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.requests.total} requests, ` +
      `${failed} not 2xx or failed (target ${target}: ${ok ? 'met' : 'NOT met'})`,
  );
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('fhir', 5);
  const { url, sequelize, db } = bench;
  // One doctor whose slots are searched, forty who are booked.
  const weekdays = [1, 2, 3, 4, 5];
  const searched = await insertDoctor(db, { name: 'Searched Doctor', timeZone: NY, hours: [{ weekdays, start: '08:00', end: '18:00' }] });
  const booked: string[] = [];
  for (let i = 0; i < DOCTORS; i++) booked.push((await insertDoctor(db, { name: `Booked Doctor ${i}`, timeZone: NY, slotMinutes: 15, hours: [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '07:00', end: '21:00' }] })).doctorId);
  const users = await db.models.User.bulkCreate(Array.from({ length: PATIENTS }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `F${i}` })));
  const patients = await db.models.Patient.bulkCreate(users.map((u, i) => ({ userId: u.id, fullName: `Fhir Bench ${i}`, dateOfBirth: '1990-01-01', phoneE164: `+1555${String(7_000_000 + i)}`, timeZone: NY })));
  // The searched doctor's month is partly booked and has a day off, so the engine has work to do.
  const tomorrow = DateTime.now().setZone(NY).plus({ days: 1 }).startOf('day');
  const busy = [];
  for (let d = 0; d < 30 && busy.length < 120; d++) {
    const day = tomorrow.plus({ days: d });
    if (day.weekday > 5) continue;
    for (const hour of [9, 11, 14, 16, 17]) busy.push({ doctorId: searched.doctorId, patientId: patients[busy.length].id, startsAt: day.set({ hour }).toJSDate(), endsAt: day.set({ hour, minute: 30 }).toJSDate(), status: 'booked' as const, channel: 'bench' });
  }
  await db.models.Appointment.bulkCreate(busy);
  await db.models.TimeOff.create({ doctorId: searched.doctorId, startsAt: tomorrow.plus({ days: 8 }).toJSDate(), endsAt: tomorrow.plus({ days: 9 }).toJSDate(), reason: 'bench' });

  const admin = await insertAdmin(db, { name: 'Bench Admin', email: 'admin@fhir.bench' });
  const client = await createFhirClientsService({ db, audit: createAuditLog(db), now: Date.now }).register(admin, 'Bench EHR', ['system/Slot.read', 'system/Appointment.write']);

  const port = await freePort();
  const app = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', path.join(__dirname, '../app/main.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: url,
      REDIS_URL: BENCH_REDIS_URL,
      REDIS_PREFIX: benchPrefix('fhir'),
      PUBLIC_BASE_URL: PUBLIC,
      CLINIC_TIMEZONE: NY,
      LOG_LEVEL: 'error',
      CLINIC_NAME: 'Bench Clinic',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitHealthy(port);
    const tokenRes = await post(port, '/fhir/token', new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret! }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const token = JSON.parse(tokenRes.body).access_token as string;
    if (!token) throw new Error(`no token: ${tokenRes.status}`);
    const auth = { authorization: `Bearer ${token}` };
    console.log('Clinic Concierge FHIR API benchmark');
    console.log(machine());
    console.log(`load: autocannon, ${DURATION} s per scenario after a 2 s warm-up; the service is one process; PostgreSQL, Redis and the load share the machine`);

    // Slot search: 30 days of one practitioner's free slots in one page.
    const from = tomorrow.toISODate();
    const to = tomorrow.plus({ days: 30 }).toISODate();
    const slotPath = `/fhir/Slot?schedule.actor=Practitioner/${searched.doctorId}&start=ge${from}&start=lt${to}&status=free&_count=500`;
    const sample = await new Promise<string>((resolve) => http.get({ host: '127.0.0.1', port, path: slotPath, agent: false, headers: auth }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => resolve(b)); }));
    const slotCount = (JSON.parse(sample).entry ?? []).length;
    const slotRun = (duration: number, connections: number) => autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, requests: [{ method: 'GET', path: slotPath, headers: auth }] });
    if (SCENARIOS.has('slots')) {
      await slotRun(2, 1);
      // One client asking, as an EHR screen does: the latency the target is about.
      const alone = await slotRun(DURATION, 1);
      console.log(`Slot search: ${slotCount} free slots over 30 days in each answer (${Math.round(Buffer.byteLength(sample) / 1024)} KiB)`);
      report('  one connection', alone, 'p99 < 20 ms', alone.latency.p99 < 20 && alone.non2xx === 0);
      const busy = await slotRun(DURATION, SLOT_CONNECTIONS);
      report(`  ${SLOT_CONNECTIONS} connections`, busy, 'p99 < 20 ms', busy.latency.p99 < 20 && busy.non2xx === 0);
    }

    // Appointment create: distinct times, doctors taken in turn so concurrent bookings rarely share a lock.
    const times: Array<{ doctorId: string; start: string }> = [];
    for (let d = 0; times.length < PATIENTS; d++) {
      const day = tomorrow.plus({ days: d });
      for (let slot = 0; slot < 56 && times.length < PATIENTS; slot++) {
        const start = day.set({ hour: 7 }).plus({ minutes: 15 * slot }).toUTC().toISO()!;
        for (const doctorId of booked) times.push({ doctorId, start });
      }
    }
    let next = 0;
    const createRun = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: CREATE_CONNECTIONS,
        duration,
        requests: [
          {
            method: 'POST',
            path: '/fhir/Appointment',
            setupRequest: (req) => {
              const i = next++ % times.length;
              const body = JSON.stringify({
                resourceType: 'Appointment',
                status: 'booked',
                start: times[i].start,
                participant: [{ actor: { reference: `Practitioner/${times[i].doctorId}` } }, { actor: { reference: `Patient/${patients[i].id}` } }],
              });
              return { ...req, body, headers: { ...auth, 'content-type': 'application/fhir+json' } };
            },
          },
        ],
      });
    if (SCENARIOS.has('create')) {
      const warm = await createRun(2);
      const creates = await createRun(DURATION);
      console.log(`Appointment create: one booking per request, ${DOCTORS} doctors, ${CREATE_CONNECTIONS} connections`);
      report('  Appointment create', creates, '>= 300/s, p99 < 100 ms', creates.requests.average >= 300 && creates.latency.p99 < 100 && creates.non2xx === 0);
      const [check] = await sequelize.query<{ rows: string; distinct_times: string }>(
        `SELECT count(*) AS rows, count(DISTINCT (doctor_id, starts_at)) AS distinct_times FROM appointments WHERE channel = 'fhir' AND status = 'booked'`,
        { type: QueryTypes.SELECT },
      );
      // Requests still in flight when a run ends may be booked after autocannon stopped counting them.
      const answered = warm['2xx'] + creates['2xx'];
      const ok = check.rows === check.distinct_times && Number(check.rows) >= answered && Number(check.rows) <= next;
      console.log(`  check: ${answered} answered 201, ${check.rows} booked rows, ${check.distinct_times} distinct doctor-times: ${ok ? 'every 201 booked once, no doctor twice' : 'MISMATCH'}`);
    }
    console.log(`peak memory of the service process (VmHWM): ${peakRssMiB(app.pid!)} MiB`);
  } finally {
    // A service that died at start-up has already exited: waiting for its exit would hang.
    await stopProcess(app);
    await bench.drop();
    await clearBenchKeys();
  }
}

main().catch(async (err) => {
  console.error(`benchmark failed: ${String(err?.message ?? err).slice(0, 500)}`);
  await cleanUpBench().catch(() => undefined);
  process.exit(1);
});
