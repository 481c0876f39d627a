import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireActForPatient } from '../domain/policy';
import { isIsoDate } from '../domain/time';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb, violatedConstraint } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';
import type { AppointmentEvents } from './events';

export interface WaitlistEntryView {
  id: string;
  doctorId: string | null;
  doctorName: string | null;
  specialty: string | null;
  /** Inclusive local dates in the patient's zone. */
  fromDate: string;
  toDate: string;
  /** Minutes of the local day [start, end) that suit; null for any time. */
  window: { start: number; end: number } | null;
}

export interface JoinInput {
  patientId: string;
  doctorId?: string | null;
  specialty?: string | null;
  fromDate: string;
  toDate: string;
  window?: { start: number; end: number } | null;
  zone: string;
}

/** Someone waiting who could take a freed time: the first in line first. */
export interface Candidate {
  entryId: string;
  patientId: string;
  phone: string;
  zone: string;
  locale: string;
}

export interface OfferView {
  id: string;
  entryId: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  holdId: string | null;
  expiresAt: Date;
  outcome: 'offered' | 'accepted' | 'declined' | 'expired' | 'failed';
}

export interface WaitlistStats {
  /** Live entries per doctor (a specialty's entries count for each of its doctors). */
  waiting: Array<{ doctor: string; entries: number }>;
  /** Freed times offered in the range, and how many were taken from the waitlist. */
  offered: number;
  filled: number;
}

export interface WaitlistService {
  join(actor: Actor, input: JoinInput): Promise<WaitlistEntryView>;
  /** The patient's live entries. */
  list(actor: Actor, patientId: string): Promise<WaitlistEntryView[]>;
  leave(actor: Actor, entryId: string): Promise<void>;
  /**
   * Who may be offered a freed time of a doctor, first in line first: a live entry for that doctor or
   * one of their specialties, the time inside its dates and parts of the day (in the patient's zone),
   * a phone that takes texts, no live offer already, never offered this time before.
   */
  candidates(doctorId: string, startsAt: Date, limit?: number): Promise<Candidate[]>;
  /** Records an offer; null when the rules refuse it (the patient or the time already has a live offer, or it was offered before). */
  recordOffer(input: { entryId: string; patientId: string; doctorId: string; startsAt: Date; holdId: string; expiresAt: Date }): Promise<string | null>;
  offer(offerId: string): Promise<OfferView | null>;
  /** The patient's live offer, if any (their YES or NO is about it). */
  liveOffer(actor: Actor, patientId: string): Promise<OfferView | null>;
  /**
   * The patient's answer to their live offer. NO gives the held time back and tells the freed-time
   * worker (an event) to offer it to the next in line; YES is recorded once the booking is made.
   */
  answer(actor: Actor, offerId: string, outcome: 'accepted' | 'declined'): Promise<boolean>;
  /** Closes a live offer; false when it was no longer live (answered, or expired meanwhile). */
  close(offerId: string, outcome: 'accepted' | 'declined' | 'expired' | 'failed'): Promise<boolean>;
  /** The doctor and time an appointment held before it was called off or moved (for the freed-time job). */
  freedBy(appointmentId: string): Promise<{ doctorId: string; startsAt: Date; endsAt: Date } | null>;
  /** Entries whose dates are over end, in the patients' own zones. */
  endPast(): Promise<number>;
  stats(from: Date, to: Date): Promise<WaitlistStats>;
}

const MAX_DAYS = 92;

export function createWaitlistService(deps: { db: Db; audit: AuditLog; now: Clock; events?: AppointmentEvents }): WaitlistService {
  const { db, audit } = deps;
  const select = <T extends object>(sql: string, replacements: Record<string, unknown>) => db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });

  async function views(where: string, replacements: Record<string, unknown>): Promise<WaitlistEntryView[]> {
    const rows = await select<{ id: string; doctor_id: string | null; doctor_name: string | null; specialty: string | null; from_date: string; to_date: string; ws: number | null; we: number | null }>(
      `SELECT w.id, w.doctor_id, d.full_name AS doctor_name, s.name AS specialty, w.from_date::text, w.to_date::text, w.window_start AS ws, w.window_end AS we
         FROM waitlist_entries w LEFT JOIN doctors d ON d.id = w.doctor_id LEFT JOIN specializations s ON s.id = w.specialization_id
        WHERE ${where} ORDER BY w.created_at`,
      replacements,
    );
    return rows.map((r) => ({
      id: r.id,
      doctorId: r.doctor_id,
      doctorName: r.doctor_name,
      specialty: r.specialty,
      fromDate: r.from_date,
      toDate: r.to_date,
      window: r.ws === null || r.we === null ? null : { start: Number(r.ws), end: Number(r.we) },
    }));
  }

  const toOffer = (r: Record<string, unknown>): OfferView => ({
    id: r.id as string,
    entryId: r.entry_id as string,
    patientId: r.patient_id as string,
    doctorId: r.doctor_id as string,
    startsAt: new Date(r.starts_at as string),
    holdId: (r.hold_id as string | null) ?? null,
    expiresAt: new Date(r.expires_at as string),
    outcome: r.outcome as OfferView['outcome'],
  });

  const service: WaitlistService = {
    join: (actor, input) =>
      guardDb(async () => {
        const patientId = requireId(input.patientId, 'The patient');
        await permit(audit, actor, { action: 'waitlist.join', subjectType: 'patient', subjectId: patientId, patientId }, () => requireActForPatient(actor, patientId, 'join the waitlist'));
        if (!isIsoDate(input.fromDate) || !isIsoDate(input.toDate) || input.fromDate > input.toDate) throw new ValidationError('The dates must be real and in order.', 'dates');
        const today = DateTime.fromMillis(deps.now(), { zone: input.zone }).toISODate()!;
        const from = input.fromDate < today ? today : input.fromDate;
        if (input.toDate < today) throw new ValidationError('Those dates are over.', 'dates');
        if (DateTime.fromISO(input.toDate).diff(DateTime.fromISO(from), 'days').days > MAX_DAYS) throw new ValidationError(`A waitlist entry covers at most ${MAX_DAYS} days.`, 'dates');
        const w = input.window ?? null;
        if (w && !(Number.isInteger(w.start) && Number.isInteger(w.end) && w.start >= 0 && w.end <= 1440 && w.start < w.end)) throw new ValidationError('The part of the day is not right.', 'window');
        let specializationId: string | null = null;
        const doctorId = input.doctorId ? requireId(input.doctorId, 'The doctor') : null;
        if (!doctorId) {
          const [spec] = await select<{ id: string }>('SELECT id FROM specializations WHERE lower(name) = lower(:name)', { name: String(input.specialty ?? '') });
          if (!spec) throw new NotFoundError('That specialty');
          specializationId = spec.id;
        }
        // One live entry per patient and doctor (or specialty): joining again widens it.
        const [row] = await select<{ id: string }>(
          `WITH ended AS (
             UPDATE waitlist_entries SET ended_at = :now, ended_reason = 'left'
              WHERE patient_id = :patientId AND ended_at IS NULL
                AND doctor_id IS NOT DISTINCT FROM :doctorId AND specialization_id IS NOT DISTINCT FROM :specializationId)
           INSERT INTO waitlist_entries (patient_id, doctor_id, specialization_id, from_date, to_date, window_start, window_end, zone, created_at)
           VALUES (:patientId, :doctorId, :specializationId, :from, :to, :ws, :we, :zone, :now) RETURNING id`,
          { patientId, doctorId, specializationId, from, to: input.toDate, ws: w?.start ?? null, we: w?.end ?? null, zone: input.zone, now: new Date(deps.now()) },
        ).catch((err) => {
          if (violatedConstraint(err) === 'waitlist_entries_doctor_id_fkey') throw new NotFoundError('The doctor');
          throw err;
        });
        await audit.record(actor, { action: 'waitlist.join', outcome: 'allowed', subjectType: 'waitlist', subjectId: row.id, patientId });
        return (await views('w.id = :id', { id: row.id }))[0];
      }),

    list: (actor, patientId) =>
      guardDb(async () => {
        const id = requireId(patientId, 'The patient');
        await permit(audit, actor, { action: 'waitlist.read', subjectType: 'patient', subjectId: id, patientId: id }, () => requireActForPatient(actor, id, 'see the waitlist'));
        return views('w.patient_id = :id AND w.ended_at IS NULL', { id });
      }),

    leave: (actor, entryId) =>
      guardDb(async () => {
        const id = requireId(entryId, 'The waitlist entry');
        const [row] = await select<{ patient_id: string }>('SELECT patient_id FROM waitlist_entries WHERE id = :id AND ended_at IS NULL', { id });
        if (!row) throw new NotFoundError('That waitlist entry');
        await permit(audit, actor, { action: 'waitlist.leave', subjectType: 'waitlist', subjectId: id, patientId: row.patient_id }, () => requireActForPatient(actor, row.patient_id, 'leave the waitlist'));
        await db.sequelize.query(`UPDATE waitlist_entries SET ended_at = :now, ended_reason = 'left' WHERE id = :id AND ended_at IS NULL`, { replacements: { id, now: new Date(deps.now()) } });
        await audit.record(actor, { action: 'waitlist.leave', outcome: 'allowed', subjectType: 'waitlist', subjectId: id, patientId: row.patient_id });
      }),

    candidates: (doctorId, startsAt, limit = 20) =>
      guardDb(() =>
        select<Candidate>(
          `SELECT w.id AS "entryId", w.patient_id AS "patientId", p.phone_e164 AS phone, w.zone, p.locale
             FROM waitlist_entries w JOIN patients p ON p.id = w.patient_id
            WHERE w.ended_at IS NULL
              AND (w.doctor_id = :doctorId OR w.specialization_id IN (SELECT specialization_id FROM doctor_specializations WHERE doctor_id = :doctorId))
              AND (:startsAt::timestamptz AT TIME ZONE w.zone)::date BETWEEN w.from_date AND w.to_date
              AND (w.window_start IS NULL OR (extract(hour FROM :startsAt::timestamptz AT TIME ZONE w.zone) * 60 + extract(minute FROM :startsAt::timestamptz AT TIME ZONE w.zone))
                   BETWEEN w.window_start AND w.window_end - 1)
              AND p.phone_e164 IS NOT NULL AND NOT p.sms_opt_out
              AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.patient_id = w.patient_id AND o.outcome = 'offered')
              AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.patient_id = w.patient_id AND o.doctor_id = :doctorId AND o.starts_at = :startsAt)
            ORDER BY w.created_at LIMIT :limit`,
          { doctorId: requireId(doctorId, 'The doctor'), startsAt, limit },
        ),
      ),

    recordOffer: (input) =>
      guardDb(async () => {
        try {
          const [row] = await select<{ id: string }>(
            `INSERT INTO waitlist_offers (entry_id, patient_id, doctor_id, starts_at, hold_id, offered_at, expires_at)
             VALUES (:entryId, :patientId, :doctorId, :startsAt, :holdId, :now, :expiresAt) RETURNING id`,
            { ...input, now: new Date(deps.now()) },
          );
          await audit.record(null, { action: 'waitlist.offer', outcome: 'allowed', subjectType: 'waitlist', subjectId: row.id, patientId: input.patientId });
          return row.id;
        } catch (err) {
          const c = violatedConstraint(err);
          if (c && /^waitlist_offers_/.test(c)) return null;
          throw err;
        }
      }),

    offer: (offerId) =>
      guardDb(async () => {
        const [row] = await select<Record<string, unknown>>('SELECT * FROM waitlist_offers WHERE id = :id', { id: requireId(offerId, 'The offer') });
        return row ? toOffer(row) : null;
      }),

    liveOffer: (actor, patientId) =>
      guardDb(async () => {
        const id = requireId(patientId, 'The patient');
        await permit(audit, actor, { action: 'waitlist.read', subjectType: 'patient', subjectId: id, patientId: id }, () => requireActForPatient(actor, id, 'see a waitlist offer'));
        const [row] = await select<Record<string, unknown>>(`SELECT * FROM waitlist_offers WHERE patient_id = :id AND outcome = 'offered' AND expires_at > :now`, { id, now: new Date(deps.now()) });
        return row ? toOffer(row) : null;
      }),

    answer: (actor, offerId, outcome) =>
      guardDb(async () => {
        const offer = await select<Record<string, unknown>>('SELECT * FROM waitlist_offers WHERE id = :id', { id: requireId(offerId, 'The offer') });
        if (!offer[0]) throw new NotFoundError('That offer');
        const o = toOffer(offer[0]);
        await permit(audit, actor, { action: `waitlist.${outcome === 'accepted' ? 'accept' : 'decline'}`, subjectType: 'waitlist', subjectId: o.id, patientId: o.patientId }, () => requireActForPatient(actor, o.patientId, 'answer this offer'));
        const closed = await service.close(o.id, outcome);
        if (closed && outcome === 'declined') {
          if (o.holdId) await db.sequelize.query(`DELETE FROM appointments WHERE id = :id AND status = 'held'`, { replacements: { id: o.holdId } });
          const view = { id: o.holdId ?? o.id, doctorId: o.doctorId, patientId: o.patientId, startsAt: o.startsAt, endsAt: o.startsAt, status: 'cancelled' as const, channel: 'waitlist', reason: null, rescheduledFrom: null };
          await deps.events?.publish({ type: 'offer-declined', appointment: view, actor }).catch(() => undefined);
        }
        return closed;
      }),

    close: (offerId, outcome) =>
      guardDb(async () => {
        const rows = await select<{ entry_id: string }>(
          `UPDATE waitlist_offers SET outcome = :outcome, answered_at = :now WHERE id = :id AND outcome = 'offered'
             ${outcome === 'accepted' ? 'AND expires_at > :now' : ''} RETURNING entry_id`,
          { id: requireId(offerId, 'The offer'), outcome, now: new Date(deps.now()) },
        );
        if (rows.length && outcome === 'accepted') {
          await db.sequelize.query(`UPDATE waitlist_entries SET ended_at = :now, ended_reason = 'booked' WHERE id = :id AND ended_at IS NULL`, {
            replacements: { id: rows[0].entry_id, now: new Date(deps.now()) },
          });
        }
        return rows.length > 0;
      }),

    freedBy: (appointmentId) =>
      guardDb(async () => {
        const [row] = await select<{ doctor_id: string; starts_at: Date; ends_at: Date }>(
          `SELECT doctor_id, starts_at, ends_at FROM appointments WHERE id = :id AND status = 'cancelled'`,
          { id: requireId(appointmentId, 'The appointment') },
        );
        return row ? { doctorId: row.doctor_id, startsAt: new Date(row.starts_at), endsAt: new Date(row.ends_at) } : null;
      }),

    endPast: () =>
      guardDb(async () => {
        const rows = await select<{ id: string }>(
          `UPDATE waitlist_entries SET ended_at = :now, ended_reason = 'expired'
            WHERE ended_at IS NULL AND to_date < (:now::timestamptz AT TIME ZONE zone)::date RETURNING id`,
          { now: new Date(deps.now()) },
        );
        return rows.length;
      }),

    stats: (from, to) =>
      guardDb(async () => {
        const waiting = await select<{ doctor: string; entries: string }>(
          `SELECT d.full_name AS doctor, count(DISTINCT w.id) AS entries
             FROM waitlist_entries w
             JOIN doctors d ON d.id = w.doctor_id OR d.id IN (SELECT doctor_id FROM doctor_specializations WHERE specialization_id = w.specialization_id)
            WHERE w.ended_at IS NULL GROUP BY d.full_name ORDER BY count(DISTINCT w.id) DESC, d.full_name`,
          {},
        );
        const [counts] = await select<{ offered: string; filled: string }>(
          `SELECT count(DISTINCT (doctor_id, starts_at)) AS offered,
                  count(DISTINCT (doctor_id, starts_at)) FILTER (WHERE outcome = 'accepted') AS filled
             FROM waitlist_offers WHERE offered_at >= :from AND offered_at < :to`,
          { from, to },
        );
        return { waiting: waiting.map((w) => ({ doctor: w.doctor, entries: Number(w.entries) })), offered: Number(counts.offered), filled: Number(counts.filled) };
      }),
  };
  return service;
}
