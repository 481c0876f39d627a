import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { normalizeSearchText } from '../domain/search';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { normalizePhone, validateDateOfBirth, validateFullName, validateLocale, validateTimeZone } from '../domain/patient';
import { requireActForPatient, requireReadPatient } from '../domain/policy';
import { VERIFY_RULES, verificationState, type VerificationState } from '../domain/verification';
import { Op, QueryTypes } from 'sequelize';
import type { Db, PatientRow } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb, violatedConstraint } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';

export interface PatientView {
  id: string;
  userId: string;
  fullName: string;
  dateOfBirth: string;
  phoneE164: string | null;
  preferredChannel: string;
  timeZone: string;
  smsOptOut: boolean;
  verificationLocked: boolean;
  /** The language the patient reads ('en', 'es'). */
  locale: string;
}

export interface RegisterPatientInput {
  phone: string;
  fullName: string;
  dateOfBirth: string;
  timeZone: string;
  channel?: 'sms' | 'console';
  /** The language the conversation was held in. */
  locale?: string;
}

export interface PatientsService {
  /** Self-registration from a phone number the channel has proven (Twilio's From). */
  register(input: RegisterPatientInput): Promise<PatientView>;
  get(actor: Actor, patientId: string): Promise<PatientView>;
  /**
   * A doctor's own patients (those with an appointment with them) whose name has every word given:
   * names only, for a doctor to say whom a booking is for. Audited as a search, with the count.
   */
  findForDoctor(actor: Actor, words: string): Promise<Array<{ id: string; fullName: string }>>;
  /**
   * Records an SMS opt-out or opt-in for a number (the carrier keywords STOP and START, or Twilio's
   * error 21610). No actor: the phone number itself, proven by the SMS channel, is asking.
   * Returns whether a registered patient has that number.
   */
  setSmsOptOut(phone: string, optedOut: boolean, source: 'keyword' | 'carrier'): Promise<boolean>;
  /** Whether texts may go to this number: only a registered patient who has not opted out. */
  smsStatus(phone: string): Promise<'unregistered' | 'subscribed' | 'opted-out'>;
  /** How many booked appointments are ahead for the patient with this number (0 for an unknown number). */
  upcomingCount(phone: string): Promise<number>;
  /** The language the patient with this number reads ('en' for an unknown number). */
  localeOf(phone: string): Promise<string>;
  /** Whether the date-of-birth check may be tried now (paused after a few misses, locked after many). */
  verificationState(actor: Actor): Promise<VerificationState>;
  /**
   * Checks the date of birth against the acting patient's own. A miss is audited and counted; the
   * answer says whether the check is now paused or locked (then it never says whether it matched).
   */
  checkDateOfBirth(actor: Actor, dateOfBirth: string): Promise<'ok' | 'wrong' | VerificationState>;
  updateProfile(
    actor: Actor,
    patientId: string,
    changes: Partial<Pick<PatientView, 'fullName' | 'dateOfBirth' | 'timeZone' | 'locale'>>,
  ): Promise<PatientView>;
}

export function toPatientView(row: PatientRow): PatientView {
  return {
    id: row.id,
    userId: row.userId,
    fullName: row.fullName,
    dateOfBirth: row.dateOfBirth,
    phoneE164: row.phoneE164,
    preferredChannel: row.preferredChannel,
    timeZone: row.timeZone,
    smsOptOut: row.smsOptOut,
    verificationLocked: Boolean(row.verificationLockedAt),
    locale: row.locale ?? 'en',
  };
}

export function createPatientsService(deps: { db: Db; audit: AuditLog; now: Clock }): PatientsService {
  const { db, audit } = deps;
  const { Patient, User, ChannelIdentity, Appointment } = db.models;

  /** Misses are the audit log's own entries, counted since staff last cleared the patient (the database's clock throughout). */
  async function stateOf(actor: Actor): Promise<VerificationState> {
    if (actor.role !== 'patient' || !actor.patientId) throw new ForbiddenError('verify a date of birth');
    const [row] = await db.sequelize.query<{ locked: boolean; short: string; long: string }>(
      `SELECT p.verification_locked_at IS NOT NULL AS locked,
              count(a.id) FILTER (WHERE a.at > now() - make_interval(mins => :shortMinutes)) AS short,
              count(a.id) AS long
         FROM patients p
         LEFT JOIN audit_log a ON a.patient_id = p.id AND a.action = 'patient.verify' AND a.outcome = 'denied'
              AND a.at > greatest(now() - make_interval(days => :longDays), coalesce(p.verification_cleared_at, '-infinity'))
        WHERE p.id = :id GROUP BY p.id`,
      { replacements: { id: actor.patientId, shortMinutes: VERIFY_RULES.shortWindowMinutes, longDays: VERIFY_RULES.longWindowDays }, type: QueryTypes.SELECT },
    );
    if (!row) throw new NotFoundError('The patient');
    return verificationState({ shortWindow: Number(row.short), longWindow: Number(row.long) }, row.locked);
  }

  return {
    register: (input) =>
      guardDb(async () => {
        const phone = normalizePhone(input.phone);
        const fullName = validateFullName(input.fullName);
        const dateOfBirth = validateDateOfBirth(input.dateOfBirth, deps.now());
        const timeZone = validateTimeZone(input.timeZone);
        const locale = validateLocale(input.locale ?? 'en');
        const channel = input.channel ?? 'sms';
        try {
          return await db.sequelize.transaction(async (transaction) => {
            const user = await User.create({ role: 'patient', email: null, displayName: fullName }, { transaction });
            const patient = await Patient.create(
              { userId: user.id, fullName, dateOfBirth, phoneE164: phone, timeZone, preferredChannel: 'sms', locale },
              { transaction },
            );
            // The phone number is the patient's SMS identity, whichever channel they registered on.
            await ChannelIdentity.create({ channel: 'sms', externalId: phone, userId: user.id }, { transaction });
            await audit.record(
              { userId: user.id, role: 'patient', patientId: patient.id, channel },
              { action: 'patient.register', outcome: 'allowed', subjectType: 'patient', subjectId: patient.id, patientId: patient.id },
              transaction,
            );
            return toPatientView(patient);
          });
        } catch (err) {
          const c = violatedConstraint(err);
          if (c === 'patients_phone_e164_key' || c === 'channel_identities_channel_external_id_key') {
            throw new ValidationError('That phone number is already registered.', 'phone');
          }
          throw err;
        }
      }),

    findForDoctor: (actor, words) =>
      guardDb(async () => {
        if (actor.role !== 'doctor' || !actor.doctorId) {
          await audit.record(actor, { action: 'patient.search', outcome: 'denied', subjectType: 'patient' }).catch(() => undefined);
          throw new ForbiddenError('search patients');
        }
        const terms = normalizeSearchText(words).split(' ').filter((w) => w.length >= 2).slice(0, 4);
        if (terms.length === 0) return [];
        const rows = await db.sequelize.query<{ id: string; fullName: string }>(
          `SELECT p.id, p.full_name AS "fullName" FROM patients p
            WHERE EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p.id AND a.doctor_id = :doctorId)
              AND (SELECT bool_and(unaccent(lower(p.full_name)) LIKE '%' || t || '%') FROM unnest(ARRAY[:terms]::text[]) AS t)
            ORDER BY p.full_name LIMIT 5`,
          { replacements: { doctorId: actor.doctorId, terms }, type: QueryTypes.SELECT },
        );
        await audit.record(actor, { action: 'patient.search', outcome: 'allowed', subjectType: 'patient', details: { found: rows.length } });
        return rows;
      }),

    get: (actor, patientId) =>
      guardDb(async () => {
        const id = requireId(patientId, 'The patient');
        const row = await Patient.findByPk(id);
        if (!row) throw new NotFoundError('The patient');
        const hasAppointment =
          actor.role === 'doctor' && actor.doctorId
            ? (await Appointment.count({ where: { patientId: id, doctorId: actor.doctorId } })) > 0
            : false;
        await permit(audit, actor, { action: 'patient.read', subjectType: 'patient', subjectId: id, patientId: id }, () => requireReadPatient(actor, id, hasAppointment, 'read patient details'));
        if (actor.patientId !== id) {
          await audit.record(actor, { action: 'patient.read', outcome: 'allowed', subjectType: 'patient', subjectId: id, patientId: id });
        }
        return toPatientView(row);
      }),

    setSmsOptOut: (phone, optedOut, source) =>
      guardDb(async () => {
        const row = await Patient.findOne({ where: { phoneE164: phone } });
        if (!row) return false;
        if (row.smsOptOut !== optedOut) {
          await db.sequelize.transaction(async (transaction) => {
            await row.update({ smsOptOut: optedOut, smsOptOutAt: optedOut ? new Date(deps.now()) : null }, { transaction });
            await audit.record(
              null,
              { action: optedOut ? 'patient.sms_opt_out' : 'patient.sms_opt_in', outcome: 'allowed', subjectType: 'patient', subjectId: row.id, patientId: row.id, details: { source } },
              transaction,
            );
          });
        }
        return true;
      }),

    smsStatus: (phone) =>
      guardDb(async () => {
        const row = await Patient.findOne({ where: { phoneE164: phone }, attributes: ['smsOptOut'] });
        return row === null ? 'unregistered' : row.smsOptOut ? 'opted-out' : 'subscribed';
      }),

    upcomingCount: (phone) =>
      guardDb(async () => {
        const row = await Patient.findOne({ where: { phoneE164: phone }, attributes: ['id'] });
        if (!row) return 0;
        return Appointment.count({ where: { patientId: row.id, status: 'booked', startsAt: { [Op.gt]: new Date(deps.now()) } } });
      }),

    localeOf: (phone) =>
      guardDb(async () => (await Patient.findOne({ where: { phoneE164: phone }, attributes: ['locale'] }))?.locale ?? 'en'),

    verificationState: (actor) => guardDb(() => stateOf(actor)),

    checkDateOfBirth: (actor, dateOfBirth) =>
      guardDb(async () => {
        const before = await stateOf(actor);
        if (before !== 'open') return before;
        const row = await Patient.findByPk(actor.patientId!, { attributes: ['dateOfBirth'] });
        if (row !== null && row.dateOfBirth === dateOfBirth) return 'ok';
        await audit.record(actor, { action: 'patient.verify', outcome: 'denied', subjectType: 'patient', subjectId: actor.patientId!, patientId: actor.patientId! });
        const after = await stateOf(actor);
        if (after === 'locked') {
          // Held in the patient's row: only staff clear it (the failures alone would age out).
          const [locked] = await Patient.update({ verificationLockedAt: new Date(deps.now()) }, { where: { id: actor.patientId!, verificationLockedAt: null } });
          if (locked) await audit.record(actor, { action: 'patient.verify_locked', outcome: 'denied', subjectType: 'patient', subjectId: actor.patientId!, patientId: actor.patientId! });
        }
        return after === 'open' ? 'wrong' : after;
      }),

    updateProfile: (actor, patientId, changes) =>
      guardDb(async () => {
        const id = requireId(patientId, 'The patient');
        await permit(audit, actor, { action: 'patient.update', subjectType: 'patient', subjectId: id, patientId: id }, () => requireActForPatient(actor, id, 'change patient details'));
        const update: Partial<Pick<PatientView, 'fullName' | 'dateOfBirth' | 'timeZone' | 'locale'>> = {};
        if (changes.fullName !== undefined) update.fullName = validateFullName(changes.fullName);
        if (changes.dateOfBirth !== undefined) update.dateOfBirth = validateDateOfBirth(changes.dateOfBirth, deps.now());
        if (changes.timeZone !== undefined) update.timeZone = validateTimeZone(changes.timeZone);
        if (changes.locale !== undefined) update.locale = validateLocale(changes.locale);
        if (Object.keys(update).length === 0) throw new ValidationError('Nothing to change.');
        return db.sequelize.transaction(async (transaction) => {
          const row = await Patient.findByPk(id, { transaction });
          if (!row) throw new NotFoundError('The patient');
          await row.update(update, { transaction });
          if (update.fullName) await User.update({ displayName: update.fullName }, { where: { id: row.userId }, transaction });
          await audit.record(
            actor,
            { action: 'patient.update', outcome: 'allowed', subjectType: 'patient', subjectId: id, patientId: id, details: { fields: Object.keys(update).join(',') } },
            transaction,
          );
          return toPatientView(row);
        });
      }),
  };
}
