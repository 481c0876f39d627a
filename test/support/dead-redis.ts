import type Redis from 'ioredis';
import { createRedis } from '../../src/locks/redis';

/**
 * A Redis client aimed at a port where nothing listens: Redis "down". A short disconnect timeout,
 * because ioredis arms one on disconnect that a never-opened stream would otherwise leave running.
 */
export function deadRedis(): Redis {
  return createRedis('redis://127.0.0.1:1', { retryStrategy: () => null, disconnectTimeout: 10 });
}
