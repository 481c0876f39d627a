import type { Queue } from 'bullmq';
import { QueryTypes } from 'sequelize';
import type { Clock } from '../domain/clock';
import { planReminders } from '../domain/reminders';
import type { Db } from '../db/models';
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

type Row = { id: string; starts_at: Date; created_at: Date; time_zone: string };

/**
 * Delayed BullMQ jobs with deterministic ids (appointment and offset): scheduling twice cannot
 * create two jobs, and a reschedule (a new appointment id) gets its own set.
 */
export function createReminderScheduler(deps: { queue: Queue; db: Db; settings: SettingsService; now: Clock }): ReminderScheduler {
  async function jobsFor(rows: Row[]) {
    const settings = await deps.settings.get();
    const now = deps.now();
    if (rows.length === 0) return [];
    const delivered = await deps.db.sequelize.query<{ appointment_id: string; offset_minutes: number }>(
      'SELECT appointment_id, offset_minutes FROM reminder_deliveries WHERE appointment_id IN (:ids)',
      { replacements: { ids: rows.map((r) => r.id) }, type: QueryTypes.SELECT },
    );
    const done = new Set(delivered.map((d) => `${d.appointment_id}/${d.offset_minutes}`));
    return rows.flatMap((r) =>
      planReminders({
        startsAt: new Date(r.starts_at).getTime(),
        bookedAt: new Date(r.created_at).getTime(),
        offsetsMinutes: settings.reminderOffsetsMinutes,
        zone: r.time_zone,
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

  const SELECT = `SELECT a.id, a.starts_at, a.created_at, p.time_zone
                    FROM appointments a JOIN patients p ON p.id = a.patient_id`;

  return {
    async schedule(appointmentId) {
      const rows = await deps.db.sequelize.query<Row>(`${SELECT} WHERE a.id = :id AND a.status = 'booked'`, {
        replacements: { id: appointmentId },
        type: QueryTypes.SELECT,
      });
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
      const rows = await deps.db.sequelize.query<Row>(`${SELECT} WHERE a.status = 'booked' AND a.starts_at > :now ORDER BY a.starts_at`, {
        replacements: { now: new Date(deps.now()) },
        type: QueryTypes.SELECT,
      });
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
