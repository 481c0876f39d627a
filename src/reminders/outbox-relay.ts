import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Clock } from '../domain/clock';
import type { Db } from '../db/models';
import { reminderRepository, type OutboxEntry } from '../repositories/reminders';
import type { Logger } from '../logging';
import type { SettingsService } from '../services/settings';
import { enqueueNotification } from './notifications';
import { enqueueWaitlist } from './waitlist-offers';
import type { ReminderScheduler } from './reminder-scheduler';

/**
 * Relays the outbox (rows written in the same transaction as each booking, move or cancellation)
 * to the queues: reminders planned or removed, the doctor's notice, the patient's confirmation
 * check, the clinic's alert on bookings from new numbers. A batch is claimed with FOR UPDATE SKIP
 * LOCKED and marked relayed in the same transaction, so a relay that fails half way (Redis down, a
 * crash) leaves its rows for the next try; every queue write has a fixed job id, so a row relayed
 * twice does nothing twice.
 */
export interface OutboxRelay {
  /** Relays everything pending now; calls made while one runs share the next run. */
  drain(): Promise<number>;
  /** Polls every `everyMs` (rows this process did not write, or left by a failure). */
  start(everyMs: number): void;
  stop(): void;
}


/** How long after a booking the patient is texted "Booked", unless the reply already told them. */
export const CONFIRMATION_GRACE_MS = 20_000;

const BATCH = 100;

export function createOutboxRelay(deps: {
  db: Db;
  scheduler: ReminderScheduler;
  notifications: Queue;
  /** Freed times go to the waitlist (when the clinic runs one). */
  waitlist?: Queue;
  redis: Redis;
  redisPrefix: string;
  settings: SettingsService;
  now: Clock;
  logger: Logger;
  /** How long after a booking the patient is texted "Booked" unless the reply told them (default 20 s). */
  confirmationGraceMs?: number;
}): OutboxRelay {
  const log = deps.logger.child({ component: 'outbox' });
  let running: Promise<number> | null = null;
  let queued: Promise<number> | null = null;
  let timer: NodeJS.Timeout | undefined;

  const repo = reminderRepository(deps.db);

  async function relay(row: OutboxEntry): Promise<void> {
    const id = row.appointmentId;
    const p = row.payload ?? {};
    if (row.kind === 'appointment.booked' || row.kind === 'appointment.rescheduled') {
      if (row.kind === 'appointment.rescheduled' && typeof p.previousId === 'string') {
        await deps.scheduler.unschedule(p.previousId);
        // The time it moved from is free: the waitlist may fill it.
        if (deps.waitlist) await enqueueWaitlist(deps.waitlist, { kind: 'freed', appointmentId: p.previousId });
      }
      await deps.scheduler.schedule(id);
      // The later visits of a series: reminders each, but the doctor hears of the series once.
      if (p.quiet === true) return;
      await enqueueNotification(deps.notifications, { kind: row.kind === 'appointment.booked' ? 'doctor-booked' : 'doctor-moved', appointmentId: id });
      if (p.tellPatient === true) {
        await enqueueNotification(deps.notifications, { kind: 'patient-booked', appointmentId: id, moved: row.kind === 'appointment.rescheduled' }, deps.confirmationGraceMs ?? CONFIRMATION_GRACE_MS);
      }
      if (p.newPatient === true) await countNewNumberBooking();
    } else if (row.kind === 'appointment.cancelled') {
      await deps.scheduler.unschedule(id);
      if (deps.waitlist) await enqueueWaitlist(deps.waitlist, { kind: 'freed', appointmentId: id });
      await enqueueNotification(deps.notifications, { kind: 'doctor-cancelled', appointmentId: id });
      // The clinic cancelled (a doctor's time off, an admin): the patient hears of it.
      if (p.actorRole !== 'patient') await enqueueNotification(deps.notifications, { kind: 'patient-cancelled', appointmentId: id });
    }
  }

  /** Bookings from numbers registered that day, per hour; admins hear when the count reaches the setting. */
  async function countNewNumberBooking(): Promise<void> {
    const threshold = (await deps.settings.get()).newNumberBookingAlert;
    if (threshold <= 0) return;
    const hour = Math.floor(deps.now() / 3_600_000);
    const redis = deps.redis;
    const key = `${deps.redisPrefix}:alert:new-number-bookings:${hour}`;
    const [[, count]] = (await redis.multi().incr(key).expire(key, 7200).exec()) as [[unknown, number]];
    if (count === threshold) await enqueueNotification(deps.notifications, { kind: 'admin-alert', hour, count });
  }

  async function drainOnce(): Promise<number> {
    return repo.drainOutbox(BATCH, new Date(deps.now()), relay);
  }


  async function drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await drainOnce();
      total += n;
      if (n < BATCH) return total;
    }
  }

  function drain(): Promise<number> {
    if (!running) {
      running = drainAll().finally(() => {
        running = null;
      });
      return running;
    }
    // A run is under way and may have started before the caller's row was committed: one more
    // run after it, shared by everyone who asks meanwhile.
    queued ??= running.catch(() => 0).then(() => {
      queued = null;
      return drain();
    });
    return queued;
  }

  return {
    drain,
    start(everyMs) {
      timer = setInterval(() => {
        drain().catch((err) => log.warn({ err }, 'outbox relay failed; will try again'));
      }, everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
