import { DateTime } from 'luxon';
import { Op, QueryTypes, Transaction } from 'sequelize';
import type { Actor } from '../domain/actor';
import { canChange, canRecordOutcome, type AppointmentView } from '../domain/appointment';
import type { Clock } from '../domain/clock';
import { bookingLimitBreach } from '../domain/booking-limits';
import {
  BookingLimitError,
  InvalidStateError,
  NotFoundError,
  PatientBusyError,
  SlotTakenError,
  SlotUnavailableError,
  ValidationError,
} from '../domain/errors';
import { requireActForPatient, requireAppointmentAccess, requireBookSeries, requireRecordOutcome } from '../domain/policy';
import { freeSlots, isFreeSlot } from '../domain/slots';
import type { AppointmentRow, Db } from '../db/models';
import type { SlotLock } from '../locks/slot-lock';
import type { AuditLog } from './audit';
import { calendarDoctorJson, loadCalendar, OCCUPIED_OVERLAPS, RULES_JSON, toWeeklyRule, type CalendarDoctor, type DoctorCalendar, type RuleRecord } from './calendar';
import { planVisit, videoUrl, type VisitPlan } from '../domain/visits';
import { randomBytes } from 'node:crypto';
import { guardDb, violatedConstraint } from './db-errors';
import type { Rows, Statement } from '../db/pipelined-transaction';
import type { AppointmentEvents } from './events';
import type { SettingsService } from './settings';
import { requireId } from './ids';
import { appointmentViewColumns, toAppointmentView } from './views';
import { permit } from './permit';

export interface BookInput {
  doctorId: string;
  patientId: string;
  startsAt: Date;
  channel: string;
  /** What the visit is for, in the patient's words: at most 200 characters, shown to the doctor, never logged. */
  reason?: string | null;
  /** The kind of visit; the doctor's default when absent. */
  visitTypeId?: string | null;
  /** Where; when absent, wherever the doctor works at that time. */
  locationId?: string | null;
  /** Part of a recurring series (set by the series booking). */
  seriesId?: string | null;
  /** The patient's hold on this time (from `hold`): turned into the booking whatever came since. */
  holdId?: string | null;
}

export interface HoldInput {
  doctorId: string;
  patientId: string;
  startsAt: Date;
  visitTypeId?: string | null;
  locationId?: string | null;
  /** The appointment being moved to this time: its own kind of visit, and the caps left to the move itself. */
  moving?: string | null;
}

export interface Hold {
  id: string;
  startsAt: Date;
  endsAt: Date;
  expiresAt: Date;
  locationId: string | null;
}


export const MAX_REASON_LENGTH = 200;

export interface SeriesInput {
  doctorId: string;
  patientId: string;
  /** Every occurrence's start, ascending (the series' plan, with the times not free left out when the patient took the rest). */
  starts: Date[];
  /** Weeks between occurrences, for the record. */
  everyWeeks?: number;
  channel: string;
  visitTypeId?: string | null;
}

/** A patient may book this many occurrences in one series; staff up to the schema's 52. */
export const PATIENT_MAX_OCCURRENCES = 12;

export interface BookingService {
  /**
   * Keeps a free time for one patient while they confirm it (the clinic's holdMinutes): it is
   * offered to nobody else and refused to anybody else as taken, by the same constraint as a
   * booking. A patient has one hold at a time: a new one replaces theirs. Refused like a booking
   * when the time is not free or the patient is at their cap.
   */
  hold(actor: Actor, input: HoldInput): Promise<Hold>;
  /** Gives a hold back (NO, another choice); nothing when it is gone already. */
  releaseHold(actor: Actor, holdId: string): Promise<void>;
  /** Deletes a hold that has expired (the expiry job); true when there was one. */
  sweepHold(holdId: string): Promise<boolean>;
  /**
   * The waitlist's hold on a freed time for the patient it is offered to, for `minutes` (no actor:
   * the system offers it; the patient's caps are checked when they take it). Refused like any hold.
   */
  holdForOffer(input: HoldInput, minutes: number): Promise<Hold>;
  /** Gives back a hold the waitlist placed (declined, expired, or the text could not be sent). */
  releaseOfferHold(holdId: string): Promise<void>;
  /**
   * Books every occurrence of a recurring series in one transaction, each under its slot lock:
   * all of them, or (any not free) none, with SlotTakenError or SlotUnavailableError for the first
   * that is not. The patient's cap counts the series as one booking.
   */
  bookSeries(actor: Actor, input: SeriesInput): Promise<{ seriesId: string; appointments: AppointmentView[] }>;
  /** Cancels this occurrence and every later one still booked in its series. */
  cancelSeries(actor: Actor, appointmentId: string, reason?: string): Promise<AppointmentView[]>;
  book(actor: Actor, input: BookInput): Promise<AppointmentView>;
  cancel(actor: Actor, appointmentId: string, reason?: string): Promise<AppointmentView>;
  /** Moves an appointment; with the patient's hold on the new time, that hold becomes it. */
  reschedule(actor: Actor, appointmentId: string, newStartsAt: Date, holdId?: string | null): Promise<AppointmentView>;
  /** The patient's 'C' to a reminder: they will come. */
  confirmAttendance(actor: Actor, appointmentId: string): Promise<void>;
  /**
   * What the patient tells about the visit after booking: its reason (at most 200 characters), or
   * an answer to one of the visit type's intake questions. Shown to the doctor; never logged or audited in words.
   */
  addVisitDetails(actor: Actor, appointmentId: string, details: { reason?: string; answer?: { question: string; answer: string } }): Promise<void>;
  /** Records that a started appointment was completed or missed. */
  recordOutcome(actor: Actor, appointmentId: string, outcome: 'completed' | 'no_show'): Promise<AppointmentView>;
}

export interface BookingDeps {
  db: Db;
  locks: SlotLock;
  settings: SettingsService;
  audit: AuditLog;
  events: AppointmentEvents;
  now: Clock;
}

type SlotDoctor = CalendarDoctor;

type NewAppointment = Pick<
  AppointmentRow,
  'doctorId' | 'patientId' | 'startsAt' | 'endsAt' | 'reason' | 'channel' | 'createdBy'
> & {
  rescheduledFrom?: string;
  locationId: string | null;
  visitTypeId: string | null;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  videoUrl: string | null;
  seriesId: string | null;
};

function asView(row: AppointmentView): AppointmentView {
  return { ...row, startsAt: new Date(row.startsAt), endsAt: new Date(row.endsAt) };
}

/** What a new appointment stores of its visit: the type, its buffers, and a video link for telehealth. */
function visitColumns(plan: VisitPlan) {
  return {
    visitTypeId: plan.visitTypeId,
    bufferBeforeMinutes: plan.bufferBeforeMinutes,
    bufferAfterMinutes: plan.bufferAfterMinutes,
    videoUrl: plan.telehealth && plan.videoUrlTemplate ? videoUrl(plan.videoUrlTemplate, randomBytes(12).toString('base64url')) : null,
  };
}

function requireInstant(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError('That is not a date and time I can read.', field);
  }
  return value;
}

/**
 * Booking, cancelling and moving appointments. Every write takes the slot lock first, then one
 * transaction re-checks that the slot is real free time and writes; the exclusion constraint on
 * appointments is the last word, and its violation comes back as SlotTakenError.
 */
export function createBookingService(deps: BookingDeps): BookingService {
  const { db, audit } = deps;
  const { Appointment } = db.models;

  async function findDoctor(id: string, transaction: Transaction): Promise<SlotDoctor> {
    const [row] = await db.sequelize.query<{ doctor: SlotDoctor | null }>(`SELECT ${calendarDoctorJson(':id')} AS doctor`, {
      replacements: { id },
      type: QueryTypes.SELECT,
      transaction,
    });
    if (!row?.doctor) throw new NotFoundError('The doctor');
    return row.doctor;
  }

  /**
   * Re-checks, inside the transaction, that `startsAt` is one of the doctor's free slots for this
   * visit (its length, its buffers, the doctor's grid), and says where it is.
   */
  async function requireFreeSlot(
    doctor: SlotDoctor,
    plan: VisitPlan,
    startsAt: Date,
    transaction: Transaction | null,
    loaded?: DoctorCalendar & { appointments: Array<{ start: number; end: number }> },
    locationId?: string | null,
  ): Promise<{ endsAt: Date; locationId: string | null }> {
    if (!doctor.active) throw new SlotUnavailableError('That doctor is not taking appointments.', { kind: 'inactive' });
    const settings = await deps.settings.get();
    const start = startsAt.getTime();
    const end = start + plan.durationMinutes * 60_000;
    const reach = { start: start - plan.bufferBeforeMinutes * 60_000, end: end + plan.bufferAfterMinutes * 60_000 };
    // Only what overlaps this one visit and its buffers matters; weekly hours are read whole (a handful of rows).
    const calendar = loaded ?? (await loadCalendar(db, doctor.id, new Date(start), new Date(end), transaction ?? undefined, deps.now()));
    const query = {
      zone: doctor.timeZone,
      rules: calendar.rules,
      slotMinutes: plan.durationMinutes,
      gridMinutes: plan.gridMinutes,
      bufferBeforeMinutes: plan.bufferBeforeMinutes,
      bufferAfterMinutes: plan.bufferAfterMinutes,
      locationId: locationId ?? null,
      busy: calendar.busy,
      now: deps.now(),
      minNoticeMinutes: settings.minNoticeMinutes,
      horizonDays: settings.bookingHorizonDays,
    };
    const [slot] = freeSlots({ ...query, from: start, to: start + 1, limit: 1 });
    if (slot && slot.start === start) return { endsAt: new Date(end), locationId: slot.locationId ?? null };

    const now = deps.now();
    if (start <= now) throw new SlotUnavailableError('That time has already passed.', { kind: 'past' });
    if (start < now + settings.minNoticeMinutes * 60_000) {
      throw new SlotUnavailableError(`Appointments need at least ${settings.minNoticeMinutes} minutes' notice.`, { kind: 'notice', minutes: settings.minNoticeMinutes });
    }
    if (start >= now + settings.bookingHorizonDays * 86_400_000) {
      throw new SlotUnavailableError(`Appointments can be booked up to ${settings.bookingHorizonDays} days ahead.`, { kind: 'horizon', days: settings.bookingHorizonDays });
    }
    // Is it a real slot that something occupies, or not a slot at all?
    if (isFreeSlot({ ...query, busy: [] }, start)) {
      const takenByAppointment = loaded
        ? loaded.appointments.filter((a) => a.start < reach.end && a.end > reach.start).length
        : await Appointment.count({
            where: {
              doctorId: doctor.id,
              status: { [Op.ne]: 'cancelled' },
              startsAt: { [Op.lt]: new Date(reach.end) },
              endsAt: { [Op.gt]: new Date(reach.start) },
            },
            transaction: transaction ?? undefined,
          });
      if (takenByAppointment > 0) throw new SlotTakenError(doctor.id, startsAt, 'booked');
      throw new SlotUnavailableError(`${doctor.fullName} is not available then.`, { kind: 'unavailable', doctor: doctor.fullName });
    }
    throw new SlotUnavailableError(`That is not one of ${doctor.fullName}'s appointment times.`, { kind: 'not-a-slot', doctor: doctor.fullName });
  }

  /** What the patient already holds, against the clinic's caps; `createdAt` null when there is no such patient. */
  interface PatientHold {
    createdAt: Date | null;
    upcoming: number;
    same: number;
  }

  /**
   * Locks the patient's row, so one patient's bookings are counted one after another however many
   * arrive at once, and reads what they hold (a move reads it here; a booking with its other reads).
   */
  async function readHold(patientId: string, doctor: SlotDoctor, startsAt: Date, transaction: Transaction): Promise<PatientHold> {
    const [patient] = await db.sequelize.query<{ created_at: Date }>('SELECT created_at FROM patients WHERE id = :id FOR UPDATE', {
      replacements: { id: patientId },
      type: QueryTypes.SELECT,
      transaction,
    });
    const day = DateTime.fromJSDate(startsAt, { zone: doctor.timeZone }).startOf('day');
    const [held] = await db.sequelize.query<{ upcoming: string; same: string }>(
      `SELECT count(*) AS upcoming,
              count(*) FILTER (WHERE doctor_id = :doctorId AND starts_at >= :dayStart AND starts_at < :dayEnd) AS same
         FROM appointments WHERE patient_id = :patientId AND status = 'booked' AND ends_at > :now`,
      {
        replacements: { patientId, doctorId: doctor.id, dayStart: day.toJSDate(), dayEnd: day.plus({ days: 1 }).toJSDate(), now: new Date(deps.now()) },
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    return { createdAt: patient?.created_at ?? null, upcoming: Number(held.upcoming), same: Number(held.same) };
  }

  /** Holds a patient booking for themself to the clinic's caps; says whether they registered in the last day. */
  async function checkHold(actor: Actor, hold: PatientHold): Promise<{ newPatient: boolean }> {
    if (!hold.createdAt) throw new NotFoundError('The patient');
    const newPatient = deps.now() - new Date(hold.createdAt).getTime() < 86_400_000;
    if (actor.role !== 'patient') return { newPatient };
    const settings = await deps.settings.get();
    const breach = bookingLimitBreach(
      { upcoming: hold.upcoming, sameDoctorSameDay: hold.same },
      { maxUpcoming: settings.maxUpcomingPerPatient, maxPerDoctorPerDay: settings.maxPerDoctorPerDayPerPatient },
    );
    if (breach) throw new BookingLimitError(breach.limit, breach.max);
    return { newPatient };
  }

  /**
   * Everything a booking reads, in the round trip that opens its transaction: the patient's row,
   * locked (so one patient's bookings are counted one at a time), then, in a statement of its own,
   * the doctor, their weekly hours, what is busy in the slot and what the patient already holds.
   * The lock must be its own statement: under READ COMMITTED a statement sees the data of its
   * start, so counts read in the statement that waited for the lock would miss the bookings the
   * lock's previous holder just committed (ten at once would all pass a cap of three).
   */
  function bookingReads(doctorId: string, patientId: string, startsAt: Date, holdId: string | null, opts: { ownHolds?: boolean } = {}): Statement[] {
    return [
      ['SELECT created_at FROM patients WHERE id = :patientId FOR UPDATE', { patientId }, 'lock_patient'],
      releaseHolds(doctorId, patientId, startsAt, holdId, opts),
      [
        // Busy time is read from two hours before (the longest buffer) to ten hours after (the
        // longest visit and buffer): the visit's own length is not known until its type is.
        `WITH doc AS (SELECT id, time_zone AS "timeZone" FROM doctors WHERE id = :doctorId),
              slot AS (SELECT :startsAt::timestamptz - interval '2 hours' AS s, :startsAt::timestamptz + interval '10 hours' AS e),
              -- The doctor's calendar day, in their zone (23 or 25 hours on a daylight-saving day).
              day AS (SELECT (date_trunc('day', :startsAt::timestamptz AT TIME ZONE d."timeZone") AT TIME ZONE d."timeZone") AS s,
                             ((date_trunc('day', :startsAt::timestamptz AT TIME ZONE d."timeZone") + interval '1 day') AT TIME ZONE d."timeZone") AS e FROM doc d)
         SELECT ${calendarDoctorJson(':doctorId')} AS doctor,
                ${RULES_JSON(':doctorId')} AS rules,
                (SELECT coalesce(json_agg(b), '[]') FROM (
                   SELECT (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e, false AS appointment
                     FROM time_off WHERE doctor_id = :doctorId AND starts_at < (SELECT e FROM slot) AND ends_at > (SELECT s FROM slot)
                   UNION ALL
                   SELECT (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint, false
                     FROM external_busy WHERE doctor_id = :doctorId AND starts_at < (SELECT e FROM slot) AND ends_at > (SELECT s FROM slot)
                   UNION ALL
                   SELECT (extract(epoch FROM occupied_from) * 1000)::bigint, (extract(epoch FROM occupied_to) * 1000)::bigint, true
                     FROM appointments WHERE doctor_id = :doctorId AND status <> 'cancelled' AND (status <> 'held' OR hold_expires_at > :now)
                      AND ${OCCUPIED_OVERLAPS(":startsAt::timestamptz - interval '2 hours'", ":startsAt::timestamptz + interval '10 hours'")}) b) AS busy,
                (SELECT count(*) FROM appointments WHERE patient_id = :patientId AND status = 'booked' AND ends_at > :now) AS upcoming,
                (SELECT count(*) FROM appointments, day WHERE patient_id = :patientId AND status = 'booked' AND ends_at > :now AND doctor_id = :doctorId
                    AND starts_at >= day.s AND starts_at < day.e) AS same`,
        { doctorId, patientId, startsAt, now: new Date(deps.now()) },
        'booking_context',
      ],
    ];
  }

  /**
   * Holds out of the way of a booking: the patient's own hold on the time (it becomes the booking,
   * in the same transaction, so nobody can take the time in between), and expired holds near it.
   * With `ownHolds` (a patient asking for a new hold), also every other hold of the patient's that
   * no waitlist offer stands behind: a patient holds one time at once.
   */
  function releaseHolds(doctorId: string, patientId: string, startsAt: Date, holdId: string | null, opts: { ownHolds?: boolean } = {}): Statement {
    const own = opts.ownHolds
      ? ` OR (status = 'held' AND patient_id = :patientId AND id NOT IN (SELECT hold_id FROM waitlist_offers WHERE outcome = 'offered' AND hold_id IS NOT NULL))`
      : '';
    return [
      `DELETE FROM appointments WHERE status = 'held' AND (
         (id = :holdId AND patient_id = :patientId)
         OR (doctor_id = :doctorId AND hold_expires_at <= :now
             AND ${OCCUPIED_OVERLAPS(":startsAt::timestamptz - interval '2 hours'", ":startsAt::timestamptz + interval '10 hours'")}))${own}`,
      { holdId: holdId ?? '00000000-0000-0000-0000-000000000000', patientId, doctorId, startsAt, now: new Date(deps.now()) },
      opts.ownHolds ? 'release_holds_own' : 'release_holds',
    ];
  }

  function readBookingContext([locked, , [row]]: Rows[]) {
    const r = row as {
      doctor: SlotDoctor | null;
      rules: RuleRecord[];
      busy: Array<{ s: string; e: string; appointment: boolean }>;
      upcoming: string;
      same: string;
    };
    if (!r.doctor) throw new NotFoundError('The doctor');
    const busy = r.busy.map((b) => ({ start: Number(b.s), end: Number(b.e), appointment: b.appointment }));
    const calendar = {
      rules: r.rules.map(toWeeklyRule),
      busy: busy.map(({ start, end }) => ({ start, end })),
      appointments: busy.filter((b) => b.appointment),
    };
    const createdAt = (locked[0]?.created_at as Date | undefined) ?? null;
    return { doctor: r.doctor, calendar, patient: { createdAt, upcoming: Number(r.upcoming), same: Number(r.same) } };
  }

  /** The appointment, its audit entry and its outbox row, in one statement. */
  function bookingWrite(values: NewAppointment, actor: Actor, payload: Record<string, unknown>): Statement {
    return [
      `WITH a AS (
         INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, reason, channel, created_by, location_id, visit_type_id,
                                   buffer_before_minutes, buffer_after_minutes, video_url, series_id, created_at, updated_at)
         VALUES (:doctorId, :patientId, :startsAt, :endsAt, :reason, :channel, :createdBy, :locationId, :visitTypeId,
                 :bufferBeforeMinutes, :bufferAfterMinutes, :videoUrl, :seriesId, :now, :now)
         RETURNING *),
       au AS (
         INSERT INTO audit_log (actor_user_id, actor_role, channel, action, outcome, patient_id, subject_type, subject_id, details)
         SELECT :actorUserId, :actorRole, :actorChannel, 'appointment.book', 'allowed', a.patient_id, 'appointment', a.id::text, '{}'::jsonb FROM a),
       ob AS (
         INSERT INTO outbox (kind, appointment_id, payload) SELECT 'appointment.booked', a.id, :payload::jsonb FROM a)
       SELECT ${appointmentViewColumns()} FROM a`,
      {
        ...values,
        now: new Date(deps.now()),
        actorUserId: actor.userId ?? null,
        actorRole: actor.role ?? null,
        actorChannel: actor.channel ?? null,
        payload: JSON.stringify(payload),
      },
      'book',
    ];
  }

  /** A hold and its audit entry, in one statement. */
  function holdWrite(values: Pick<NewAppointment, 'doctorId' | 'patientId' | 'startsAt' | 'endsAt' | 'locationId'> & { expiresAt: Date } & ReturnType<typeof visitColumns>, actor: Actor | null): Statement {
    return [
      `WITH h AS (
         INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, status, hold_expires_at, channel, created_by, location_id, visit_type_id,
                                   buffer_before_minutes, buffer_after_minutes, created_at, updated_at)
         VALUES (:doctorId, :patientId, :startsAt, :endsAt, 'held', :expiresAt, :channel, :createdBy, :locationId, :visitTypeId,
                 :bufferBeforeMinutes, :bufferAfterMinutes, :now, :now)
         RETURNING id, patient_id),
       au AS (
         INSERT INTO audit_log (actor_user_id, actor_role, channel, action, outcome, patient_id, subject_type, subject_id, details)
         SELECT :actorUserId, :actorRole, :actorChannel, :action, 'allowed', h.patient_id, 'appointment', h.id::text, '{}'::jsonb FROM h)
       SELECT id FROM h`,
      {
        ...values,
        channel: actor?.channel ?? 'waitlist',
        createdBy: actor?.userId ?? null,
        now: new Date(deps.now()),
        actorUserId: actor?.userId ?? null,
        actorRole: actor?.role ?? null,
        actorChannel: actor?.channel ?? null,
        action: actor ? 'appointment.hold' : 'waitlist.hold',
      },
      'hold',
    ];
  }

  /** A write refused by a constraint, as the domain error it means. */
  function bookingRefusal(err: unknown, values: Pick<NewAppointment, 'doctorId' | 'startsAt'>): unknown {
    const constraint = violatedConstraint(err);
    if (constraint === 'appointments_no_patient_overlap') return new PatientBusyError();
    if (constraint === 'appointments_no_doctor_overlap') return new SlotTakenError(values.doctorId, values.startsAt, 'booked');
    if (constraint === 'appointments_patient_id_fkey') return new NotFoundError('The patient');
    return err;
  }

  /** What must follow the commit (reminders, notices, the patient's confirmation), written with it. */
  async function afterCommit(kind: 'appointment.booked' | 'appointment.rescheduled' | 'appointment.cancelled', appointmentId: string, payload: Record<string, unknown>, transaction: Transaction): Promise<void> {
    await db.sequelize.query('INSERT INTO outbox (kind, appointment_id, payload) VALUES (:kind, :appointmentId, :payload::jsonb)', {
      replacements: { kind, appointmentId, payload: JSON.stringify(payload) },
      transaction,
    });
  }

  /** Events are told after the commit; a listener that fails is the outbox's to make good, never the caller's. */
  async function tell(event: Parameters<AppointmentEvents['publish']>[0]): Promise<void> {
    await deps.events.publish(event).catch(() => undefined);
  }

  async function insertAppointment(values: NewAppointment, transaction: Transaction): Promise<AppointmentView> {
    try {
      // Plain SQL: the hottest write in the service, and a model instance costs more CPU than it.
      const [row] = await db.sequelize.query<AppointmentView>(
        `INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, reason, channel, created_by, rescheduled_from, location_id,
                                   visit_type_id, buffer_before_minutes, buffer_after_minutes, video_url, series_id, created_at, updated_at)
         VALUES (:doctorId, :patientId, :startsAt, :endsAt, :reason, :channel, :createdBy, :rescheduledFrom, :locationId,
                 :visitTypeId, :bufferBeforeMinutes, :bufferAfterMinutes, :videoUrl, :seriesId, :now, :now)
         RETURNING ${appointmentViewColumns()}`,
        // created_at follows the service clock like every other time it writes (reports count bookings by it).
        { replacements: { ...values, rescheduledFrom: values.rescheduledFrom ?? null, now: new Date(deps.now()) }, type: QueryTypes.SELECT, transaction },
      );
      return asView(row);
    } catch (err) {
      const constraint = violatedConstraint(err);
      if (constraint === 'appointments_no_patient_overlap') throw new PatientBusyError();
      if (constraint === 'appointments_no_doctor_overlap') throw new SlotTakenError(values.doctorId, values.startsAt, 'booked');
      if (constraint === 'appointments_patient_id_fkey') throw new NotFoundError('The patient');
      throw err;
    }
  }

  /** Runs `work` holding the slot locks of every start, taken in time order (so two series never wait on each other). */
  function withSlots<T>(doctorId: string, starts: Date[], work: () => Promise<T>): Promise<T> {
    const [first, ...rest] = starts;
    if (!first) return work();
    return deps.locks.withSlot(doctorId, first, () => withSlots(doctorId, rest, work));
  }

  /** Holds a free time for a patient: for an actor (checked by the caller) or, with none, for the waitlist. */
  async function placeHold(actor: Actor | null, input: HoldInput, minutes: number): Promise<Hold> {
    const doctorId = requireId(input.doctorId, 'The doctor');
    const patientId = requireId(input.patientId, 'The patient');
    const startsAt = requireInstant(input.startsAt, 'startsAt');
    const visitTypeId = input.visitTypeId ? requireId(input.visitTypeId, 'The visit type') : null;
    const wantLocation = input.locationId ? requireId(input.locationId, 'The location') : null;
    const moving = input.moving ? requireId(input.moving, 'The appointment') : null;
    const held = await deps.locks.withSlot(doctorId, startsAt, () =>
      guardDb(() =>
        // Two round trips, as a booking: the reads open the transaction, the hold and its audit
        // entry go with the COMMIT.
        db.pipelined(async (tx) => {
          // One hold a patient asks for: their previous one goes (with expired ones near this time).
          // A hold behind a waitlist offer stays until the offer is answered or expires; and the
          // waitlist's own holds never take another away (one patient may be offered a time while
          // another offer to them is being made elsewhere: the offer's own rules settle that).
          const reads = bookingReads(doctorId, patientId, startsAt, null, { ownHolds: actor !== null });
          if (moving) reads.push(['SELECT patient_id, visit_type_id FROM appointments WHERE id = :moving', { moving }, 'moved_appointment']);
          const results = await tx.run(...reads);
          const context = readBookingContext(results);
          const doctor = context.doctor;
          const moved = moving ? (results[3][0] as { patient_id: string; visit_type_id: string | null } | undefined) : null;
          if (moving && (!moved || moved.patient_id !== patientId)) throw new NotFoundError('The appointment');
          const kind = moved ? (doctor.visitTypes.some((v) => v.id === moved.visit_type_id) ? moved.visit_type_id : null) : visitTypeId;
          const plan = planVisit(doctor, doctor.visitTypes, kind);
          const { endsAt, locationId } = await requireFreeSlot(doctor, plan, startsAt, null, context.calendar, wantLocation);
          if (!moved && actor) await checkHold(actor, context.patient);
          const expiresAt = new Date(deps.now() + minutes * 60_000);
          const [[row]] = await tx
            .commit(holdWrite({ doctorId, patientId, startsAt, endsAt, locationId, expiresAt, ...visitColumns(plan) }, actor))
            .catch((err: unknown) => Promise.reject(bookingRefusal(err, { doctorId, startsAt })));
          return { id: String(row.id), startsAt, endsAt, expiresAt, locationId };
        }),
      ),
    );
    // Holds expire on their own (free times and bookings ignore them after expiry); the expiry
    // job the reminder system schedules on this event only tidies.
    const view: AppointmentView = { id: held.id, doctorId, patientId, startsAt, endsAt: held.endsAt, status: 'held', channel: actor?.channel ?? 'waitlist', reason: null, rescheduledFrom: null, locationId: held.locationId };
    // The waitlist schedules its own offer expiry; a patient's hold gets the tidy-up job.
    if (actor) await tell({ type: 'held', appointment: view, expiresAt: held.expiresAt, actor });
    return held;
  }

  const service: BookingService = {
    async hold(actor, input) {
      const patientId = requireId(input.patientId, 'The patient');
      await permit(audit, actor, { action: 'appointment.hold', subjectType: 'doctor', subjectId: input.doctorId, patientId }, () => requireActForPatient(actor, patientId, 'hold a time for this patient'));
      return placeHold(actor, input, (await deps.settings.get()).holdMinutes);
    },

    holdForOffer: (input, minutes) => placeHold(null, input, minutes),

    async releaseOfferHold(holdId) {
      const id = requireId(holdId, 'The hold');
      await guardDb(() => db.sequelize.query(`DELETE FROM appointments WHERE id = :id AND status = 'held'`, { replacements: { id } }));
    },

    async releaseHold(actor, holdId) {
      const id = requireId(holdId, 'The hold');
      await guardDb(async () => {
        const row = await Appointment.findByPk(id);
        if (!row || row.status !== 'held') return;
        await permit(audit, actor, { action: 'appointment.hold.release', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireAppointmentAccess(actor, row, 'release this hold'));
        await db.sequelize.query(`DELETE FROM appointments WHERE id = :id AND status = 'held'`, { replacements: { id } });
      });
    },

    async sweepHold(holdId) {
      const id = requireId(holdId, 'The hold');
      const rows = await guardDb(() =>
        db.sequelize.query<{ id: string }>(`DELETE FROM appointments WHERE id = :id AND status = 'held' AND hold_expires_at <= :now RETURNING id`, {
          replacements: { id, now: new Date(deps.now()) },
          type: QueryTypes.SELECT,
        }),
      );
      return rows.length > 0;
    },

    async bookSeries(actor, input) {
      const doctorId = requireId(input.doctorId, 'The doctor');
      const patientId = requireId(input.patientId, 'The patient');
      const starts = [...input.starts].map((d) => requireInstant(d, 'startsAt')).sort((a, b) => a.getTime() - b.getTime());
      const max = actor.role === 'patient' ? PATIENT_MAX_OCCURRENCES : 52;
      if (starts.length < 2 || starts.length > max) throw new ValidationError(`A series is 2 to ${max} visits.`, 'occurrences');
      if (new Set(starts.map((d) => d.getTime())).size !== starts.length) throw new ValidationError('A series cannot hold the same time twice.', 'occurrences');
      const everyWeeks = input.everyWeeks ?? 1;
      if (!Number.isInteger(everyWeeks) || everyWeeks < 1 || everyWeeks > 4) throw new ValidationError('A series repeats every 1 to 4 weeks.', 'everyWeeks');
      const visitTypeId = input.visitTypeId ? requireId(input.visitTypeId, 'The visit type') : null;
      const sees = actor.role === 'doctor' ? (await guardDb(() => Appointment.count({ where: { doctorId, patientId } }))) > 0 : false;
      await permit(audit, actor, { action: 'appointment.series', subjectType: 'doctor', subjectId: doctorId, patientId }, () => requireBookSeries(actor, patientId, doctorId, sees, 'book a series for this patient'));

      const result = await withSlots(doctorId, starts, () =>
        guardDb(() =>
          db.sequelize.transaction(async (transaction) => {
            const doctor = await findDoctor(doctorId, transaction);
            const plan = planVisit(doctor, doctor.visitTypes, visitTypeId);
            const hold = await readHold(patientId, doctor, starts[0], transaction);
            if (!hold.createdAt) throw new NotFoundError('The patient');
            if (actor.role === 'patient') {
              // The series counts as one booking against the cap of upcoming appointments.
              const settings = await deps.settings.get();
              if (hold.upcoming >= settings.maxUpcomingPerPatient) throw new BookingLimitError('upcoming', settings.maxUpcomingPerPatient);
            }
            const [series] = await db.sequelize.query<{ id: string }>(
              `INSERT INTO appointment_series (doctor_id, patient_id, every_weeks, occurrences, created_by) VALUES (:doctorId, :patientId, :everyWeeks, :n, :by) RETURNING id`,
              { replacements: { doctorId, patientId, everyWeeks, n: starts.length, by: actor.userId ?? null }, type: QueryTypes.SELECT, transaction },
            );
            const appointments: AppointmentView[] = [];
            for (const [i, startsAt] of starts.entries()) {
              const { endsAt, locationId } = await requireFreeSlot(doctor, plan, startsAt, transaction);
              const appointment = await insertAppointment(
                { doctorId, patientId, startsAt, endsAt, reason: null, channel: input.channel, createdBy: actor.userId, locationId, seriesId: series.id, ...visitColumns(plan) },
                transaction,
              );
              await audit.record(
                actor,
                { action: 'appointment.book', outcome: 'allowed', subjectType: 'appointment', subjectId: appointment.id, patientId, details: { series: series.id } },
                transaction,
              );
              await afterCommit('appointment.booked', appointment.id, { actorRole: actor.role, tellPatient: actor.role === 'patient' && i === 0, quiet: i > 0 }, transaction);
              appointments.push(appointment);
            }
            return { seriesId: series.id, appointments };
          }),
        ),
      );
      for (const appointment of result.appointments) await tell({ type: 'booked', appointment, actor });
      return result;
    },

    async cancelSeries(actor, appointmentId, reason) {
      const id = requireId(appointmentId, 'The appointment');
      const from = await guardDb(() => Appointment.findByPk(id));
      if (!from) throw new NotFoundError('The appointment');
      await permit(audit, actor, { action: 'appointment.cancel', subjectType: 'appointment', subjectId: id, patientId: from.patientId }, () => requireAppointmentAccess(actor, from, 'cancel this series'));
      if (!from.seriesId) throw new ValidationError('That appointment is not part of a series.');
      const rest = await guardDb(() =>
        Appointment.findAll({ where: { seriesId: from.seriesId, status: 'booked', startsAt: { [Op.gte]: from.startsAt } }, order: [['startsAt', 'ASC']] }),
      );
      const cancelled: AppointmentView[] = [];
      for (const a of rest) {
        if (a.startsAt.getTime() <= deps.now()) continue;
        cancelled.push(await service.cancel(actor, a.id, reason));
      }
      return cancelled;
    },

    async book(actor, input) {
      const doctorId = requireId(input.doctorId, 'The doctor');
      const patientId = requireId(input.patientId, 'The patient');
      const startsAt = requireInstant(input.startsAt, 'startsAt');
      const reason = input.reason?.trim() || null;
      if (reason && reason.length > MAX_REASON_LENGTH) throw new ValidationError(`Please keep the reason under ${MAX_REASON_LENGTH} characters.`, 'reason');
      const visitTypeId = input.visitTypeId ? requireId(input.visitTypeId, 'The visit type') : null;
      const wantLocation = input.locationId ? requireId(input.locationId, 'The location') : null;
      const seriesId = input.seriesId ? requireId(input.seriesId, 'The series') : null;
      const holdId = input.holdId ? requireId(input.holdId, 'The hold') : null;
      await permit(audit, actor, { action: 'appointment.book', subjectType: 'doctor', subjectId: doctorId, patientId }, () => requireActForPatient(actor, patientId, 'book for this patient'));

      let appointment: AppointmentView;
      try {
        appointment = await deps.locks.withSlot(doctorId, startsAt, () =>
          guardDb(() =>
            // Two round trips: the reads open the transaction; the write (appointment, audit,
            // outbox) goes with the COMMIT.
            db.pipelined(async (tx) => {
              const context = readBookingContext(await tx.run(...bookingReads(doctorId, patientId, startsAt, holdId)));
              const doctor = context.doctor;
              const plan = planVisit(doctor, doctor.visitTypes, visitTypeId);
              const { endsAt, locationId } = await requireFreeSlot(doctor, plan, startsAt, null, context.calendar, wantLocation);
              const { newPatient } = await checkHold(actor, context.patient);
              // Overlaps with the patient's other appointments are the patient exclusion
              // constraint's to refuse, in the insert itself (PatientBusyError).
              const values: NewAppointment = {
                doctorId, patientId, startsAt, endsAt, reason, channel: input.channel, createdBy: actor.userId, locationId, seriesId, ...visitColumns(plan),
              };
              const [[row]] = await tx
                .commit(bookingWrite(values, actor, { actorRole: actor.role, tellPatient: actor.role === 'patient', newPatient }))
                .catch((err: unknown) => Promise.reject(bookingRefusal(err, values)));
              return asView(row as unknown as AppointmentView);
            }),
          ),
        );
      } catch (err) {
        if (err instanceof BookingLimitError) {
          await audit.record(actor, { action: 'appointment.book', outcome: 'denied', subjectType: 'doctor', subjectId: doctorId, patientId, details: { limit: err.limit } }).catch(() => undefined);
        }
        throw err;
      }
      await tell({ type: 'booked', appointment, actor });
      return appointment;
    },

    async cancel(actor, appointmentId, reason) {
      const id = requireId(appointmentId, 'The appointment');
      const cancelled = await guardDb(() =>
        db.sequelize.transaction(async (transaction) => {
          const row = await Appointment.findByPk(id, { transaction, lock: Transaction.LOCK.UPDATE });
          if (!row) throw new NotFoundError('The appointment');
          await permit(audit, actor, { action: 'appointment.cancel', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireAppointmentAccess(actor, row, 'cancel this appointment'));
          const why = canChange(row, deps.now());
          if (why) throw new InvalidStateError(`This appointment cannot be cancelled: ${why}.`);
          await row.update(
            { status: 'cancelled', cancelledAt: new Date(deps.now()), cancelledBy: actor.userId, cancelReason: reason?.slice(0, 200) ?? null },
            { transaction },
          );
          await audit.record(
            actor,
            { action: 'appointment.cancel', outcome: 'allowed', subjectType: 'appointment', subjectId: id, patientId: row.patientId },
            transaction,
          );
          await afterCommit('appointment.cancelled', id, { actorRole: actor.role }, transaction);
          return toAppointmentView(row);
        }),
      );
      await tell({ type: 'cancelled', appointment: cancelled, actor });
      return cancelled;
    },

    async reschedule(actor, appointmentId, newStartsAt, holdId) {
      const id = requireId(appointmentId, 'The appointment');
      const ownHold = holdId ? requireId(holdId, 'The hold') : null;
      const startsAt = requireInstant(newStartsAt, 'startsAt');
      const current = await guardDb(() => Appointment.findByPk(id));
      if (!current) throw new NotFoundError('The appointment');
      await permit(audit, actor, { action: 'appointment.reschedule', subjectType: 'appointment', subjectId: id, patientId: current.patientId }, () => requireAppointmentAccess(actor, current, 'move this appointment'));
      if (current.startsAt.getTime() === startsAt.getTime()) {
        throw new ValidationError('The appointment is already at that time.', 'startsAt');
      }

      const result = await deps.locks.withSlot(current.doctorId, startsAt, () =>
        guardDb(() =>
          db.sequelize.transaction(async (transaction) => {
            // Re-read under a row lock: a concurrent cancel or move of the same appointment waits here.
            const old = await Appointment.findByPk(id, { transaction, lock: Transaction.LOCK.UPDATE });
            if (!old) throw new NotFoundError('The appointment');
            const why = canChange(old, deps.now());
            if (why) throw new InvalidStateError(`This appointment cannot be moved: ${why}.`);
            const doctor = await findDoctor(old.doctorId, transaction);
            const previous = toAppointmentView(old);
            const [release, releaseValues] = releaseHolds(old.doctorId, old.patientId, startsAt, ownHold);
            await db.sequelize.query(release, { replacements: releaseValues, transaction });
            // Free the old time first, inside the same transaction, so a move by less than the
            // appointment's length is not refused as overlapping itself. A failure below rolls it back.
            await old.update(
              { status: 'cancelled', cancelledAt: new Date(deps.now()), cancelledBy: actor.userId, cancelReason: 'rescheduled' },
              { transaction },
            );
            // The same kind of visit, if the doctor still offers it; their default otherwise.
            const stillOffered = doctor.visitTypes.some((t) => t.id === old.visitTypeId);
            const plan = planVisit(doctor, doctor.visitTypes, stillOffered ? old.visitTypeId : null);
            const visit = visitColumns(plan);
            const { endsAt, locationId } = await requireFreeSlot(doctor, plan, startsAt, transaction);
            await checkHold(actor, await readHold(old.patientId, doctor, startsAt, transaction));
            const appointment = await insertAppointment(
              {
                doctorId: old.doctorId,
                patientId: old.patientId,
                startsAt,
                endsAt,
                reason: old.reason,
                channel: actor.channel ?? old.channel,
                createdBy: actor.userId,
                rescheduledFrom: old.id,
                locationId,
                seriesId: old.seriesId ?? null,
                ...visit,
                // A moved telehealth visit keeps its link: the patient may have saved it.
                videoUrl: old.videoUrl ?? visit.videoUrl,
              },
              transaction,
            );
            await audit.record(
              actor,
              {
                action: 'appointment.reschedule',
                outcome: 'allowed',
                subjectType: 'appointment',
                subjectId: appointment.id,
                patientId: old.patientId,
                details: { from: old.id },
              },
              transaction,
            );
            await afterCommit('appointment.rescheduled', appointment.id, { previousId: old.id, actorRole: actor.role, tellPatient: actor.role === 'patient' }, transaction);
            return { appointment, previous };
          }),
        ),
      );
      await tell({ type: 'rescheduled', ...result, actor });
      return result.appointment;
    },

    async recordOutcome(actor, appointmentId, outcome) {
      const id = requireId(appointmentId, 'The appointment');
      if (outcome !== 'completed' && outcome !== 'no_show') throw new ValidationError('The outcome is completed or no-show.');
      return guardDb(() =>
        db.sequelize.transaction(async (transaction) => {
          const row = await Appointment.findByPk(id, { transaction, lock: Transaction.LOCK.UPDATE });
          if (!row) throw new NotFoundError('The appointment');
          await permit(audit, actor, { action: 'appointment.outcome', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireRecordOutcome(actor, row, 'record how this appointment went'));
          const why = canRecordOutcome(row, deps.now());
          if (why) throw new InvalidStateError(`Cannot record that: ${why}.`);
          await row.update({ status: outcome }, { transaction });
          await audit.record(
            actor,
            { action: 'appointment.outcome', outcome: 'allowed', subjectType: 'appointment', subjectId: id, patientId: row.patientId, details: { status: outcome } },
            transaction,
          );
          return toAppointmentView(row);
        }),
      );
    },

    async addVisitDetails(actor, appointmentId, details) {
      const id = requireId(appointmentId, 'The appointment');
      const reason = details.reason?.replace(/\s+/g, ' ').trim();
      if (reason !== undefined && (reason.length === 0 || reason.length > MAX_REASON_LENGTH)) {
        throw new ValidationError(`Please keep the reason under ${MAX_REASON_LENGTH} characters.`, 'reason');
      }
      const answer = details.answer && { question: String(details.answer.question).slice(0, 140), answer: String(details.answer.answer).replace(/\s+/g, ' ').trim() };
      if (answer && (answer.answer.length === 0 || answer.answer.length > MAX_REASON_LENGTH)) {
        throw new ValidationError(`Please keep the answer under ${MAX_REASON_LENGTH} characters.`, 'answer');
      }
      await guardDb(() =>
        db.sequelize.transaction(async (transaction) => {
          const row = await Appointment.findByPk(id, { transaction, lock: Transaction.LOCK.UPDATE });
          if (!row) throw new NotFoundError('The appointment');
          await permit(audit, actor, { action: 'appointment.details', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireAppointmentAccess(actor, row, 'add to this appointment'));
          if (row.status !== 'booked') throw new InvalidStateError('This appointment is no longer booked.');
          await row.update(
            {
              ...(reason !== undefined ? { reason } : {}),
              ...(answer ? { intake: [...(row.intake ?? []).filter((a) => a.question !== answer.question), answer].slice(0, 10) } : {}),
            },
            { transaction },
          );
          // Which kind of detail, never its words.
          await audit.record(
            actor,
            { action: 'appointment.details', outcome: 'allowed', subjectType: 'appointment', subjectId: id, patientId: row.patientId, details: { reason: reason !== undefined, answer: Boolean(answer) } },
            transaction,
          );
        }),
      );
    },

    async confirmAttendance(actor, appointmentId) {
      const id = requireId(appointmentId, 'The appointment');
      await guardDb(async () => {
        const row = await Appointment.findByPk(id);
        if (!row) throw new NotFoundError('The appointment');
        await permit(audit, actor, { action: 'appointment.confirm', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireAppointmentAccess(actor, row, 'confirm this appointment'));
        if (row.status !== 'booked') throw new InvalidStateError('This appointment is no longer booked.');
        await db.sequelize.transaction(async (transaction) => {
          await db.sequelize.query('UPDATE appointments SET patient_confirmed_at = :at WHERE id = :id', { replacements: { at: new Date(deps.now()), id }, transaction });
          await audit.record(actor, { action: 'appointment.confirm', outcome: 'allowed', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, transaction);
        });
      });
    },
  };
  return service;
}
