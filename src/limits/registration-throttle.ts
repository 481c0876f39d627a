import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { SettingsService } from '../services/settings';

/**
 * How many new numbers may start registering by text: so many an hour across the clinic, and so
 * many a day from one number block (the number less its last four digits), as the clinic's settings
 * say. Counted in Redis, so every instance shares the count; keys hold a hash of the block, never
 * the number. If Redis cannot count, registration waits (the conversation could not run anyway).
 */
export type Admission = 'ok' | 'block-full' | 'clinic-full';

export interface RegistrationThrottle {
  admit(phoneE164: string): Promise<Admission>;
}

export function numberBlock(phoneE164: string): string {
  return phoneE164.slice(0, Math.max(4, phoneE164.length - 4));
}

export function createRegistrationThrottle(redis: Redis, prefix: string, settings: SettingsService): RegistrationThrottle {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (name: string, points: number, duration: number) => {
    const key = `${name}:${points}`;
    let l = limiters.get(key);
    if (!l) {
      // Keyed by the limit too: an admin's new setting starts a count of its own.
      l = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:regthrottle:${name}:${points}`, points, duration });
      limiters.set(key, l);
    }
    return l;
  };
  const consume = async (l: RateLimiterRedis, key: string) => {
    try {
      await l.consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  };
  return {
    async admit(phoneE164) {
      const s = await settings.get();
      const block = createHash('sha256').update(numberBlock(phoneE164)).digest('hex').slice(0, 24);
      if (!(await consume(limiter('block', s.registrationsPerPrefixPerDay, 86_400), block))) return 'block-full';
      if (!(await consume(limiter('clinic', s.registrationsPerHour, 3_600), 'all'))) return 'clinic-full';
      return 'ok';
    },
  };
}
