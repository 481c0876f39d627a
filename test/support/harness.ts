import type Redis from 'ioredis';
import { createRedis, connectRedis } from '../../src/locks/redis';
import { createRedlockSlotLock, noSlotLock, type SlotLock } from '../../src/locks/slot-lock';
import { createServices, type Services } from '../../src/services';
import { TestClock } from './clock';
import { TEST_REDIS_URL } from './env';
import { deleteKeys, scopedName } from './run-scope';
import { createTestDatabase, type TestDatabase } from './test-db';

export interface Harness extends TestDatabase {
  clock: TestClock;
  redis: Redis;
  prefix: string;
  locks: SlotLock;
  services: Services;
  close(): Promise<void>;
}

/**
 * The real services on this test file's own database and its own Redis key prefix, with a clock
 * the test controls.
 */
export async function createHarness(
  label: string,
  opts: { now?: string; lock?: 'redlock' | 'none'; clinicTimezone?: string } = {},
): Promise<Harness> {
  const tdb = await createTestDatabase(label);
  const clock = new TestClock(new Date(opts.now ?? '2026-12-01T12:00:00Z').getTime());
  const redis = await connectRedis(createRedis(TEST_REDIS_URL));
  // The run's scope, so the run's teardown finds whatever this file leaves.
  const prefix = scopedName(label);
  const locks = opts.lock === 'none' ? noSlotLock : createRedlockSlotLock(redis, { prefix, ttlMs: 5000 });
  const services = createServices({
    db: tdb.db,
    locks,
    now: clock.now,
    clinicTimezone: opts.clinicTimezone ?? 'America/New_York',
    settingsCacheMs: 0,
  });
  return {
    ...tdb,
    clock,
    redis,
    prefix,
    locks,
    services,
    async close() {
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await tdb.drop();
    },
  };
}
