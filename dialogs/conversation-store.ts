import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { ConversationState } from './types';

/**
 * Conversations live in Redis, so a restart of the service (or another instance) picks up where
 * the last message left off. Keys are hashed: a phone number is patient data, even in a key name.
 * The key expires a day after the last message; going idle for 30 minutes is judged from
 * lastActivity by the engine, with its own clock, so tests never wait.
 */
export interface ConversationStore {
  load(channel: string, senderId: string): Promise<ConversationState | null>;
  /** Kept a day after the last message, or `ttlSeconds` when given (a registration not yet agreed to). */
  save(channel: string, senderId: string, state: ConversationState, ttlSeconds?: number): Promise<void>;
  clear(channel: string, senderId: string): Promise<void>;
  /**
   * Runs one turn alone: two messages from the same sender at once (two quick texts, perhaps on two
   * instances) would otherwise both read the same state and one turn would be lost.
   */
  oneTurnAtATime<T>(channel: string, senderId: string, turn: () => Promise<T>): Promise<T>;
}

const KEEP_SECONDS = 24 * 3600;
/** Longer than any turn takes; a crashed holder's lock lapses by itself. */
const TURN_LOCK_MS = 15_000;
const TURN_WAIT_MS = 10_000;
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

type WithRelease = Redis & { ccReleaseTurn?(key: string, token: string): Promise<number> };

export function createRedisConversationStore(client: Redis, prefix: string): ConversationStore {
  // A script defined once is sent by its hash (EVALSHA), not its text, on every turn.
  const redis = client as WithRelease;
  if (!redis.ccReleaseTurn) redis.defineCommand('ccReleaseTurn', { numberOfKeys: 1, lua: RELEASE });
  const key = (channel: string, senderId: string) =>
    `${prefix}:conv:${createHash('sha256').update(`${channel}\u0000${senderId}`).digest('hex').slice(0, 32)}`;
  return {
    async load(channel, senderId) {
      const raw = await redis.get(key(channel, senderId));
      if (!raw) return null;
      try {
        const state = JSON.parse(raw) as ConversationState;
        return state?.v === 2 ? state : null;
      } catch {
        return null;
      }
    },
    async save(channel, senderId, state, ttlSeconds) {
      await redis.set(key(channel, senderId), JSON.stringify(state), 'EX', Math.max(1, Math.min(ttlSeconds ?? KEEP_SECONDS, KEEP_SECONDS)));
    },
    async clear(channel, senderId) {
      await redis.del(key(channel, senderId));
    },
    async oneTurnAtATime(channel, senderId, turn) {
      const lockKey = `${key(channel, senderId)}:turn`;
      const token = randomBytes(8).toString('hex');
      const deadline = Date.now() + TURN_WAIT_MS;
      // Waits its turn; past the wait it goes ahead rather than drop the message.
      while ((await redis.set(lockKey, token, 'PX', TURN_LOCK_MS, 'NX')) !== 'OK' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      try {
        return await turn();
      } finally {
        await redis.ccReleaseTurn!(lockKey, token).catch(() => undefined);
      }
    },
  };
}
