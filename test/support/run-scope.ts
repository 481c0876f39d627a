import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Client } from 'pg';

/**
 * Every name a test run makes (databases, Redis keys) starts with `cc_test_<run id>_`, so two runs
 * sharing one PostgreSQL and one Redis never touch each other's, and each run removes exactly what
 * it made. A run holds a PostgreSQL advisory lock named after its id for as long as it lives: names
 * of a run whose lock is free were left by a run that is gone, and only those are cleaned up.
 */
const RUN_ID = /^r[0-9a-z]{8}[0-9a-f]{4}$/;

export function newRunId(): string {
  return `r${Date.now().toString(36).padStart(8, '0').slice(-8)}${randomBytes(2).toString('hex')}`;
}

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** The run this process belongs to (set by the global setup before any test file starts). */
export function currentRunId(): string {
  const id = process.env.CC_TEST_RUN;
  if (!id || !isRunId(id)) throw new Error('CC_TEST_RUN is not set: run the tests through jest, whose global setup sets it.');
  return id;
}

export const runScope = (runId: string) => `cc_test_${runId}`;

/** A database name or Redis prefix of this run's own: letters, digits and underscores only. */
export function scopedName(label: string, runId = currentRunId()): string {
  const clean = label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 20);
  return `${runScope(runId)}_${clean}_${randomBytes(4).toString('hex')}`;
}

/** The run id inside a name made by scopedName or the template, or null for any other name. */
export function runIdOf(name: string): string | null {
  const m = /^cc_test_(r[0-9a-z]{8}[0-9a-f]{4})_/.exec(name);
  return m ? m[1] : null;
}

const LOCK_SQL = "hashtext('clinic-concierge test run'), hashtext($1)";

/** Taken at the start of a run, on a connection that stays open until the run ends. */
export async function holdRunLock(client: Client, runId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_lock(${LOCK_SQL})`, [runId]);
}

/** Whether the run that owns `runId` is gone (nobody holds its lock). Never true for a live run. */
export async function runIsGone(client: Client, runId: string): Promise<boolean> {
  const { rows } = await client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_SQL}) AS free`, [runId]);
  if (rows[0].free) await client.query(`SELECT pg_advisory_unlock(${LOCK_SQL})`, [runId]);
  return rows[0].free;
}

/** Deletes every key matching `pattern` (SCAN, never KEYS: the server may be shared and large). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Drops every database whose name starts with `prefix` (the run's own, or a gone run's). */
export async function dropDatabases(client: Client, prefix: string): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
  for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  return rows.map((r) => r.datname);
}
