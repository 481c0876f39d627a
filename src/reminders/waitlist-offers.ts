import { Worker, type Queue } from 'bullmq';
import type Redis from 'ioredis';
import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import { PatientBusyError, SlotTakenError, SlotUnavailableError, BookingLimitError } from '../domain/errors';
import { inQuietHours } from '../domain/reminders';
import { catalog, formatIn } from '../i18n/catalog';
import type { Logger } from '../logging';
import type { Services } from '../services';
import type { ReminderSms } from './reminder-worker';

/**
 * Filling a freed time from the waitlist. Whatever frees a time (a cancellation, a move) queues a
 * 'freed' job; the worker finds the first patient in line for it, holds the time for them (the
 * same hold a confirmation uses, under the same constraint), texts the offer and waits for YES. On
 * NO or at expiry the hold goes and the next patient in line is offered it. Job ids are
 * deterministic, so a freed time is handled once however many instances saw it, and offers survive
 * restarts; the database's unique indexes keep one live offer per patient and per time, and never
 * the same time twice to one patient.
 */
import { WAITLIST_QUEUE as WAITLIST } from './queues';

export type WaitlistJob =
  | { kind: 'freed'; appointmentId: string }
  | { kind: 'expire'; offerId: string }
  /** Offer a time again, to the next in line (after a NO). */
  | { kind: 'next'; doctorId: string; startsAt: number; after: string }
  /** Time opened other than by a cancellation: its free starts, the first few. */
  | { kind: 'range'; doctorId: string; from: number; to: number; key: string };

export interface WaitlistOfferDeps {
  services: Pick<Services, 'waitlist' | 'booking' | 'availability' | 'settings' | 'doctors'>;
  sms: ReminderSms | null;
  now: Clock;
  logger: Logger;
  queue: Queue;
  /** Puts the patient's conversation where their YES or NO will be read. */
  awaitOffer?: (phone: string, offerId: string, expiresAt: number) => Promise<void>;
}

export function offerText(locale: string, doctor: string, startsAt: number, zone: string, minutes: number): string {
  const dt = DateTime.fromMillis(startsAt, { zone });
  return catalog().t(locale, 'waitlist.offer', {
    doctor,
    time: formatIn(dt, 'format.time', locale),
    day: formatIn(dt, 'format.date', locale),
    minutes,
  });
}

export async function enqueueWaitlist(queue: Queue, job: WaitlistJob, delayMs = 0): Promise<void> {
  const id = job.kind === 'freed' ? `freed-${job.appointmentId}` : job.kind === 'expire' ? `woffer-${job.offerId}` : job.kind === 'range' ? `range-${job.key}` : `next-${job.after}`;
  await queue.add(job.kind, job, { jobId: id, delay: delayMs, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } });
}

/**
 * Offers one freed time to the first patient in line who can take it now. Patients in their quiet
 * hours, opted out, at their cap or busy then are passed over for this time; a time too close to
 * answer for is not offered at all.
 */
export async function offerFreedTime(deps: WaitlistOfferDeps, doctorId: string, startsAt: number): Promise<'offered' | 'nobody' | 'gone' | 'too-late'> {
  const { services } = deps;
  const now = deps.now();
  const settings = await services.settings.get();
  // How long the patient has to answer (the text says it): a time sooner than that is not offered.
  const minutes = settings.waitlistOfferMinutes;
  if (startsAt - now < (minutes + settings.minNoticeMinutes) * 60_000) return 'too-late';
  const doctor = await services.doctors.get(doctorId);
  const passed = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const candidates = (await services.waitlist.candidates(doctorId, new Date(startsAt), 20)).filter((c) => !passed.has(c.patientId));
    if (candidates.length === 0) return 'nobody';
    for (const c of candidates) {
      passed.add(c.patientId);
      if (inQuietHours(now, c.zone, settings.quietHours)) continue;
      let hold;
      try {
        hold = await services.booking.holdForOffer({ doctorId, patientId: c.patientId, startsAt: new Date(startsAt) }, minutes);
      } catch (err) {
        if (err instanceof SlotTakenError || err instanceof SlotUnavailableError) return 'gone';
        if (err instanceof PatientBusyError || err instanceof BookingLimitError) continue;
        throw err;
      }
      const offerId = await services.waitlist.recordOffer({ entryId: c.entryId, patientId: c.patientId, doctorId, startsAt: new Date(startsAt), holdId: hold.id, expiresAt: hold.expiresAt });
      if (!offerId) {
        // Another instance offered this patient something, or this time, a moment ago.
        await services.booking.releaseOfferHold(hold.id);
        continue;
      }
      const sent = deps.sms ? await deps.sms.send(c.phone, offerText(c.locale, `Dr ${doctor.fullName}`, startsAt, c.zone, minutes)).catch(() => 'failed' as const) : 'failed';
      if (sent !== 'sent') {
        await services.waitlist.close(offerId, 'failed');
        await services.booking.releaseOfferHold(hold.id);
        continue;
      }
      await deps.awaitOffer?.(c.phone, offerId, hold.expiresAt.getTime()).catch(() => undefined);
      await enqueueWaitlist(deps.queue, { kind: 'expire', offerId }, Math.max(0, hold.expiresAt.getTime() - deps.now()) + 1000);
      deps.logger.info({ offerId, doctorId }, 'waitlist offer sent');
      return 'offered';
    }
  }
  return 'nobody';
}

/** A freed appointment's time: offered whole, as the free starts it now gives (the doctor's usual visit). */
export async function offerFreedAppointment(deps: WaitlistOfferDeps, appointmentId: string): Promise<number> {
  const freed = await deps.services.waitlist.freedBy(appointmentId);
  if (!freed) return 0;
  const slots = await deps.services.availability.freeSlots(freed.doctorId, freed.startsAt, freed.endsAt, 4);
  let offered = 0;
  for (const s of slots) if ((await offerFreedTime(deps, freed.doctorId, s.start)) === 'offered') offered++;
  return offered;
}

/** Opened time (time off removed, new hours): each free start in it offered, up to twenty. */
export async function offerFreedRange(deps: WaitlistOfferDeps, doctorId: string, from: Date, to: Date): Promise<number> {
  const slots = await deps.services.availability.freeSlots(doctorId, from, to, 20);
  let offered = 0;
  for (const s of slots) {
    const outcome = await offerFreedTime(deps, doctorId, s.start);
    if (outcome === 'offered') offered++;
  }
  return offered;
}

/** An offer's time ran out (or was declined): its hold goes, and the time goes to the next in line. */
export async function endOffer(deps: WaitlistOfferDeps, offerId: string, outcome: 'expired' | 'declined'): Promise<boolean> {
  const offer = await deps.services.waitlist.offer(offerId);
  if (!offer) return false;
  if (outcome === 'expired' && offer.expiresAt.getTime() > deps.now()) return false;
  if (!(await deps.services.waitlist.close(offerId, outcome))) return false;
  if (offer.holdId) await deps.services.booking.releaseOfferHold(offer.holdId);
  await offerFreedTime(deps, offer.doctorId, offer.startsAt.getTime());
  return true;
}

export function createWaitlistWorker(deps: WaitlistOfferDeps & { connection: Redis; prefix: string; concurrency?: number }): Worker {
  const worker = new Worker<WaitlistJob>(
    WAITLIST,
    async (job) => {
      const data = job.data;
      if (data.kind === 'freed') return `offered ${await offerFreedAppointment(deps, data.appointmentId)}`;
      if (data.kind === 'expire') return (await endOffer(deps, data.offerId, 'expired')) ? 'expired' : 'answered';
      if (data.kind === 'range') return `offered ${await offerFreedRange(deps, data.doctorId, new Date(data.from), new Date(data.to))}`;
      return offerFreedTime(deps, data.doctorId, data.startsAt);
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency ?? 10 },
  );
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'waitlist worker error'));
  return worker;
}
