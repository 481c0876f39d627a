import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { newRedis, type RedisTarget } from '../locks/redis';

/**
 * The BullMQ queues, with an init and a matching close. The producer connection fails fast when
 * Redis is down (a booking must not hang on its reminders: reconciliation adds them later); workers
 * get their own blocking connections with maxRetriesPerRequest: null, as BullMQ requires.
 */
export const REMINDERS = 'reminders';
export const NOTIFICATIONS = 'notifications';
export const HOLDS = 'holds';
export const WAITLIST_QUEUE = 'waitlist';

export interface Queues {
  reminders: Queue;
  notifications: Queue;
  /** Expiry of the times held for patients while they confirm. */
  holds: Queue;
  /** Freed times offered to the waitlist, and the offers' expiry. */
  waitlist: Queue;
  /** The BullMQ key prefix (under the service's Redis prefix). */
  prefix: string;
  /** The producers' fail-fast connection, for small counters beside the queues. */
  redis: Redis;
  /** A new connection for a Worker. */
  workerConnection(): Redis;
  close(): Promise<void>;
}

export function createQueues(redis: string | RedisTarget, redisPrefix: string): Queues {
  const producer = newRedis(redis, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000 });
  producer.on('error', () => undefined);
  const prefix = `${redisPrefix}:bull`;
  const workers: Redis[] = [];
  const reminders = new Queue(REMINDERS, { connection: producer, prefix });
  const notifications = new Queue(NOTIFICATIONS, { connection: producer, prefix });
  const holds = new Queue(HOLDS, { connection: producer, prefix });
  const waitlist = new Queue(WAITLIST_QUEUE, { connection: producer, prefix });
  waitlist.on('error', () => undefined);
  holds.on('error', () => undefined);
  reminders.on('error', () => undefined);
  notifications.on('error', () => undefined);
  return {
    reminders,
    notifications,
    holds,
    waitlist,
    prefix,
    redis: producer,
    workerConnection() {
      const connection = newRedis(redis, { maxRetriesPerRequest: null });
      connection.on('error', () => undefined);
      workers.push(connection);
      return connection;
    },
    async close() {
      await Promise.allSettled([reminders.close(), notifications.close(), holds.close(), waitlist.close()]);
      producer.disconnect();
      for (const w of workers) w.disconnect();
    },
  };
}

/** A custom job id may not contain ':' nor be a bare integer. */
export function reminderJobId(appointmentId: string, offsetMinutes: number): string {
  return `rem-${appointmentId}-${offsetMinutes}`;
}
