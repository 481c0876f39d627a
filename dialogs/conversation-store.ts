import { createHash, randomUUID } from 'node:crypto';
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
   * instances) would otherwise both read the same state and one turn would be lost. The turn is
   * given its sender's state loader: the first call answers with the state read together with the
   * turn's lock (no second round trip), later calls read afresh.
   */
  oneTurnAtATime<T>(channel: string, senderId: string, turn: (load: () => Promise<ConversationState | null>) => Promise<T>): Promise<T>;
}

const KEEP_SECONDS = 24 * 3600;
/** Longer than any turn takes; a crashed holder's lock lapses by itself. */
const TURN_LOCK_MS = 15_000;
const TURN_WAIT_MS = 10_000;
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Takes the turn and, when it is taken, reads the state in the same call: one round trip, not two. */
const ACQUIRE = "if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {1, redis.call('get', KEYS[2])} else return {0} end";

type WithRelease = Redis & {
  ccReleaseTurn?(key: string, token: string): Promise<number>;
  ccAcquireTurn?(lockKey: string, stateKey: string, token: string, ms: number): Promise<[number, string?]>;
};

function parse(raw: string | null): ConversationState | null {
  if (!raw) return null;
  try {
    const state = JSON.parse(raw) as ConversationState;
    return state?.v === 2 ? state : null;
  } catch {
    return null;
  }
}

export function createRedisConversationStore(client: Redis, prefix: string): ConversationStore {
  // A script defined once is sent by its hash (EVALSHA), not its text, on every turn.
  const redis = client as WithRelease;
  if (!redis.ccReleaseTurn) redis.defineCommand('ccReleaseTurn', { numberOfKeys: 1, lua: RELEASE });
  if (!redis.ccAcquireTurn) redis.defineCommand('ccAcquireTurn', { numberOfKeys: 2, lua: ACQUIRE });
  const key = (channel: string, senderId: string) =>
    `${prefix}:conv:${createHash('sha256').update(`${channel}\u0000${senderId}`).digest('hex').slice(0, 32)}`;
  return {
    async load(channel, senderId) {
      return parse(await redis.get(key(channel, senderId)));
    },
    async save(channel, senderId, state, ttlSeconds) {
      await redis.set(key(channel, senderId), JSON.stringify(state), 'EX', Math.max(1, Math.min(ttlSeconds ?? KEEP_SECONDS, KEEP_SECONDS)));
    },
    async clear(channel, senderId) {
      await redis.del(key(channel, senderId));
    },
    async oneTurnAtATime(channel, senderId, turn) {
      const stateKey = key(channel, senderId);
      const lockKey = `${stateKey}:turn`;
      const token = randomUUID();
      const deadline = Date.now() + TURN_WAIT_MS;
      // The state read with the lock, for the turn's first load; undefined when there is none to use.
      let prefetched: string | null | undefined;
      // Waits its turn; past the wait it goes ahead rather than drop the message (and reads afresh).
      for (;;) {
        const [taken, raw] = await redis.ccAcquireTurn!(lockKey, stateKey, token, TURN_LOCK_MS);
        if (taken === 1) {
          prefetched = raw ?? null;
          break;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const load = async () => {
        if (prefetched === undefined) return parse(await redis.get(stateKey));
        // Read under this turn's lock a moment ago; nobody else can have written it since.
        const raw = prefetched;
        prefetched = undefined;
        return parse(raw);
      };
      try {
        return await turn(load);
      } finally {
        await redis.ccReleaseTurn!(lockKey, token).catch(() => undefined);
      }
    },
  };
}
