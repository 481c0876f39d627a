import Redis, { type RedisOptions } from 'ioredis';

/**
 * A Redis client for request paths: no offline queue, so a command while Redis is down fails at
 * once (and the user hears 'try again shortly') instead of hanging until Redis returns.
 */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  });
}

/** Connects and waits until the client is ready; start-up fails loudly rather than later. */
export async function connectRedis(redis: Redis): Promise<Redis> {
  if (redis.status === 'wait') await redis.connect();
  return redis;
}
