import Redis from 'ioredis';
import { Client } from 'pg';
import { createSequelize } from '../../src/db/database';
import { createMigrator } from '../../src/db/migrator';
import { TEST_DATABASE_URL, TEST_REDIS_URL, databaseUrl, templateDb } from './env';
import { deleteKeys, dropDatabases, holdRunLock, isRunId, newRunId, runIdOf, runIsGone, runScope } from './run-scope';

/** What the global teardown needs from the setup (the same process: jest hands nothing else over). */
export interface RunHandle {
  runId: string;
  lockClient: Client;
}

/**
 * Runs once per jest run: checks PostgreSQL and Redis are there (with a message that says how to
 * start them), takes this run's id and lock, clears what runs that are gone left behind (never a
 * live run's), and migrates a template database that every test file of the run copies.
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env.CC_TEST_RUN;
  if (given && !isRunId(given)) throw new Error(`CC_TEST_RUN=${given} is not a run id (r + 8 base-36 characters + 4 hex digits).`);
  const runId = given ?? newRunId();
  // Set before any test file starts, so every jest worker process inherits it.
  process.env.CC_TEST_RUN = runId;

  const lockClient = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000, application_name: `cc-test-run ${runId}` });
  try {
    await lockClient.connect();
  } catch (err) {
    throw new Error(
      `Tests need PostgreSQL at ${TEST_DATABASE_URL} (${(err as Error).message}). ` +
        'Start it (docker compose up -d postgres, or pg_ctlcluster) or set TEST_DATABASE_URL.',
    );
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    await lockClient.end();
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (${(err as Error).message}). Start it (docker compose up -d redis) or set TEST_REDIS_URL.`);
  }

  try {
    await holdRunLock(lockClient, runId);
    (globalThis as { __ccTestRun?: RunHandle }).__ccTestRun = { runId, lockClient };
    await clearGoneRuns(lockClient, redis, runId);
    await lockClient.query(`CREATE DATABASE "${templateDb(runId)}"`);
  } finally {
    redis.disconnect();
  }
  const sequelize = createSequelize({ url: databaseUrl(templateDb(runId)), poolMax: 1 });
  try {
    await createMigrator(sequelize).up();
  } finally {
    await sequelize.close();
  }
}

/** Databases and Redis keys of runs that ended without cleaning up (killed, crashed). */
async function clearGoneRuns(client: Client, redis: Redis, ownRunId: string): Promise<void> {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, 'cc_test_')");
  const runs = new Set<string>();
  for (const { datname } of rows) {
    const id = runIdOf(datname);
    if (id) runs.add(id);
  }
  // Redis keys may outlive a run's databases (a run killed between the two clean-ups).
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'cc_test_r*', 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const id = runIdOf(key);
      if (id) runs.add(id);
    }
  } while (cursor !== '0');
  runs.delete(ownRunId);
  for (const id of runs) {
    if (!(await runIsGone(client, id))) continue;
    await dropDatabases(client, `${runScope(id)}_`);
    await deleteKeys(redis, `${runScope(id)}_*`);
  }
}
