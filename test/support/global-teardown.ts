import Redis from 'ioredis';
import { TEST_REDIS_URL } from './env';
import type { RunHandle } from './global-setup';
import { deleteKeys, dropDatabases, runScope } from './run-scope';

/** Removes every database and Redis key this run made (and only those), then lets go of its lock. */
export default async function globalTeardown(): Promise<void> {
  const handle = (globalThis as { __ccTestRun?: RunHandle }).__ccTestRun;
  if (!handle) return;
  const scope = `${runScope(handle.runId)}_`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await dropDatabases(handle.lockClient, scope);
    await deleteKeys(redis, `${scope}*`);
  } finally {
    redis.disconnect();
    // Ending the session releases the advisory lock.
    await handle.lockClient.end();
  }
}
