import Redis, { type RedisOptions } from 'ioredis';

/**
 * Where Redis is: a URL, or (for Redis Sentinel) the URL's password and database with the sentinels
 * to ask for the current master. Every client the service makes (requests, locks, queues, workers)
 * is built from the same target, so all of them follow a failover.
 */
export interface RedisTarget {
  url: string;
  sentinels?: ReadonlyArray<{ host: string; port: number }> | null;
  sentinelName?: string | null;
  sentinelPassword?: string | null;
}

/** The ioredis options for a target, merged with the caller's own. */
export function newRedis(target: string | RedisTarget, extra: RedisOptions = {}): Redis {
  const t: RedisTarget = typeof target === 'string' ? { url: target } : target;
  if (!t.sentinels?.length) return new Redis(t.url, extra);
  const u = new URL(t.url);
  return new Redis({
    sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: t.sentinelName ?? 'mymaster',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    sentinelPassword: t.sentinelPassword ?? undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) || 0 : 0,
    ...(u.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...extra,
  });
}

/**
 * A Redis client for request paths: no offline queue, so a command while Redis is down fails at
 * once (and the user hears 'try again shortly') instead of hanging until Redis returns. Commands
 * issued in the same tick by concurrent requests go out in one write (auto-pipelining): under load
 * that is most of what a request's Redis calls cost (docs/performance.md).
 */
export function createRedis(target: string | RedisTarget, extra: RedisOptions = {}): Redis {
  return newRedis(target, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    enableAutoPipelining: true,
    ...extra,
  });
}

/** Connects and waits until the client is ready; start-up fails loudly rather than later. */
export async function connectRedis(redis: Redis): Promise<Redis> {
  if (redis.status === 'wait') await redis.connect();
  return redis;
}
