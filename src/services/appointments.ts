import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { AppointmentStatus, AppointmentView } from '../domain/appointment';
import type { Clock } from '../domain/clock';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { requireActForPatient, requireAppointmentAccess, requireManageDoctor } from '../domain/policy';
import type { AppointmentRow, Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { isId, requireId } from './ids';
import { appointmentViewColumns, toAppointmentView } from './views';
import { permit } from './permit';

export interface ScheduleEntry extends AppointmentView {
  patientName: string;
  /** The language the patient reads: staff see it beside the name. */
  patientLocale: string;
  /** The kind of visit and where, when the clinic names them. */
  visitName?: string | null;
  locationName?: string | null;
  /** The patient's answers to the visit type's intake questions (shown to the doctor, never logged). */
  intake?: Array<{ question: string; answer: string }> | null;
}

export interface AppointmentSearch {
  patientId?: string | null;
  doctorId?: string | null;
  locationId?: string | null;
  /** Appointments that end after `from` and start before `to`. */
  from?: Date | null;
  to?: Date | null;
  statuses?: AppointmentStatus[] | null;
  limit?: number;
  offset?: number;
}

const MAX_SEARCH_PAGE = 200;

export interface AppointmentsService {
  /** A patient's own appointments: upcoming (soonest first) or past (latest first). */
  listForPatient(actor: Actor, patientId: string, when: 'upcoming' | 'past', limit?: number): Promise<AppointmentView[]>;
  get(actor: Actor, appointmentId: string): Promise<AppointmentView>;
  /**
   * Appointments by patient, doctor, time and status (the FHIR Appointment search): admins anyone's,
   * a doctor their own, a patient theirs. Soonest first, a page at a time; expired holds are not
   * appointments. Recorded, with the patient when the search names one.
   */
  search(actor: Actor, filter: AppointmentSearch): Promise<{ appointments: AppointmentView[]; more: boolean }>;
  /** A doctor's appointments between two instants, with the patient's name. */
  schedule(actor: Actor, doctorId: string, from: Date, to: Date): Promise<ScheduleEntry[]>;
  /**
   * The patient has read "Booked" for these (the channel delivered the reply that said so): the
   * text the outbox would otherwise send them is not needed. Ids come from the engine, never a message.
   */
  markPatientTold(appointmentIds: readonly string[]): Promise<void>;
}

export function createAppointmentsService(deps: { db: Db; audit: AuditLog; now: Clock }): AppointmentsService {
  const { Appointment } = deps.db.models;


  return {
    listForPatient: (actor, patientId, when, limit = 10) =>
      guardDb(async () => {
        const id = requireId(patientId, 'The patient');
        await permit(deps.audit, actor, { action: 'appointment.list', subjectType: 'appointment', subjectId: id, patientId: id }, () => requireActForPatient(actor, id, 'list appointments'));
        const now = new Date(deps.now());
        // Plain SQL: read on most patient turns (offers leave out the patient's own times).
        const rows = await deps.db.read<AppointmentRow>(
          `SELECT ${appointmentViewColumns()}
             FROM appointments
            WHERE patient_id = :id AND ${when === 'upcoming' ? "status = 'booked' AND ends_at > :now" : "(ends_at <= :now OR status <> 'booked') AND status <> 'held'"}
            ORDER BY starts_at ${when === 'upcoming' ? 'ASC' : 'DESC'} LIMIT :limit`,
          { id, now, limit: Math.min(Math.max(limit, 1), 50) },
        );
        return rows.map(toAppointmentView);
      }),

    get: (actor, appointmentId) =>
      guardDb(async () => {
        const id = requireId(appointmentId, 'The appointment');
        const row = await Appointment.findByPk(id);
        if (!row) throw new NotFoundError('The appointment');
        await permit(deps.audit, actor, { action: 'appointment.read', subjectType: 'appointment', subjectId: id, patientId: row.patientId }, () => requireAppointmentAccess(actor, row, 'see this appointment'));
        return toAppointmentView(row);
      }),

    search: (actor, filter) =>
      guardDb(async () => {
        const patientId = filter.patientId ? requireId(filter.patientId, 'The patient') : null;
        const doctorId = filter.doctorId ? requireId(filter.doctorId, 'The doctor') : null;
        const locationId = filter.locationId ? requireId(filter.locationId, 'The location') : null;
        await permit(deps.audit, actor, { action: 'appointment.search', subjectType: 'appointment', patientId: patientId ?? undefined }, () => {
          if (actor.role === 'admin') return;
          if (actor.role === 'patient' && patientId && patientId === actor.patientId) return;
          if (actor.role === 'doctor' && doctorId && doctorId === actor.doctorId) return;
          throw new ForbiddenError('search these appointments');
        });
        if (filter.from && filter.to && !(filter.to > filter.from)) throw new ValidationError('The date range must end after it starts.');
        const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 50), 1), MAX_SEARCH_PAGE);
        const offset = Math.max(Math.trunc(filter.offset ?? 0), 0);
        const where = [`(status <> 'held' OR hold_expires_at > :now)`];
        if (patientId) where.push('patient_id = :patientId');
        if (doctorId) where.push('doctor_id = :doctorId');
        if (locationId) where.push('location_id = :locationId');
        if (filter.from) where.push('ends_at > :from');
        if (filter.to) where.push('starts_at < :to');
        if (filter.statuses?.length) where.push('status IN (:statuses)');
        const rows = await deps.db.sequelize.query<AppointmentRow>(
          `SELECT ${appointmentViewColumns()} FROM appointments WHERE ${where.join(' AND ')} ORDER BY starts_at, id LIMIT :limit OFFSET :offset`,
          {
            replacements: { patientId, doctorId, locationId, from: filter.from ?? null, to: filter.to ?? null, statuses: filter.statuses ?? [], now: new Date(deps.now()), limit: limit + 1, offset },
            type: QueryTypes.SELECT,
          },
        );
        await deps.audit.record(actor, { action: 'appointment.search', outcome: 'allowed', subjectType: 'appointment', patientId: patientId ?? undefined, details: { appointments: Math.min(rows.length, limit) } });
        return { appointments: rows.slice(0, limit).map(toAppointmentView), more: rows.length > limit };
      }),

    schedule: (actor, doctorId, from, to) =>
      guardDb(async () => {
        const id = requireId(doctorId, 'The doctor');
        await permit(deps.audit, actor, { action: 'schedule.read', subjectType: 'doctor', subjectId: id }, () => requireManageDoctor(actor, id, 'see this schedule'));
        if (!(to > from)) throw new ValidationError('The schedule range must end after it starts.');
        if (to.getTime() - from.getTime() > 62 * 86_400_000) throw new ValidationError('Ask for at most two months at a time.');
        // Plain SQL: a doctor's schedule is asked for on every 'today', and model instances with an
        // include cost more CPU than the query.
        const rows = await deps.db.sequelize.query<ScheduleEntry>(
          `SELECT ${appointmentViewColumns('a')}, p.full_name AS "patientName", p.locale AS "patientLocale",
                  v.name AS "visitName", l.name AS "locationName", a.intake
             FROM appointments a JOIN patients p ON p.id = a.patient_id
             LEFT JOIN visit_types v ON v.id = a.visit_type_id LEFT JOIN locations l ON l.id = a.location_id
            WHERE a.doctor_id = :id AND a.status NOT IN ('cancelled', 'held') AND a.starts_at < :to AND a.ends_at > :from
            ORDER BY a.starts_at`,
          { replacements: { id, from, to }, type: QueryTypes.SELECT },
        );
        // Names of the doctor's own patients are shown; the read is still recorded.
        await deps.audit.record(actor, {
          action: 'schedule.read',
          outcome: 'allowed',
          subjectType: 'doctor',
          subjectId: id,
          details: { appointments: rows.length },
        });
        return rows.map((r) => ({ ...r, startsAt: new Date(r.startsAt), endsAt: new Date(r.endsAt) }));
      }),
    markPatientTold: (appointmentIds) =>
      guardDb(async () => {
        const ids = appointmentIds.filter(isId);
        if (ids.length === 0) return;
        await deps.db.sequelize.query('UPDATE appointments SET patient_told_at = :now WHERE id IN (:ids) AND patient_told_at IS NULL', {
          replacements: { ids, now: new Date(deps.now()) },
        });
      }),
  };
}
