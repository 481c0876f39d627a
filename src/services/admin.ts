import { DateTime } from 'luxon';
import { Op, QueryTypes } from 'sequelize';
import type { Actor, Role } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { normalizePhone, validateFullName, validateTimeZone } from '../domain/patient';
import { requireAdmin } from '../domain/policy';
import { normalizeSearchText } from '../domain/search';
import type { Db } from '../db/models';
import type { AuditEntry, AuditLog } from './audit';
import type { BookingService } from './booking';
import { guardDb, violatedConstraint } from './db-errors';
import type { DoctorsService, DoctorView } from './doctors';
import { requireId } from './ids';
import { toPatientView, type PatientView } from './patients';
import { toAppointmentView } from './views';
import { permit } from './permit';
import { offerStandardVisit } from './visit-types';

export interface StaffView {
  id: string;
  role: Role;
  email: string | null;
  name: string;
  active: boolean;
  links: string[];
}

export interface SpecializationView {
  id: string;
  name: string;
  keywords: string[];
  doctors: number;
}

export interface AuditFilter {
  limit?: number;
  /** Entries about this patient (their phone number). */
  patientPhone?: string;
  /** Entries by this staff member (their email). */
  userEmail?: string;
  /** An action ('patient.read') or a family of them ('patient'). */
  action?: string;
  /** Inclusive local dates in the clinic's zone. */
  from?: string;
  to?: string;
}

export interface AuditView {
  at: Date;
  actorName: string | null;
  actorRole: string | null;
  actorUserId: string | null;
  channel: string | null;
  action: string;
  outcome: string;
  subjectType: string | null;
  subjectId: string | null;
}

/**
 * What only an admin may do: doctors, specialties, staff accounts, finding a patient, the audit
 * trail. Every call checks the role here, whatever channel it came from, and every call, allowed
 * or refused, leaves an audit entry.
 */
export function createAdminService(deps: { db: Db; audit: AuditLog; doctors: DoctorsService; booking: BookingService; now: Clock }) {
  const { db, audit } = deps;
  const { Doctor, User, Specialization, DoctorSpecialization, ChannelIdentity, Patient, Appointment } = db.models;

  /** Checks the role, runs the action, and audits the outcome either way. */
  async function admin<T>(actor: Actor, entry: Omit<AuditEntry, 'outcome'>, work: () => Promise<T>): Promise<T> {
    await permit(audit, actor, entry, () => requireAdmin(actor, entry.action));
    const result = await guardDb(work);
    await audit.record(actor, { ...entry, outcome: 'allowed' });
    return result;
  }

  async function doctorViews(where: string, replacements: Record<string, unknown>): Promise<DoctorView[]> {
    return db.sequelize.query<DoctorView>(
      `SELECT d.id, d.full_name AS "fullName", d.time_zone AS "timeZone", d.slot_minutes AS "slotMinutes", d.active,
              coalesce(array_agg(s.name ORDER BY s.name) FILTER (WHERE s.id IS NOT NULL), '{}') AS specializations
         FROM doctors d
         LEFT JOIN doctor_specializations ds ON ds.doctor_id = d.id
         LEFT JOIN specializations s ON s.id = ds.specialization_id
        WHERE ${where}
        GROUP BY d.id ORDER BY d.full_name`,
      { replacements, type: QueryTypes.SELECT },
    );
  }

  async function staffByEmail(email: string) {
    const user = await User.findOne({ where: { email: String(email).trim() } });
    if (!user) throw new NotFoundError(`No account with the email ${email}`);
    return user;
  }

  async function specializationByName(name: string, transaction?: import('sequelize').Transaction) {
    return Specialization.findOne({
      where: db.sequelize.where(db.sequelize.fn('lower', db.sequelize.col('name')), String(name).trim().toLowerCase()),
      transaction,
    });
  }

  return {
    /** The gate in front of every /clinic command, so even 'help' from a non-admin is refused and audited. */
    assertAdmin: (actor: Actor, command: string) => admin(actor, { action: 'admin.command', details: { command } }, async () => undefined),

    /** An appointment by the first characters of its id, as the admin's listing shows them. */
    findAppointmentByRef: (actor: Actor, ref: string) =>
      admin(actor, { action: 'admin.appointments.find', subjectType: 'appointment', subjectId: ref }, async () => {
        if (!/^[0-9a-f]{6,36}$/i.test(ref)) throw new ValidationError('An appointment reference is the 8 characters shown in the listing.');
        const rows = await db.sequelize.query<{ id: string }>(`SELECT id FROM appointments WHERE id::text LIKE :ref LIMIT 2`, {
          replacements: { ref: `${ref.toLowerCase()}%` },
          type: QueryTypes.SELECT,
        });
        if (rows.length === 0) throw new NotFoundError(`The appointment ${ref}`);
        if (rows.length > 1) throw new ValidationError(`More than one appointment starts with ${ref}; give more characters.`);
        return rows[0].id;
      }),

    listDoctors: (actor: Actor, includeInactive = false) =>
      admin(actor, { action: 'admin.doctors.list' }, () => doctorViews(includeInactive ? 'true' : 'd.active', {})),

    /** Doctors whose name contains the words given, active or not, for commands that name one. */
    findDoctors: (actor: Actor, text: string) =>
      admin(actor, { action: 'admin.doctors.find' }, async () => {
        const words = normalizeSearchText(text).split(' ').filter((w) => w && w !== 'dr');
        if (words.length === 0) return [];
        const clauses = words.map((_, i) => `unaccent(lower(d.full_name)) LIKE :w${i}`).join(' AND ');
        return doctorViews(clauses, Object.fromEntries(words.map((w, i) => [`w${i}`, `%${w}%`])));
      }),

    updateDoctor: (actor: Actor, doctorId: string, changes: { fullName?: string; timeZone?: string; slotMinutes?: number; email?: string }) =>
      admin(actor, { action: 'admin.doctors.edit', subjectType: 'doctor', subjectId: doctorId }, async () => {
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        const update: Record<string, unknown> = {};
        if (changes.fullName !== undefined) update.fullName = validateFullName(changes.fullName);
        if (changes.timeZone !== undefined) update.timeZone = validateTimeZone(changes.timeZone);
        if (changes.slotMinutes !== undefined) {
          if (!Number.isInteger(changes.slotMinutes) || changes.slotMinutes < 5 || changes.slotMinutes > 480) {
            throw new ValidationError('Slot length must be 5 to 480 minutes.', 'slot');
          }
          update.slotMinutes = changes.slotMinutes;
        }
        if (Object.keys(update).length === 0 && changes.email === undefined) throw new ValidationError('Nothing to change.');
        await db.sequelize.transaction(async (transaction) => {
          await doctor.update(update, { transaction });
          if (update.slotMinutes !== undefined) await offerStandardVisit(db, doctor.id, update.slotMinutes as number, transaction);
          if (changes.email !== undefined && doctor.userId) {
            await User.update({ email: changes.email }, { where: { id: doctor.userId }, transaction });
          }
          if (update.fullName && doctor.userId) await User.update({ displayName: update.fullName as string }, { where: { id: doctor.userId }, transaction });
        });
        return (await doctorViews('d.id = :id', { id: doctor.id }))[0];
      }),

    /**
     * Stops a doctor taking appointments. Their future appointments are returned; with
     * `cancelFuture` they are cancelled one by one, and each cancellation notifies the patient.
     */
    setDoctorActive: (actor: Actor, doctorId: string, active: boolean, cancelFuture = false) =>
      admin(actor, { action: active ? 'admin.doctors.activate' : 'admin.doctors.deactivate', subjectType: 'doctor', subjectId: doctorId }, async () => {
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        await doctor.update({ active });
        const future = (
          await Appointment.findAll({
            where: { doctorId: doctor.id, status: 'booked', startsAt: { [Op.gt]: new Date(deps.now()) } },
            order: [['startsAt', 'ASC']],
          })
        ).map(toAppointmentView);
        let cancelled = 0;
        if (!active && cancelFuture) {
          for (const a of future) {
            await deps.booking.cancel(actor, a.id, 'the doctor is no longer available');
            cancelled++;
          }
        }
        return { doctor: (await doctorViews('d.id = :id', { id: doctor.id }))[0], future, cancelled };
      }),

    listSpecializations: (actor: Actor) =>
      admin(actor, { action: 'admin.specialties.list' }, () =>
        db.sequelize.query<SpecializationView>(
          `SELECT s.id, s.name, s.keywords, count(ds.doctor_id)::int AS doctors
             FROM specializations s LEFT JOIN doctor_specializations ds ON ds.specialization_id = s.id
            GROUP BY s.id ORDER BY s.name`,
          { type: QueryTypes.SELECT },
        ),
      ),

    addSpecialization: (actor: Actor, name: string, keywords: string[] = []) =>
      admin(actor, { action: 'admin.specialties.add', subjectType: 'specialization', subjectId: name }, async () => {
        const clean = String(name).trim();
        if (!clean || clean.length > 80) throw new ValidationError('A specialty needs a name of up to 80 characters.');
        if (await specializationByName(clean)) throw new ValidationError(`${clean} already exists.`);
        const row = await Specialization.create({ name: clean, keywords: keywords.map((k) => k.trim().toLowerCase()).filter(Boolean) });
        return { id: row.id, name: row.name, keywords: row.keywords, doctors: 0 };
      }),

    renameSpecialization: (actor: Actor, from: string, to: string) =>
      admin(actor, { action: 'admin.specialties.rename', subjectType: 'specialization', subjectId: from }, async () => {
        const row = await specializationByName(from);
        if (!row) throw new NotFoundError(`The specialty ${from}`);
        const clean = String(to).trim();
        if (!clean || clean.length > 80) throw new ValidationError('A specialty needs a name of up to 80 characters.');
        const clash = await specializationByName(clean);
        if (clash && clash.id !== row.id) throw new ValidationError(`${clean} already exists.`);
        await row.update({ name: clean });
        return row.name;
      }),

    /** The everyday words and symptoms patients use for a specialty ('knee', 'rash'): added or taken away. */
    setSpecializationKeywords: (actor: Actor, name: string, change: { add?: string[]; remove?: string[] }) =>
      admin(actor, { action: 'admin.specialties.keywords', subjectType: 'specialization', subjectId: name }, async () => {
        const row = await specializationByName(name);
        if (!row) throw new NotFoundError(`The specialty ${name}`);
        const clean = (xs: string[] = []) => xs.map((k) => k.trim().toLowerCase()).filter(Boolean);
        const gone = new Set(clean(change.remove));
        const words = [...new Set([...row.keywords.filter((k) => !gone.has(k)), ...clean(change.add)])];
        if (words.some((w) => w.length > 40) || words.length > 100) throw new ValidationError('Keywords are up to 40 characters each, 100 a specialty.');
        await row.update({ keywords: words });
        return { name: row.name, keywords: words };
      }),

    assignSpecialization: (actor: Actor, doctorId: string, name: string, assign = true) =>
      admin(actor, { action: assign ? 'admin.specialties.assign' : 'admin.specialties.unassign', subjectType: 'doctor', subjectId: doctorId }, async () => {
        const spec = await specializationByName(name);
        if (!spec) throw new NotFoundError(`The specialty ${name}`);
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        if (assign) await DoctorSpecialization.findOrCreate({ where: { doctorId: doctor.id, specializationId: spec.id } });
        else await DoctorSpecialization.destroy({ where: { doctorId: doctor.id, specializationId: spec.id } });
        return (await doctorViews('d.id = :id', { id: doctor.id }))[0];
      }),

    /** Staff accounts (doctors and admins) with the platform accounts linked to them. */
    listUsers: (actor: Actor, role?: 'doctor' | 'admin') =>
      admin(actor, { action: 'admin.users.list' }, async () => {
        const users = await User.findAll({ where: { role: role ? [role] : ['doctor', 'admin'] }, order: [['role', 'ASC'], ['displayName', 'ASC']] });
        const links = await ChannelIdentity.findAll({ where: { userId: users.map((u) => u.id) } });
        return users.map<StaffView>((u) => ({
          id: u.id,
          role: u.role,
          email: u.email,
          name: u.displayName,
          active: u.active,
          links: links.filter((l) => l.userId === u.id).map((l) => `${l.channel}:${l.externalId}`),
        }));
      }),

    /** Links a Slack or Teams user id to the staff account with this email. */
    linkUser: (actor: Actor, channel: 'slack' | 'teams', externalId: string, email: string) =>
      admin(actor, { action: 'admin.users.link', subjectType: 'user', subjectId: `${channel}:${externalId}` }, async () => {
        if (!/^[A-Za-z0-9:_.@-]{2,200}$/.test(externalId)) throw new ValidationError('That does not look like a platform user id.');
        const user = await staffByEmail(email);
        if (user.role === 'patient') throw new ValidationError('Only doctors and admins can be linked to Slack or Teams.');
        try {
          await db.sequelize.transaction(async (transaction) => {
            await ChannelIdentity.destroy({ where: { channel, externalId }, transaction });
            await ChannelIdentity.create({ channel, externalId, userId: user.id }, { transaction });
          });
        } catch (err) {
          if (violatedConstraint(err)) throw new ValidationError('That platform user is already linked.');
          throw err;
        }
        return { id: user.id, role: user.role, email: user.email, name: user.displayName };
      }),

    changeRole: (actor: Actor, email: string, role: 'doctor' | 'admin') =>
      admin(actor, { action: 'admin.users.role', subjectType: 'user', subjectId: email }, async () => {
        const user = await staffByEmail(email);
        if (user.role === 'patient') throw new ValidationError("A patient's account cannot become staff; give the person a staff email instead.");
        if (user.id === actor.userId && role !== 'admin') throw new ValidationError('You cannot remove your own admin role.');
        await user.update({ role });
        return { email: user.email, role };
      }),

    deactivateUser: (actor: Actor, email: string) =>
      admin(actor, { action: 'admin.users.deactivate', subjectType: 'user', subjectId: email }, async () => {
        const user = await staffByEmail(email);
        if (user.id === actor.userId) throw new ValidationError('You cannot deactivate yourself.');
        await user.update({ active: false });
        return { email: user.email, active: false };
      }),

    reactivateUser: (actor: Actor, email: string) =>
      admin(actor, { action: 'admin.users.reactivate', subjectType: 'user', subjectId: email }, async () => {
        const user = await staffByEmail(email);
        await user.update({ active: true });
        return { email: user.email, active: true };
      }),

    /** Finding a patient is reading their record: audited with the patient's id. */
    findPatientByPhone: async (actor: Actor, phone: string): Promise<PatientView | null> => {
      await permit(audit, actor, { action: 'admin.patients.find', subjectType: 'patient' }, () => requireAdmin(actor, 'find a patient'));
      const e164 = normalizePhone(phone);
      const row = await guardDb(() => Patient.findOne({ where: { phoneE164: e164 } }));
      await audit.record(actor, { action: 'admin.patients.find', outcome: 'allowed', subjectType: 'patient', subjectId: row?.id, patientId: row?.id ?? null });
      return row ? toPatientView(row) : null;
    },

    /** Clears a patient's date-of-birth lock (and the misses that led to it), after staff have checked who is asking. */
    unlockVerification: (actor: Actor, phone: string) =>
      admin(actor, { action: 'admin.patients.unlock', subjectType: 'patient' }, async () => {
        const row = await Patient.findOne({ where: { phoneE164: normalizePhone(phone) } });
        if (!row) throw new NotFoundError('A patient with that phone number');
        await db.sequelize.transaction(async (transaction) => {
          // The database's clock, as the misses it makes old are stamped with it.
          await db.sequelize.query('UPDATE patients SET verification_locked_at = NULL, verification_cleared_at = now() WHERE id = :id', { replacements: { id: row.id }, transaction });
          await audit.record(actor, { action: 'patient.verify_unlocked', outcome: 'allowed', subjectType: 'patient', subjectId: row.id, patientId: row.id }, transaction);
        });
        return { wasLocked: row.verificationLockedAt !== null };
      }),

    /**
     * The audit trail, newest first, filtered: "who looked at this patient's record this month" is
     * one call. Reading entries about a patient is itself recorded against that patient.
     */
    searchAudit: async (actor: Actor, filter: AuditFilter, zone: string) => {
      const where: string[] = [];
      const replacements: Record<string, unknown> = { limit: Math.min(Math.max(filter.limit ?? 20, 1), 100) };
      let patientId: string | null = null;
      if (filter.patientPhone !== undefined) {
        const patient = await guardDb(() => Patient.findOne({ where: { phoneE164: normalizePhone(filter.patientPhone!) }, attributes: ['id'] }));
        if (!patient) throw new NotFoundError('A patient with that phone number');
        patientId = patient.id;
        where.push('a.patient_id = :patientId');
        replacements.patientId = patientId;
      }
      return admin(actor, { action: 'admin.audit.read', patientId, subjectType: patientId ? 'patient' : undefined, subjectId: patientId ?? undefined }, async () => {
        if (filter.userEmail !== undefined) {
          const user = await staffByEmail(filter.userEmail);
          where.push('a.actor_user_id = :userId');
          replacements.userId = user.id;
        }
        if (filter.action !== undefined) {
          if (!/^[a-z_.-]{2,60}$/i.test(filter.action)) throw new ValidationError('An action looks like patient.read, or patient for all of them.');
          where.push("(a.action = :action OR a.action LIKE :actionFamily)");
          replacements.action = filter.action;
          replacements.actionFamily = `${filter.action.replace(/[%_]/g, (c) => `\\${c}`)}.%`;
        }
        for (const [key, op, plusDay] of [['from', '>=', 0], ['to', '<', 1]] as const) {
          const date = filter[key];
          if (date === undefined) continue;
          const start = DateTime.fromISO(date, { zone });
          if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !start.isValid) throw new ValidationError(`${key} must be a date like 2026-11-01.`);
          where.push(`a.at ${op} :${key}`);
          replacements[key] = start.plus({ days: plusDay }).toJSDate();
        }
        return db.sequelize.query<AuditView>(
          `SELECT a.at, CASE WHEN u.role = 'patient' THEN NULL ELSE u.display_name END AS "actorName", a.actor_role AS "actorRole",
                  a.actor_user_id AS "actorUserId", a.channel, a.action, a.outcome, a.subject_type AS "subjectType", a.subject_id AS "subjectId"
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
            ORDER BY a.at DESC, a.id DESC LIMIT :limit`,
          { replacements, type: QueryTypes.SELECT },
        );
      });
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
