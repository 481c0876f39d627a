import { Worker, type Job, type Queue } from 'bullmq';
import type Redis from 'ioredis';
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import { firstName } from '../domain/patient';
import { catalog, formatIn } from '../i18n/catalog';
import type { Db } from '../db/models';
import { reminderRepository } from '../repositories/reminders';
import type { Logger } from '../logging';
import type { AuditLog } from '../services/audit';
import type { SettingsService } from '../services/settings';
import { NOTIFICATIONS } from './queues';
import type { ReminderSms } from './reminder-worker';
import { withLanguage } from '../i18n/staff';
import { placeText } from '../i18n/place';

/**
 * Telling people what happened: a doctor on Slack or Teams when a booking is made, moved or
 * cancelled for them (the notifyDoctors setting); a patient by SMS when the clinic cancels their
 * appointment; and each doctor's morning digest (the doctorDigest setting). Queued, so a slow or
 * failing platform retries without touching the booking.
 */
export type NotificationJob =
  | { kind: 'doctor-booked' | 'doctor-cancelled' | 'doctor-moved'; appointmentId: string }
  | { kind: 'patient-cancelled'; appointmentId: string }
  /** The patient's "Booked", by text, when the reply in the conversation did not reach them. */
  | { kind: 'patient-booked'; appointmentId: string; moved?: boolean }
  /** Bookings from newly registered numbers reached the alert level in an hour. */
  | { kind: 'admin-alert'; hour: number; count: number }
  | { kind: 'digest' };

/** Reaches a staff user on whichever platform they use; false if none. */
export interface StaffMessenger {
  send(userId: string, text: string): Promise<boolean>;
}

export interface NotificationDeps {
  db: Db;
  settings: SettingsService;
  audit: AuditLog;
  sms: ReminderSms | null;
  staff: StaffMessenger | null;
  clinicName: string;
  now: Clock;
  logger: Logger;
}

const fmt = (t: Date, zone: string) => DateTime.fromJSDate(t, { zone }).toFormat("ccc d LLL 'at' h:mm a");
/** A patient's notice in their language: the time as a reminder shows it. */
const patientText = (locale: string, key: string, startsAt: Date, zone: string, vars: Record<string, unknown>) =>
  catalog().t(locale, key, { ...vars, when: formatIn(DateTime.fromJSDate(startsAt, { zone }), 'format.reminder', locale) });

export async function processNotification(deps: NotificationDeps, job: Pick<Job<NotificationJob>, 'data'>): Promise<string> {
  const data = job.data;
  const log = deps.logger.child({ job: 'notification', kind: data.kind });
  if (data.kind === 'digest') return sendDigests(deps, log);
  if (data.kind === 'admin-alert') return alertAdmins(deps, data, log);

  const repo = reminderRepository(deps.db);
  const row = await repo.notificationTarget(data.appointmentId);
  if (!row) return 'gone';
  if (data.kind === 'patient-booked') {
    if (row.status !== 'booked') return 'not booked';
    if (row.patientToldAt) return 'already told';
    if (!row.phone || !deps.sms) return 'no phone';
    // Doctor and time, as the reply would have said; nothing clinical.
    const text = patientText(row.patientLocale, data.moved ? 'notice.moved' : 'notice.booked', row.startsAt, row.patientZone, { doctor: row.doctorName, where: placeText(row.patientLocale, row.place, row.videoUrl) });
    const result = await deps.sms.send(row.phone, text);
    if (result === 'sent') await repo.markPatientTold(data.appointmentId, new Date(deps.now()));
    log.info({ appointmentId: data.appointmentId, result }, 'patient told of booking by text');
    return result;
  }
  if (data.kind === 'patient-cancelled') {
    if (!row.phone || !deps.sms) return 'no phone';
    // No doctor, specialty or reason: only what the patient needs to know.
    const text = patientText(row.patientLocale, 'notice.cancelledByClinic', row.startsAt, row.patientZone, { name: firstName(row.patientName), clinic: deps.clinicName });
    const result = await deps.sms.send(row.phone, text);
    log.info({ appointmentId: data.appointmentId, result }, 'patient told of cancellation');
    return result;
  }

  const settings = await deps.settings.get();
  if (!settings.notifyDoctors || !deps.staff || !row.doctorUserId) return 'off';
  const minutes = Math.round((new Date(row.endsAt).getTime() - new Date(row.startsAt).getTime()) / 60_000);
  const what = { 'doctor-booked': 'New booking', 'doctor-moved': 'Moved to this time', 'doctor-cancelled': 'Cancelled' }[data.kind];
  const text = `${what}: ${withLanguage(row.patientName, row.patientLocale)}, ${fmt(row.startsAt, row.doctorZone)} (${minutes} min).`;
  const delivered = await deps.staff.send(row.doctorUserId, text);
  if (delivered) {
    await deps.audit.record(null, { action: 'notification.doctor', outcome: 'allowed', subjectType: 'appointment', subjectId: data.appointmentId, details: { kind: data.kind } });
  }
  log.info({ appointmentId: data.appointmentId, delivered }, 'doctor notified');
  return delivered ? 'sent' : 'no channel';
}

/** Every active admin, on Slack or Teams: bookings from new numbers are spiking. */
async function alertAdmins(deps: NotificationDeps, data: { hour: number; count: number }, log: Logger): Promise<string> {
  if (!deps.staff) return 'no channel';
  const admins = await deps.db.models.User.findAll({ where: { role: 'admin', active: true }, attributes: ['id'] });
  const text =
    `Alert: ${data.count} bookings in the last hour came from phone numbers that registered today. ` +
    "If that is not expected, review them with '/clinic audit action=appointment.book' and lower registrationsPerHour or maxUpcomingPerPatient.";
  let sent = 0;
  for (const a of admins) if (await deps.staff.send(a.id, text)) sent++;
  await deps.audit.record(null, { action: 'alert.new-number-bookings', outcome: 'allowed', details: { count: data.count, admins: sent } });
  log.warn({ count: data.count, admins: sent }, 'admins alerted: bookings from new numbers');
  return `alerted ${sent}`;
}

/** Each doctor whose local time has reached the digest time today, once per local day. */
async function sendDigests(deps: NotificationDeps, log: Logger): Promise<string> {
  const settings = await deps.settings.get();
  if (!settings.doctorDigest || !deps.staff) return 'off';
  const now = deps.now();
  const repo = reminderRepository(deps.db);
  const doctors = await repo.digestDoctors();
  const [h, m] = settings.digestTime.split(':').map(Number);
  let sent = 0;
  for (const d of doctors) {
    const local = DateTime.fromMillis(now, { zone: d.zone });
    const due = local.set({ hour: h, minute: m, second: 0, millisecond: 0 });
    // A morning digest is no use in the afternoon: only within two hours of the time.
    if (local < due || local > due.plus({ hours: 2 })) continue;
    if (!(await repo.claimDigest(d.id, local.toISODate()!))) continue;
    const day = await repo.dayOf(d.id, local.startOf('day').toJSDate(), local.startOf('day').plus({ days: 1 }).toJSDate());
    const lines = day.map((a) => `${DateTime.fromJSDate(a.startsAt, { zone: d.zone }).toFormat('h:mm a')} ${withLanguage(a.patientName, a.patientLocale)}`);
    const text = day.length
      ? `Good morning, Dr ${d.fullName}. Today you have ${day.length} appointment${day.length > 1 ? 's' : ''}:\n${lines.join('\n')}`
      : `Good morning, Dr ${d.fullName}. You have no appointments today.`;
    if (await deps.staff.send(d.userId, text)) sent++;
  }
  log.info({ sent }, 'digests sent');
  return `digests ${sent}`;
}

export function createNotificationWorker(deps: NotificationDeps & { connection: Redis; prefix: string; concurrency?: number }): Worker {
  const worker = new Worker<NotificationJob>(NOTIFICATIONS, (job) => processNotification(deps, job), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 5,
  });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'notification worker error'));
  return worker;
}

/** Job ids are per appointment (or hour) and kind: the same event relayed twice notifies once. */
export async function enqueueNotification(queue: Queue, job: Exclude<NotificationJob, { kind: 'digest' }>, delayMs = 0): Promise<void> {
  await queue.add(job.kind, job, {
    jobId: `ntf-${job.kind}-${'appointmentId' in job ? job.appointmentId : job.hour}`,
    delay: delayMs,
    attempts: 5,
    backoff: { type: 'exponential', delay: 10_000 },
    removeOnComplete: { age: 86_400 },
    removeOnFail: { age: 7 * 86_400 },
  });
}
