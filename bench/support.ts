import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import Redis from 'ioredis';
import type { Sequelize } from 'sequelize';
import { createSequelize, dropDatabase, ensureDatabase } from '../src/db/database';
import { createMigrator } from '../src/db/migrator';
import { createDb, type Db } from '../src/db/models';

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Every database and Redis key a benchmark makes starts with `cc_bench_<run>_`, and the benchmark
 * removes all of them when it ends, however it ends (the check in .ci/no-trace holds it to that).
 * BENCH_RUN names the run from outside, so that check knows what to look for.
 */
const RUN = process.env.BENCH_RUN ?? randomBytes(4).toString('hex');
if (!/^[a-z0-9]{4,16}$/.test(RUN)) throw new Error('BENCH_RUN must be 4 to 16 lower-case letters or digits');
export const BENCH_SCOPE = `cc_bench_${RUN}`;

/** A Redis key prefix of this benchmark's own (letters, digits and _ only, as REDIS_PREFIX wants). */
export function benchPrefix(label: string): string {
  return `${BENCH_SCOPE}_${label}`;
}

/** A migrated database of the benchmark's own, dropped by drop(). */
export async function createBenchDatabase(label: string, poolMax = 20): Promise<{ url: string; sequelize: Sequelize; db: Db; drop(): Promise<void> }> {
  const u = new URL(BENCH_DATABASE_URL);
  u.pathname = `/${BENCH_SCOPE}_${label}`;
  const url = u.toString();
  await ensureDatabase(url);
  const sequelize = createSequelize({ url, poolMax });
  await createMigrator(sequelize).up();
  return {
    url,
    sequelize,
    // As the service runs by default: hot statements prepared once per connection. DATABASE_PGBOUNCER=true
    // measures them as they go behind PgBouncer (plain text, planned on every call).
    db: createDb(sequelize, { namedStatements: process.env.DATABASE_PGBOUNCER !== 'true' }),
    async drop() {
      await sequelize.close();
      await dropDatabase(url);
    },
  };
}

/** Deletes every key under this benchmark's scope (queues included), with SCAN, on a connection of its own. */
export async function clearBenchKeys(): Promise<number> {
  const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  let deleted = 0;
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${BENCH_SCOPE}_*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Everything of this run, for the end of a benchmark that failed half way: its databases and keys. */
export async function cleanUpBench(): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${BENCH_SCOPE}_`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  await clearBenchKeys();
}

/** The line every benchmark prints first: what it ran on. */
export function machine(): string {
  return `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

/** A port nothing listens on now, for a service process the benchmark starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits for a started service to answer GET /healthz (30 s at most). */
export async function waitHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (r) => resolve(r.statusCode === 200)).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the service did not start');
}

/** The most memory a process has held (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}

/**
 * CPU time used so far (user + system, ms) by the processes that share the machine in a benchmark:
 * the service (a pid and its children), PostgreSQL, Redis and this process (the load generator).
 * Read from /proc, so Linux only; elsewhere every figure is 0.
 */
export function cpuSnapshot(servicePid: number): Record<'service' | 'postgres' | 'redis' | 'load', number> {
  const out = { service: 0, postgres: 0, redis: 0, load: 0 };
  if (!fs.existsSync('/proc/self/stat')) return out;
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const stats: Array<{ pid: number; ppid: number; comm: string; ms: number }> = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let raw: string;
    try {
      raw = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // the process ended between the listing and the read
    }
    const comm = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    stats.push({ pid: Number(name), ppid: Number(f[1]), comm, ms: (Number(f[11]) + Number(f[12])) * tick });
  }
  const service = new Set([servicePid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) if (!service.has(s.pid) && service.has(s.ppid)) (service.add(s.pid), (grew = true));
  }
  for (const s of stats) {
    if (service.has(s.pid)) out.service += s.ms;
    else if (s.pid === process.pid) out.load += s.ms;
    else if (s.comm === 'postgres') out.postgres += s.ms;
    else if (s.comm.startsWith('redis-server')) out.redis += s.ms;
  }
  return out;
}

/** "service 1.10 ms, PostgreSQL 0.40 ms, ..." of CPU per request between two snapshots. */
export function cpuPerRequest(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>, requests: number): string {
  const per = (k: keyof typeof before) => ((after[k] - before[k]) / Math.max(requests, 1)).toFixed(2);
  const total = (Object.keys(before) as Array<keyof typeof before>).reduce((s, k) => s + after[k] - before[k], 0) / Math.max(requests, 1);
  return `service ${per('service')} ms, PostgreSQL ${per('postgres')} ms, Redis ${per('redis')} ms, load generator ${per('load')} ms; ${total.toFixed(2)} ms in all`;
}

/** Stops a process the benchmark started and waits for it to be gone (at once if it already is). */
export async function stopProcess(child: import('node:child_process').ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}
