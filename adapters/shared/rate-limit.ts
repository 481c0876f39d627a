import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * About `perMinute` messages a minute per phone number or platform user. 'limited' is answered
 * once with a polite word ('first'), then silently, so a flood is not answered with a flood.
 * If Redis cannot count, the message goes through: the conversation itself will say 'busy'.
 */
export type RateVerdict = 'ok' | 'limited-first' | 'limited';

export interface SenderRateLimiter {
  check(channel: string, senderId: string): Promise<RateVerdict>;
}

export function createSenderRateLimiter(redis: Redis, prefix: string, perMinute: number): SenderRateLimiter {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:rate`, points: perMinute, duration: 60 });
  return {
    async check(channel, senderId) {
      try {
        // Hashed: a phone number is patient data, even in a key name.
        await limiter.consume(createHash('sha256').update(`${channel}\u0000${senderId}`).digest('hex').slice(0, 32));
        return 'ok';
      } catch (err) {
        if (err instanceof RateLimiterRes) return err.consumedPoints === perMinute + 1 ? 'limited-first' : 'limited';
        return 'ok';
      }
    },
  };
}

export const SLOW_DOWN = "You're sending messages faster than I can answer. Please wait a minute, then try again.";
