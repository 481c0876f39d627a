import type { Queue } from 'bullmq';
import type { Clock } from '../domain/clock';
import { planReminders } from '../domain/reminders';
import type { Db } from '../db/models';
import { reminderRepository, type SchedulableAppointment } from '../repositories/reminders';
import type { SettingsService } from '../services/settings';
import { reminderJobId } from './queues';

export interface ReminderJob {
  appointmentId: string;
  offsetMinutes: number;
}

export interface ReminderScheduler {
  /** Plans and adds an appointment's reminders; adding one that exists does nothing. */
  schedule(appointmentId: string): Promise<number>;
  /** Removes an appointment's pending reminders (a running one re-checks the appointment itself). */
  unschedule(appointmentId: string): Promise<void>;
  /** Adds every reminder missing for future booked appointments (after a restart or a Redis outage). */
  reconcile(): Promise<number>;
}


/**
 * Delayed BullMQ jobs with deterministic ids (appointment and offset): scheduling twice cannot
 * create two jobs, and a reschedule (a new appointment id) gets its own set.
 */
export function createReminderScheduler(deps: { queue: Queue; db: Db; settings: SettingsService; now: Clock }): ReminderScheduler {
  const repo = reminderRepository(deps.db);

  async function jobsFor(rows: SchedulableAppointment[]) {
    const settings = await deps.settings.get();
    const now = deps.now();
    if (rows.length === 0) return [];
    const done = await repo.handled(rows.map((r) => r.id));
    return rows.flatMap((r) =>
      planReminders({
        startsAt: r.startsAt.getTime(),
        bookedAt: r.createdAt.getTime(),
        offsetsMinutes: settings.reminderOffsetsMinutes,
        zone: r.zone,
        quiet: settings.quietHours,
        now,
      })
        .filter((p) => !done.has(`${r.id}/${p.offsetMinutes}`))
        .map((p) => ({
          name: 'reminder',
          data: { appointmentId: r.id, offsetMinutes: p.offsetMinutes } satisfies ReminderJob,
          opts: {
            jobId: reminderJobId(r.id, p.offsetMinutes),
            delay: Math.max(0, p.sendAt - now),
            attempts: 6,
            backoff: { type: 'exponential' as const, delay: 30_000 },
            removeOnComplete: { age: 7 * 86_400 },
            removeOnFail: { age: 30 * 86_400 },
          },
        })),
    );
  }

  return {
    async schedule(appointmentId) {
      const rows = await repo.schedulable({ appointmentId });
      const jobs = await jobsFor(rows);
      if (jobs.length) await deps.queue.addBulk(jobs);
      return jobs.length;
    },

    async unschedule(appointmentId) {
      // Removed by their known ids. A job left by an offset no longer configured, or one running
      // right now (locked, so not removable), finds the appointment cancelled and sends nothing.
      const { reminderOffsetsMinutes } = await deps.settings.get();
      await Promise.all(reminderOffsetsMinutes.map((o) => deps.queue.remove(reminderJobId(appointmentId, o)).catch(() => 0)));
    },

    async reconcile() {
      const rows = await repo.schedulable({ after: new Date(deps.now()) });
      let added = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const jobs = await jobsFor(rows.slice(i, i + 500));
        if (jobs.length) {
          // addBulk keeps an existing job with the same id, so only the missing ones appear.
          await deps.queue.addBulk(jobs);
          added += jobs.length;
        }
      }
      return added;
    },
  };
}
