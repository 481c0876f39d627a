import type Redis from 'ioredis';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sequelize } from 'sequelize';

/**
 * The service's figures in Prometheus form, on a registry of its own (never prom-client's global
 * one: tests and several services in one process stay apart). What is counted is named by what a
 * clinic's IT staff would ask: how many requests and how fast, what people asked for, how bookings
 * went, whether the lock or the dependencies are struggling, how far behind the reminders are.
 * No label ever holds a person, a phone number or a message.
 */
export type BookingOutcome = 'booked' | 'taken' | 'unavailable' | 'limit' | 'refused' | 'error';

export interface Metrics {
  registry: Registry;
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** One inbound message's outcome on the shared road (answered, late, limited, duplicate, gated). */
  inbound(channel: string, outcome: string): void;
  /** One dialog turn and what it was read as (the intent, or 'none'). */
  turn(channel: string, intent: string | null | undefined): void;
  booking(outcome: BookingOutcome): void;
  /** The slot lock said no: someone else holds it, or Redis could not be asked. */
  lockRefused(reason: 'held' | 'unavailable'): void;
  /** How late a reminder went out against when it was due. */
  reminderSent(latenessSeconds: number): void;
  /** Database pool use, read when scraped. */
  watchPool(sequelize: Sequelize): void;
  watchRedis(redis: Redis, name: string): void;
  /** Jobs by queue and state, read when scraped. */
  watchQueue(name: string, counts: () => Promise<Record<string, number>>): void;
}

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'cc_' });
  const http = new Histogram({
    name: 'cc_http_request_duration_seconds',
    help: 'HTTP requests by route, method and status, and how long they took.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inbound = new Counter({ name: 'cc_inbound_messages_total', help: 'Inbound messages by channel and outcome.', labelNames: ['channel', 'outcome'] as const, registers: [registry] });
  const turns = new Counter({ name: 'cc_dialog_turns_total', help: 'Dialog turns by channel and what the message was read as.', labelNames: ['channel', 'intent'] as const, registers: [registry] });
  const bookings = new Counter({ name: 'cc_bookings_total', help: 'Booking attempts by outcome.', labelNames: ['outcome'] as const, registers: [registry] });
  const locks = new Counter({ name: 'cc_slot_lock_refusals_total', help: 'Slot locks refused: held by another booking, or Redis unavailable.', labelNames: ['reason'] as const, registers: [registry] });
  const lateness = new Histogram({
    name: 'cc_reminder_lateness_seconds',
    help: 'How late each reminder was sent against when it was due.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const reconnects = new Counter({ name: 'cc_redis_reconnects_total', help: 'Redis reconnections, by connection.', labelNames: ['connection'] as const, registers: [registry] });
  const pools: Sequelize[] = [];
  new Gauge({
    name: 'cc_db_pool_connections',
    help: 'Database pool connections by state (used, free, waiting requests).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of pools) {
        const pool = (s.connectionManager as unknown as { pool?: { size?: number; available?: number; using?: number; waiting?: number } }).pool;
        if (!pool) continue;
        this.inc({ state: 'used' }, pool.using ?? 0);
        this.inc({ state: 'free' }, pool.available ?? 0);
        this.inc({ state: 'waiting' }, pool.waiting ?? 0);
      }
    },
  });
  const queues = new Map<string, () => Promise<Record<string, number>>>();
  new Gauge({
    name: 'cc_queue_jobs',
    help: 'Jobs by queue and state (waiting, delayed, active, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [name, counts] of queues) {
        const c = await counts().catch(() => null);
        if (!c) continue;
        for (const state of ['waiting', 'delayed', 'active', 'failed']) this.set({ queue: name, state }, c[state] ?? 0);
      }
    },
  });

  return {
    registry,
    httpRequest: (route, method, status, seconds) => http.observe({ route, method, status: String(status) }, seconds),
    inbound: (channel, outcome) => inbound.inc({ channel, outcome }),
    turn: (channel, intent) => turns.inc({ channel, intent: intent ?? 'none' }),
    booking: (outcome) => bookings.inc({ outcome }),
    lockRefused: (reason) => locks.inc({ reason }),
    reminderSent: (seconds) => lateness.observe(Math.max(0, seconds)),
    watchPool: (sequelize) => void pools.push(sequelize),
    watchRedis: (redis, name) => {
      reconnects.inc({ connection: name }, 0);
      redis.on('reconnecting', () => reconnects.inc({ connection: name }));
    },
    watchQueue: (name, counts) => void queues.set(name, counts),
  };
}
