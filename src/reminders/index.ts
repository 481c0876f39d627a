import { Worker as BullWorker, type Worker } from 'bullmq';
import type { Clock } from '../domain/clock';
import type { Db } from '../db/models';
import type { Logger } from '../logging';
import type { RedisTarget } from '../locks/redis';
import type { Metrics } from '../observability/metrics';
import type { AuditLog } from '../services/audit';
import type { AppointmentEvents } from '../services/events';
import type { SettingsService } from '../services/settings';
import { createNotificationWorker, type StaffMessenger } from './notifications';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay';
import { createQueues, HOLDS, type Queues } from './queues';
import { createWaitlistWorker, enqueueWaitlist, type WaitlistOfferDeps } from './waitlist-offers';
import { createReminderScheduler, type ReminderScheduler } from './reminder-scheduler';
import { createReminderWorker, type ReminderSms } from './reminder-worker';

export interface ReminderSystemDeps {
  /** Where Redis is (a URL, or Sentinel): the queues and workers connect there. */
  redis: string | RedisTarget;
  redisPrefix: string;
  db: Db;
  settings: SettingsService;
  audit: AuditLog;
  events: AppointmentEvents;
  sms: ReminderSms | null;
  staff: StaffMessenger | null;
  clinicName: string;
  now: Clock;
  logger: Logger;
  awaitReply?: (phone: string, appointmentId: string, startsAt: number) => Promise<void>;
  /** The waitlist: freed times offered by text (omit to run no waitlist). */
  waitlist?: Omit<WaitlistOfferDeps, 'queue' | 'now' | 'logger' | 'sms'>;
  /** Deletes a hold once it has expired (booking.sweepHold). */
  sweepHold?: (holdId: string) => Promise<boolean>;
  /** Pulls the doctors' own calendars (every five minutes). */
  syncCalendars?: () => Promise<unknown>;
  /** How often reconciliation re-adds missing jobs (after a Redis outage, say). */
  reconcileEveryMs?: number;
  /** How long after a booking its patient is texted "Booked" unless the reply told them. */
  confirmationGraceMs?: number;
  /** How often the outbox is polled for rows no event announced (another process's, a failed relay's). */
  outboxPollMs?: number;
  concurrency?: number;
  /** Where the figures go: reminder lateness, queue depths (optional). */
  metrics?: Pick<Metrics, 'reminderSent' | 'watchQueue' | 'watchRedis'>;
}

export interface ReminderSystem {
  queues: Queues;
  scheduler: ReminderScheduler;
  relay: OutboxRelay;
  /** Runs the workers in this process (the default), with reconciliation and the digest schedule. */
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reminders and notifications: the outbox relay turns each committed booking, move or cancellation
 * into reminder jobs and notifications (at once when this process made it, by polling otherwise);
 * workers (in the service, or alone with `npm run worker`) send them.
 */
export function createReminderSystem(deps: ReminderSystemDeps): ReminderSystem {
  const queues = createQueues(deps.redis, deps.redisPrefix);
  deps.metrics?.watchQueue('reminders', () => queues.reminders.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  deps.metrics?.watchQueue('notifications', () => queues.notifications.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  deps.metrics?.watchQueue('waitlist', () => queues.waitlist.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  deps.metrics?.watchQueue('holds', () => queues.holds.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  deps.metrics?.watchRedis(queues.redis, 'queues');
  const scheduler = createReminderScheduler({ queue: queues.reminders, db: deps.db, settings: deps.settings, now: deps.now });
  const workers: Worker[] = [];
  let timer: NodeJS.Timeout | undefined;
  const log = deps.logger.child({ component: 'reminders' });

  const relay = createOutboxRelay({
    db: deps.db,
    scheduler,
    notifications: queues.notifications,
    waitlist: deps.waitlist ? queues.waitlist : undefined,
    redis: queues.redis,
    redisPrefix: deps.redisPrefix,
    settings: deps.settings,
    now: deps.now,
    logger: deps.logger,
    confirmationGraceMs: deps.confirmationGraceMs,
  });
  // An appointment this process just committed: relayed now, not at the next poll. A failure here
  // leaves the row in the outbox for the poll; the booking itself is never touched.
  const unsubscribe = deps.events.subscribe(async (event) => {
    if (event.type === 'time-freed') {
      if (deps.waitlist) await enqueueWaitlist(queues.waitlist, { kind: 'range', doctorId: event.doctorId, from: event.from.getTime(), to: event.to.getTime(), key: event.key });
      return;
    }
    if (event.type === 'offer-declined') {
      await enqueueWaitlist(queues.waitlist, { kind: 'next', doctorId: event.appointment.doctorId, startsAt: event.appointment.startsAt.getTime(), after: event.appointment.id });
      return;
    }
    if (event.type === 'held') {
      // Deterministic id: the same hold is never queued twice. A little after expiry, so the sweep finds it expired.
      await queues.holds.add('expire', { holdId: event.appointment.id }, {
        jobId: `hold-${event.appointment.id}`,
        delay: Math.max(0, event.expiresAt.getTime() - deps.now()) + 1000,
        removeOnComplete: true,
        removeOnFail: 100,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
      });
      return;
    }
    // Not awaited: the booking is committed and its outbox row will be relayed (now, or by the
    // poll if this fails), so the caller's answer never waits on Redis.
    relay.drain().catch((err) => log.warn({ err: { message: (err as Error).message } }, 'outbox relay failed; the poll will retry'));
  });

  async function reconcile(): Promise<void> {
    try {
      const added = await scheduler.reconcile();
      if (added) log.info({ added }, 'reminders reconciled');
      // Waitlist entries end with their dates.
      const ended = deps.waitlist ? await deps.waitlist.services.waitlist.endPast() : 0;
      if (ended) log.info({ ended }, 'waitlist entries past their dates ended');
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'reconciliation failed; will try again');
    }
  }

  return {
    queues,
    scheduler,
    relay,
    async startWorkers() {
      const common = { db: deps.db, settings: deps.settings, sms: deps.sms, clinicName: deps.clinicName, now: deps.now, logger: deps.logger, prefix: queues.prefix };
      workers.push(
        createReminderWorker({ ...common, awaitReply: deps.awaitReply, connection: queues.workerConnection(), concurrency: deps.concurrency, observeLateness: deps.metrics?.reminderSent }),
      );
      workers.push(createNotificationWorker({ ...common, audit: deps.audit, staff: deps.staff, connection: queues.workerConnection() }));
      if (deps.waitlist) {
        workers.push(createWaitlistWorker({ ...deps.waitlist, queue: queues.waitlist, now: deps.now, logger: deps.logger, sms: deps.sms, connection: queues.workerConnection(), prefix: queues.prefix }));
      }
      if (deps.sweepHold || deps.syncCalendars) {
        const sweep = deps.sweepHold;
        const syncCalendars = deps.syncCalendars;
        // One small queue for the housekeeping: expired holds, and the doctors' calendars.
        const holds = new BullWorker<{ holdId: string }>(HOLDS, async (job) => {
          if (job.name === 'calendar-sync') return syncCalendars ? JSON.stringify(await syncCalendars()).length : 0;
          return sweep && (await sweep(job.data.holdId)) ? 'released' : 'gone';
        }, {
          connection: queues.workerConnection(),
          prefix: queues.prefix,
          concurrency: 10,
        });
        holds.on('error', (err) => log.warn({ err: { message: err.message } }, 'hold worker error'));
        workers.push(holds);
      }
      await queues.notifications
        .upsertJobScheduler('doctor-digest', { every: 15 * 60_000 }, { name: 'digest', data: { kind: 'digest' } })
        .catch((err) => log.warn({ err: { message: (err as Error).message } }, 'digest schedule not set'));
      if (deps.syncCalendars) {
        await queues.holds
          .upsertJobScheduler('calendar-sync', { every: 5 * 60_000 }, { name: 'calendar-sync', data: { holdId: '' } })
          .catch((err) => log.warn({ err: { message: (err as Error).message } }, 'calendar sync schedule not set'));
      }
      await reconcile();
      timer = setInterval(() => void reconcile(), deps.reconcileEveryMs ?? 10 * 60_000);
      timer.unref();
      await relay.drain().catch((err) => log.warn({ err }, 'outbox relay failed; will try again'));
      relay.start(deps.outboxPollMs ?? 1000);
    },
    async close() {
      unsubscribe();
      relay.stop();
      if (timer) clearInterval(timer);
      await Promise.allSettled(workers.map((w) => w.close()));
      await queues.close();
    },
  };
}
