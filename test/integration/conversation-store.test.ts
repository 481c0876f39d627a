import Redis from 'ioredis';
import { createRedisConversationStore, type ConversationStore } from '../../dialogs/conversation-store';
import type { ConversationState } from '../../dialogs/types';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';

/**
 * The conversation store on the real Redis: one turn at a time per sender, however many messages
 * arrive at once, and each turn starting from what the last one saved (the state read with the
 * turn's lock in the same call is never older than that).
 */
const prefix = scopedName('conv_store');
let redis: Redis;
let store: ConversationStore;

const state = (seq: number): ConversationState => ({ v: 2, at: null, back: [], verified: false, lastActivity: 0, seq });

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
  store = createRedisConversationStore(redis, prefix);
});
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

/** A turn that reads, thinks a little, and writes one more: concurrent turns would lose counts. */
const countTurn = (sender: string) =>
  store.oneTurnAtATime('sms', sender, async (load) => {
    const seen = (await load())?.seq ?? 0;
    await new Promise((r) => setTimeout(r, 5));
    await store.save('sms', sender, state(seen + 1));
    return seen;
  });

it('runs the turns of one sender one at a time: ten at once count to ten', async () => {
  const seen = await Promise.all(Array.from({ length: 10 }, () => countTurn('+15550970001')));
  expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect((await store.load('sms', '+15550970001'))?.seq).toBe(10);
});

it('starts each turn from what the previous one saved, and reads again after a save in the same turn', async () => {
  await store.save('sms', '+15550970002', state(41));
  await store.oneTurnAtATime('sms', '+15550970002', async (load) => {
    expect((await load())?.seq).toBe(41);
    await store.save('sms', '+15550970002', state(42));
    expect((await load())?.seq).toBe(42);
    // Another sender's state, read inside this turn, is theirs.
    expect(await store.load('sms', '+15550970003')).toBeNull();
  });
  await store.oneTurnAtATime('sms', '+15550970002', async (load) => {
    expect((await load())?.seq).toBe(42);
  });
});

it('a cleared conversation starts afresh at the next turn', async () => {
  await store.save('sms', '+15550970004', state(7));
  await store.clear('sms', '+15550970004');
  await store.oneTurnAtATime('sms', '+15550970004', async (load) => {
    expect(await load()).toBeNull();
  });
});

it('has a state saved in a turn written by the time the turn returns, even when the turn then fails; cleared, nothing is written', async () => {
  const otherClient = new Redis(TEST_REDIS_URL);
  const other = createRedisConversationStore(otherClient, prefix);
  await store.oneTurnAtATime('sms', '+15550970005', async () => store.save('sms', '+15550970005', state(5)));
  expect((await other.load('sms', '+15550970005'))?.seq).toBe(5);

  await expect(
    store.oneTurnAtATime('sms', '+15550970005', async () => {
      await store.save('sms', '+15550970005', state(6));
      throw new Error('the turn failed after saving');
    }),
  ).rejects.toThrow('the turn failed after saving');
  expect((await other.load('sms', '+15550970005'))?.seq).toBe(6);

  await store.oneTurnAtATime('sms', '+15550970005', async () => {
    await store.save('sms', '+15550970005', state(7));
    await store.clear('sms', '+15550970005');
  });
  expect(await other.load('sms', '+15550970005')).toBeNull();
  // Every turn's lock was given back, none left to lapse.
  expect(await redis.keys(`${prefix}:conv:*:turn`)).toEqual([]);
  otherClient.disconnect();
});
