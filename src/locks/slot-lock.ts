import type Redis from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { ServiceUnavailableError, SlotTakenError } from '../domain/errors';

/**
 * One lock per doctor and slot start. It is advisory: a paused process can outlive its lock, so the
 * database's exclusion constraint is the real guarantee. The lock spares the database a pile of
 * doomed transactions and lets a second patient hear 'taken' at once instead of waiting.
 */
export interface SlotLock {
  withSlot<T>(doctorId: string, startsAt: Date, fn: () => Promise<T>): Promise<T>;
}

export interface RedlockSlotLockOptions {
  prefix: string;
  ttlMs: number;
  /** 0 = fail fast: someone else holding the slot means it is being booked now. */
  retryCount?: number;
  /** Told of each refusal (the metrics): the slot is held by another booking, or Redis is unavailable. */
  onRefused?: (reason: 'held' | 'unavailable') => void;
}

export function slotLockKey(prefix: string, doctorId: string, startsAt: Date): string {
  return `${prefix}:lock:slot:${doctorId}:${startsAt.getTime()}`;
}

export function createRedlockSlotLock(redis: Redis, opts: RedlockSlotLockOptions): SlotLock {
  const redlock = new Redlock([redis], {
    retryCount: opts.retryCount ?? 0,
    retryDelay: 50,
    retryJitter: 25,
    driftFactor: 0.01,
  });
  // Redlock re-emits every client error; with no listener an EventEmitter would throw them.
  redlock.on('error', () => undefined);

  return {
    async withSlot(doctorId, startsAt, fn) {
      let lock;
      try {
        lock = await redlock.acquire([slotLockKey(opts.prefix, doctorId, startsAt)], opts.ttlMs);
      } catch (err) {
        if (await heldBySomeoneElse(err)) {
          opts.onRefused?.('held');
          throw new SlotTakenError(doctorId, startsAt, 'being-booked');
        }
        opts.onRefused?.('unavailable');
        throw new ServiceUnavailableError('redis', { cause: err });
      }
      try {
        return await fn();
      } finally {
        // The lock expires on its own; a failed release must not turn a booking into an error.
        await lock.release().catch(() => undefined);
      }
    },
  };
}

async function heldBySomeoneElse(err: unknown): Promise<boolean> {
  if (!(err instanceof ExecutionError) || err.attempts.length === 0) return false;
  const last = await err.attempts[err.attempts.length - 1];
  const reasons = [...last.votesAgainst.values()];
  return reasons.length > 0 && reasons.every((e) => e instanceof ResourceLockedError);
}

/** For tests that prove the database alone refuses double bookings, and for single-process tools. */
export const noSlotLock: SlotLock = {
  withSlot: (_doctorId, _startsAt, fn) => fn(),
};
