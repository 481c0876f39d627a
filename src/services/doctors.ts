import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { validateFullName, validateTimeZone } from '../domain/patient';
import { requireAdmin } from '../domain/policy';
import { searchTerms } from '../domain/search';
import { freeSlots, type Slot } from '../domain/slots';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { loadCalendars } from './calendar';
import { guardDb } from './db-errors';
import { requireId } from './ids';
import type { SettingsService } from './settings';
import { permit } from './permit';
import { offerStandardVisit } from './visit-types';

export interface DoctorView {
  id: string;
  fullName: string;
  timeZone: string;
  slotMinutes: number;
  active: boolean;
  specializations: string[];
}

/** What the conversation reads names against: doctors, specialties, locations and kinds of visit. */
export interface ClinicDirectory {
  /** `locationIds`: where the doctor has weekly hours. */
  doctors: Array<{ id: string; fullName: string; specializations: string[]; timeZone: string; locationIds: string[] }>;
  specialties: Array<{ name: string; keywords: string[] }>;
  locations: Array<{ id: string; name: string; address: string | null; phoneE164: string | null; timeZone: string }>;
  visitTypes: Array<{ id: string; name: string; keywords: string[]; durationMinutes: number; telehealth: boolean; doctorIds: string[]; intakeQuestions: string[] }>;
}

export interface DoctorMatch {
  doctor: DoctorView;
  nextSlots: Slot[];
}

export interface DoctorsService {
  /** By specialty, everyday word ('skin') or name; accents, case and small typos do not matter. */
  search(query: string, opts?: { limit?: number; slotsPerDoctor?: number; lookaheadDays?: number }): Promise<DoctorMatch[]>;
  get(doctorId: string): Promise<DoctorView>;
  /** Every active doctor with their specialties, and every specialty with its everyday words: what the conversation reads names against. */
  directory(): Promise<ClinicDirectory>;
  create(
    actor: Actor,
    input: { fullName: string; timeZone: string; slotMinutes?: number; specializations?: string[]; email?: string | null },
  ): Promise<DoctorView>;
}

/** How close a misspelt word must be to count (pg_trgm word_similarity, 0..1). */
const TYPO_THRESHOLD = 0.5;

export function createDoctorsService(deps: { db: Db; settings: SettingsService; audit: AuditLog; now: Clock }): DoctorsService {
  const { db } = deps;

  type DoctorWithVisit = DoctorView & {
    gridMinutes: number | null;
    defaultVisit: { durationMinutes: number; bufferBeforeMinutes: number; bufferAfterMinutes: number } | null;
  };
  const plain = ({ gridMinutes: _g, defaultVisit: _v, ...view }: DoctorWithVisit): DoctorView => view;

  async function viewsByIds(ids: string[]): Promise<DoctorWithVisit[]> {
    if (ids.length === 0) return [];
    const rows = await db.sequelize.query<DoctorWithVisit>(
      `SELECT d.id, d.full_name AS "fullName", d.time_zone AS "timeZone", d.slot_minutes AS "slotMinutes", d.active,
              coalesce(array_agg(s.name ORDER BY s.name) FILTER (WHERE s.id IS NOT NULL), '{}') AS specializations,
              d.grid_minutes AS "gridMinutes",
              (SELECT json_build_object('durationMinutes', v.duration_minutes, 'bufferBeforeMinutes', v.buffer_before_minutes, 'bufferAfterMinutes', v.buffer_after_minutes)
                 FROM visit_types v WHERE v.id = d.default_visit_type_id) AS "defaultVisit"
         FROM doctors d
         LEFT JOIN doctor_specializations ds ON ds.doctor_id = d.id
         LEFT JOIN specializations s ON s.id = ds.specialization_id
        WHERE d.id IN (:ids)
        GROUP BY d.id`,
      { replacements: { ids }, type: QueryTypes.SELECT },
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)).filter((d): d is DoctorWithVisit => d !== undefined);
  }

  return {
    search: (query, opts = {}) =>
      guardDb(async () => {
        const terms = searchTerms(String(query ?? '').slice(0, 200));
        if (terms.length === 0) return [];
        const limit = Math.min(Math.max(opts.limit ?? 5, 1), 25);
        // Terms are already lower-case letters and digits only (searchTerms), so they are safe
        // inside LIKE patterns; they still travel as bound parameters. Typo tolerance is a
        // fallback: trigram likeness on short words is loose ('heart' ~ 'headache'), so it is
        // used only when no doctor matches every word exactly.
        const find = (fuzzy: boolean) =>
          db.sequelize.query<{ id: string }>(
            // search_text: the name, specialties and keywords, folded, kept on the row by triggers
            // (migrations/2026.11.28T18.00.00.doctor-search-text.ts).
            `WITH doctor_text AS (SELECT d.id, d.full_name, d.search_text AS blob FROM doctors d WHERE d.active)
             SELECT id FROM doctor_text
              WHERE (SELECT bool_and(blob LIKE '%' || t || '%' OR (:fuzzy AND word_similarity(t, blob) >= :threshold))
                       FROM unnest(ARRAY[:terms]::text[]) AS t)
              ORDER BY (SELECT sum(word_similarity(t, blob)) FROM unnest(ARRAY[:terms]::text[]) AS t) DESC, full_name
              LIMIT :limit`,
            { replacements: { terms, limit, fuzzy, threshold: TYPO_THRESHOLD }, type: QueryTypes.SELECT },
          );
        let matches = await find(false);
        if (matches.length === 0) matches = await find(true);
        const doctors = await viewsByIds(matches.map((m) => m.id));
        const settings = await deps.settings.get();
        const now = deps.now();
        const to = now + Math.min(opts.lookaheadDays ?? 14, settings.bookingHorizonDays) * 86_400_000;
        const calendars = await loadCalendars(db, doctors.map((d) => d.id), new Date(now), new Date(to), undefined, now);
        return doctors.map((doctor) => {
          const cal = calendars.get(doctor.id)!;
          // The doctor's usual visit: their default type's length and buffers, on their grid.
          const visit = doctor.defaultVisit;
          const minutes = visit?.durationMinutes ?? doctor.slotMinutes;
          return {
            doctor: plain(doctor),
            nextSlots: freeSlots({
              zone: doctor.timeZone,
              rules: cal.rules,
              slotMinutes: minutes,
              gridMinutes: doctor.gridMinutes ?? minutes,
              bufferBeforeMinutes: visit?.bufferBeforeMinutes ?? 0,
              bufferAfterMinutes: visit?.bufferAfterMinutes ?? 0,
              busy: cal.busy,
              from: now,
              to,
              now,
              minNoticeMinutes: settings.minNoticeMinutes,
              horizonDays: settings.bookingHorizonDays,
              limit: opts.slotsPerDoctor ?? 3,
            }),
          };
        });
      }),

    directory: () =>
      guardDb(async () => {
        const doctors = await db.sequelize.query<ClinicDirectory['doctors'][number]>(
          `SELECT d.id, d.full_name AS "fullName", d.time_zone AS "timeZone",
                  coalesce(array_agg(s.name ORDER BY s.name) FILTER (WHERE s.id IS NOT NULL), '{}') AS specializations,
                  coalesce((SELECT array_agg(DISTINCT r.location_id) FROM availability_rules r WHERE r.doctor_id = d.id AND r.location_id IS NOT NULL), '{}') AS "locationIds"
             FROM doctors d
             LEFT JOIN doctor_specializations ds ON ds.doctor_id = d.id
             LEFT JOIN specializations s ON s.id = ds.specialization_id
            WHERE d.active GROUP BY d.id ORDER BY d.full_name`,
          { type: QueryTypes.SELECT },
        );
        const specialties = await db.sequelize.query<{ name: string; keywords: string[] }>('SELECT name, keywords FROM specializations ORDER BY name', { type: QueryTypes.SELECT });
        const locations = await db.sequelize.query<ClinicDirectory['locations'][number]>(
          'SELECT id, name, address, phone_e164 AS "phoneE164", time_zone AS "timeZone" FROM locations WHERE active ORDER BY name',
          { type: QueryTypes.SELECT },
        );
        const visitTypes = await db.sequelize.query<ClinicDirectory['visitTypes'][number]>(
          `SELECT v.id, v.name, v.keywords, v.duration_minutes AS "durationMinutes", v.telehealth, v.intake_questions AS "intakeQuestions",
                  coalesce(array_agg(dv.doctor_id) FILTER (WHERE dv.doctor_id IS NOT NULL), '{}') AS "doctorIds"
             FROM visit_types v LEFT JOIN doctor_visit_types dv ON dv.visit_type_id = v.id
            WHERE v.active GROUP BY v.id ORDER BY v.name`,
          { type: QueryTypes.SELECT },
        );
        return { doctors, specialties, locations, visitTypes };
      }),

    get: (doctorId) =>
      guardDb(async () => {
        const [doctor] = await viewsByIds([requireId(doctorId, 'The doctor')]);
        if (!doctor) throw new NotFoundError('The doctor');
        return plain(doctor);
      }),

    create: (actor, input) =>
      guardDb(async () => {
        await permit(deps.audit, actor, { action: 'doctor.create', subjectType: 'doctor' }, () => requireAdmin(actor, 'add a doctor'));
        const fullName = validateFullName(input.fullName);
        const timeZone = validateTimeZone(input.timeZone);
        const slotMinutes = input.slotMinutes ?? (await deps.settings.get()).defaultSlotMinutes;
        if (!Number.isInteger(slotMinutes) || slotMinutes < 5 || slotMinutes > 480) {
          throw new ValidationError('Slot length must be 5 to 480 minutes.', 'slotMinutes');
        }
        const email = input.email?.trim() || null;
        if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new ValidationError('That email does not look right.', 'email');
        const { Doctor, Specialization, DoctorSpecialization, User } = db.models;
        const id = await db.sequelize.transaction(async (transaction) => {
          if (email && (await User.count({ where: { email }, transaction }))) throw new ValidationError(`${email} already has an account.`, 'email');
          // The doctor's own login, so Slack or Teams can be linked to it by this email.
          const user = await User.create({ role: 'doctor', email, displayName: fullName }, { transaction });
          const doctor = await Doctor.create({ fullName, timeZone, slotMinutes, userId: user.id }, { transaction });
          await offerStandardVisit(db, doctor.id, slotMinutes, transaction);
          for (const name of input.specializations ?? []) {
            const clean = name.trim();
            if (!clean) continue;
            const existing = await Specialization.findOne({
              where: db.sequelize.where(db.sequelize.fn('lower', db.sequelize.col('name')), clean.toLowerCase()),
              transaction,
            });
            const spec = existing ?? (await Specialization.create({ name: clean }, { transaction }));
            await DoctorSpecialization.findOrCreate({ where: { doctorId: doctor.id, specializationId: spec.id }, transaction });
          }
          await deps.audit.record(actor, { action: 'doctor.create', outcome: 'allowed', subjectType: 'doctor', subjectId: doctor.id }, transaction);
          return doctor.id;
        });
        const [view] = await viewsByIds([id]);
        return plain(view!);
      }),
  };
}
