/**
 * What this machine can do at most, measured in the same run as the service: the benchmarks print
 * their figures beside these, as a ratio, so a number is read against the machine it ran on.
 *
 * - pgbench on a booking-shaped transaction: the statements a booking sends (read the doctor and
 *   their hours, lock the patient's row, count their bookings, insert the appointment under an
 *   exclusion constraint, the outbox row and the audit row), with no application in between.
 * - a bare restify server answering POST /sms with empty TwiML (the same body parser), loaded by
 *   the same load generator with the same connections as the SMS webhook.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Sequelize } from 'sequelize';

/** Booking-shaped transactions per second, as pgbench measures them on this database. */
export async function pgbenchBookings(sequelize: Sequelize, url: string, opts: { clients: number; seconds: number }): Promise<{ tps: number; command: string }> {
  await sequelize.query(`
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    DROP TABLE IF EXISTS limit_audit, limit_outbox, limit_appts, limit_rules, limit_patients, limit_doctors;
    CREATE TABLE limit_doctors (id int PRIMARY KEY, time_zone text NOT NULL DEFAULT 'America/New_York');
    CREATE TABLE limit_rules (doctor_id int NOT NULL, weekday int NOT NULL, start_time time NOT NULL, end_time time NOT NULL);
    CREATE TABLE limit_patients (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE limit_appts (
      id bigserial PRIMARY KEY, doctor_id int NOT NULL, patient_id int NOT NULL, starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'booked',
      EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'booked'));
    CREATE INDEX ON limit_appts (patient_id, starts_at);
    CREATE TABLE limit_outbox (id bigserial PRIMARY KEY, appt bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE limit_audit (id bigserial PRIMARY KEY, action text NOT NULL, appt bigint, at timestamptz NOT NULL DEFAULT now());
    INSERT INTO limit_doctors (id) SELECT g FROM generate_series(1, 1000) g;
    INSERT INTO limit_rules SELECT d, w, '09:00', '17:00' FROM generate_series(1, 1000) d, generate_series(1, 5) w;
    INSERT INTO limit_patients (id) SELECT g FROM generate_series(1, 100000) g;
  `);
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cc-pgbench-')), 'booking.sql');
  fs.writeFileSync(
    script,
    [
      '\\set doc random(1, 1000)',
      '\\set pat random(1, 100000)',
      '\\set slot random(1, 2000000)',
      'BEGIN;',
      'SELECT id, time_zone FROM limit_doctors WHERE id = :doc;',
      'SELECT weekday, start_time, end_time FROM limit_rules WHERE doctor_id = :doc;',
      'SELECT created_at FROM limit_patients WHERE id = :pat FOR UPDATE;',
      "SELECT count(*) FROM limit_appts WHERE patient_id = :pat AND status = 'booked' AND starts_at > now();",
      "INSERT INTO limit_appts (doctor_id, patient_id, starts_at, ends_at) VALUES (:doc, :pat, timestamptz '2027-01-01' + :slot * interval '30 minutes', timestamptz '2027-01-01' + (:slot + 1) * interval '30 minutes') ON CONFLICT DO NOTHING;",
      'INSERT INTO limit_outbox (appt) VALUES (:slot);',
      "INSERT INTO limit_audit (action, appt) VALUES ('appointment.book', :slot);",
      'COMMIT;',
      '',
    ].join('\n'),
  );
  const args = ['-n', '-c', String(opts.clients), '-j', '2', '-T', String(opts.seconds), '-f', script, url];
  const out = await new Promise<string>((resolve, reject) =>
    execFile('pgbench', args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`pgbench failed: ${stderr || err.message}`)) : resolve(stdout))),
  );
  await sequelize.query('DROP TABLE IF EXISTS limit_audit, limit_outbox, limit_appts, limit_rules, limit_patients, limit_doctors');
  fs.rmSync(path.dirname(script), { recursive: true, force: true });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? /tps = ([\d.]+)/.exec(out)?.[1]);
  return { tps, command: `pgbench -n -c ${opts.clients} -j 2 -T ${opts.seconds} (booking-shaped transaction)` };
}

/** Requests per second a bare restify answers on POST /sms, under the same load as the webhook. */
export async function bareRestify(opts: { connections: number; seconds: number; body: string }): Promise<{ rps: number; p99: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bare-restify.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', () => reject(new Error('the bare restify server did not start')));
    });
    const run = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/sms`,
        method: 'POST',
        connections: opts.connections,
        duration,
        body: opts.body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    await run(2);
    const r = await run(opts.seconds);
    return { rps: r.requests.average, p99: r.latency.p99 };
  } finally {
    child.kill('SIGTERM');
  }
}

export const ratio = (ours: number, limit: number) => `${((100 * ours) / Math.max(1e-9, limit)).toFixed(0)}% of it`;
