import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import { inQuietHours, quietPeriodAround } from '../domain/reminders';
import { firstName } from '../domain/patient';
import { catalog, DEFAULT_LOCALE, formatIn } from '../i18n/catalog';
import { placeText, type Place } from '../i18n/place';
import type { Db } from '../db/models';
import { reminderRepository } from '../repositories/reminders';
import type { Logger } from '../logging';
import type { SettingsService } from '../services/settings';
import { REMINDERS } from './queues';
import type { ReminderJob } from './reminder-scheduler';

/** Sends one SMS; the adapter's sender checks opt-out and records carrier opt-outs (21610). */
export interface ReminderSms {
  send(to: string, body: string): Promise<'sent' | 'opted-out' | 'not-registered'>;
}

export interface ReminderDeps {
  db: Db;
  settings: SettingsService;
  sms: ReminderSms | null;
  clinicName: string;
  now: Clock;
  logger: Logger;
  /** Puts the patient's conversation where their C, R or X will be read. */
  awaitReply?: (phone: string, appointmentId: string, startsAt: number) => Promise<void>;
}

export type ReminderOutcome = 'sent' | 'skipped' | 'duplicate' | 'deferred';

/**
 * The reminder text: first name, day and time, clinic name, and where (the place, its address and
 * phone, or the video link). Never the doctor, specialty or reason.
 */
export function reminderText(first: string, startsAt: number, zone: string, clinicName: string, locale = DEFAULT_LOCALE, place: Place | null = null, videoUrl: string | null = null): string {
  const when = formatIn(DateTime.fromMillis(startsAt, { zone }), 'format.reminder', locale);
  return catalog().t(locale, 'reminder.text', { name: first, clinic: clinicName, when, where: placeText(locale, place, videoUrl, { phone: true }) });
}

/**
 * One reminder job. It re-reads the appointment (a cancelled or moved one is skipped), keeps to
 * quiet hours, then claims the (appointment, offset) row before sending: a job that runs again
 * (BullMQ is at-least-once) finds the claim and sends nothing. A send that fails for a reason a
 * retry may fix gives the claim back and throws, so BullMQ retries with backoff.
 */
export async function processReminder(deps: ReminderDeps, job: Pick<Job<ReminderJob>, 'data'> & { moveToDelayed?: Job['moveToDelayed'] }, token?: string): Promise<ReminderOutcome> {
  const { appointmentId, offsetMinutes } = job.data;
  const log = deps.logger.child({ job: 'reminder', appointmentId, offsetMinutes });
  const repo = reminderRepository(deps.db);
  const row = await repo.reminderTarget(appointmentId);
  const now = deps.now();
  const settings = await deps.settings.get();
  const startsAt = row ? row.startsAt.getTime() : 0;
  const skip = async (reason: string): Promise<ReminderOutcome> => {
    log.info({ reason }, 'reminder skipped');
    if (row) await repo.recordSkipped(appointmentId, offsetMinutes, reason);
    return 'skipped';
  };
  if (!row) return 'skipped';
  if (row.status !== 'booked') return skip(`appointment ${row.status}`);
  if (startsAt <= now) return skip('appointment already started');
  if (!settings.reminderOffsetsMinutes.includes(offsetMinutes)) return skip('offset no longer configured');
  const phone = row.phone;
  if (!phone || !deps.sms) return skip('no way to text the patient');

  if (inQuietHours(now, row.zone, settings.quietHours)) {
    // Late (the service was down): wait for the quiet hours to end, if that is still in time.
    const end = quietPeriodAround(now, row.zone, settings.quietHours).end;
    if (end >= startsAt || !job.moveToDelayed) return skip('quiet hours until the appointment');
    await job.moveToDelayed(Date.now() + (end - now), token);
    log.info('reminder deferred past quiet hours');
    throw new DelayedError();
  }

  if (!(await repo.claim(appointmentId, offsetMinutes, new Date(now)))) {
    log.info('reminder already handled');
    return 'duplicate';
  }
  let result: 'sent' | 'opted-out' | 'not-registered';
  try {
    result = await deps.sms.send(phone, reminderText(firstName(row.fullName), startsAt, row.zone, deps.clinicName, row.locale, row.place, row.videoUrl));
  } catch (err) {
    await repo.release(appointmentId, offsetMinutes);
    const retryable = (err as { retryable?: boolean }).retryable !== false;
    log.warn({ err: { name: (err as Error).name, message: (err as Error).message }, retryable }, 'reminder send failed');
    if (!retryable) throw new UnrecoverableError((err as Error).message);
    throw err;
  }
  if (result !== 'sent') {
    await repo.markSkipped(appointmentId, offsetMinutes, result);
    log.info({ reason: result }, 'reminder not sent');
    return 'skipped';
  }
  await repo.markSent(appointmentId, offsetMinutes, new Date(deps.now()));
  await deps.awaitReply?.(phone, appointmentId, startsAt).catch((err) => log.warn({ err: { message: (err as Error).message } }, 'could not prepare the reply'));
  log.info('reminder sent');
  return 'sent';
}

export function createReminderWorker(
  deps: ReminderDeps & { connection: Redis; prefix: string; concurrency?: number; observeLateness?: (seconds: number) => void },
): Worker {
  const worker = new Worker<ReminderJob>(
    REMINDERS,
    async (job, token) => {
      const outcome = await processReminder(deps, job, token);
      // Lateness against when the job was due (its delay ran out), on the wall clock BullMQ used.
      if (outcome === 'sent') deps.observeLateness?.((Date.now() - (job.timestamp + (job.opts.delay ?? 0))) / 1000);
      return outcome;
    },
    {
    connection: deps.connection,
    prefix: deps.prefix,
      concurrency: deps.concurrency ?? 10,
    },
  );
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'reminder worker error'));
  return worker;
}
