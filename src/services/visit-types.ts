import { Op } from 'sequelize';
import type { Actor } from '../domain/actor';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import type { VisitType } from '../domain/visits';
import type { Db, VisitTypeRow } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb, violatedConstraint } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';

export interface VisitTypeInput {
  name: string;
  durationMinutes: number;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  telehealth?: boolean;
  videoUrlTemplate?: string | null;
  keywords?: string[];
}

export interface VisitTypesService {
  /** Active visit types, with which doctors offer them: public, so anyone may list them. */
  list(): Promise<Array<VisitType & { doctorIds: string[] }>>;
  forDoctor(doctorId: string): Promise<{ offered: VisitType[]; defaultId: string | null; gridMinutes: number | null }>;
  findByName(name: string): Promise<VisitType | null>;
  create(actor: Actor, input: VisitTypeInput): Promise<VisitType>;
  update(actor: Actor, id: string, changes: Partial<VisitTypeInput>): Promise<VisitType>;
  /** Questions asked after booking this kind of visit; each answer is optional. */
  setIntakeQuestions(actor: Actor, id: string, questions: string[]): Promise<VisitType>;
  /** Which visit types a doctor offers, and which one is theirs by default. */
  setOffered(actor: Actor, doctorId: string, visitTypeIds: string[], defaultId?: string | null): Promise<void>;
  /** The grid the doctor's start times lie on (every 10 or 15 minutes); null for the visit's own length. */
  setGrid(actor: Actor, doctorId: string, minutes: number | null): Promise<void>;
}

export function toVisitType(row: VisitTypeRow): VisitType {
  return {
    id: row.id,
    name: row.name,
    durationMinutes: row.durationMinutes,
    bufferBeforeMinutes: row.bufferBeforeMinutes,
    bufferAfterMinutes: row.bufferAfterMinutes,
    telehealth: row.telehealth,
    videoUrlTemplate: row.videoUrlTemplate ?? null,
    keywords: row.keywords ?? [],
    intakeQuestions: (row.intakeQuestions as string[]) ?? [],
  };
}

function minutes(value: unknown, field: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError(`${field} must be ${min} to ${max} minutes.`, field);
  return n;
}

function cleanKeywords(words: unknown): string[] {
  if (!Array.isArray(words)) return [];
  return [...new Set(words.map((w) => String(w).trim().toLowerCase().replace(/\s+/g, ' ')).filter((w) => w.length >= 3 && w.length <= 40))].slice(0, 20);
}

function cleanTemplate(template: unknown): string | null {
  if (template == null || template === '') return null;
  const t = String(template).trim();
  if (!/^https:\/\/[^\s]+$/.test(t) || t.length > 300) throw new ValidationError('A video link must be an https:// address.', 'videoUrlTemplate');
  return t;
}

/** Kinds of visit, their lengths and buffers, and who offers them. Admins set them up; every change is audited. */
export function createVisitTypesService(deps: { db: Db; audit: AuditLog }): VisitTypesService {
  const { db, audit } = deps;
  const { VisitType: VisitTypes, DoctorVisitType, Doctor } = db.models;

  async function admin<T>(actor: Actor, action: string, subject: { type: string; id?: string }, work: () => Promise<T>): Promise<T> {
    await permit(audit, actor, { action, subjectType: subject.type, subjectId: subject.id }, () => requireAdmin(actor, action));
    try {
      const result = await guardDb(work);
      await audit.record(actor, { action, outcome: 'allowed', subjectType: subject.type, subjectId: subject.id });
      return result;
    } catch (err) {
      const constraint = violatedConstraint(err);
      if (constraint === 'visit_types_name_unique') throw new ValidationError('There is already a visit type with that name.', 'name');
      if (constraint === 'visit_types_check') throw new ValidationError('A telehealth visit needs a video link (video=https://...).', 'videoUrlTemplate');
      throw err;
    }
  }

  return {
    list: () =>
      guardDb(async () => {
        const rows = await VisitTypes.findAll({ where: { active: true }, order: [['name', 'ASC']] });
        const links = await DoctorVisitType.findAll({ where: { visitTypeId: rows.map((r) => r.id) } });
        return rows.map((r) => ({ ...toVisitType(r), doctorIds: links.filter((l) => l.visitTypeId === r.id).map((l) => l.doctorId) }));
      }),

    forDoctor: (doctorId) =>
      guardDb(async () => {
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        const links = await DoctorVisitType.findAll({ where: { doctorId: doctor.id } });
        const rows = await VisitTypes.findAll({ where: { id: links.map((l) => l.visitTypeId), active: true }, order: [['name', 'ASC']] });
        return { offered: rows.map(toVisitType), defaultId: doctor.defaultVisitTypeId ?? null, gridMinutes: doctor.gridMinutes ?? null };
      }),

    findByName: (name) =>
      guardDb(async () => {
        const wanted = String(name).trim().toLowerCase();
        if (!wanted) return null;
        const rows = await VisitTypes.findAll({ where: { active: true } });
        const exact = rows.find((r) => r.name.toLowerCase() === wanted);
        const partial = rows.filter((r) => r.name.toLowerCase().includes(wanted));
        const found = exact ?? (partial.length === 1 ? partial[0] : undefined);
        return found ? toVisitType(found) : null;
      }),

    create: (actor, input) =>
      admin(actor, 'admin.visit-types.create', { type: 'visit_type' }, async () => {
        const name = String(input.name ?? '').trim().replace(/\s+/g, ' ');
        if (name.length < 1 || name.length > 80) throw new ValidationError('A visit type name is 1 to 80 characters.', 'name');
        const row = await VisitTypes.create({
          name,
          durationMinutes: minutes(input.durationMinutes, 'Length', 5, 480),
          bufferBeforeMinutes: minutes(input.bufferBeforeMinutes ?? 0, 'Buffer before', 0, 120),
          bufferAfterMinutes: minutes(input.bufferAfterMinutes ?? 0, 'Buffer after', 0, 120),
          telehealth: Boolean(input.telehealth),
          videoUrlTemplate: cleanTemplate(input.videoUrlTemplate),
          keywords: cleanKeywords(input.keywords),
        });
        return toVisitType(row);
      }),

    update: (actor, id, changes) =>
      admin(actor, 'admin.visit-types.update', { type: 'visit_type', id }, async () => {
        const row = await VisitTypes.findByPk(requireId(id, 'The visit type'));
        if (!row) throw new NotFoundError('The visit type');
        // A change applies to visits booked from now on; booked ones keep the length and buffers they were booked with.
        await row.update({
          ...(changes.name !== undefined ? { name: String(changes.name).trim() } : {}),
          ...(changes.durationMinutes !== undefined ? { durationMinutes: minutes(changes.durationMinutes, 'Length', 5, 480) } : {}),
          ...(changes.bufferBeforeMinutes !== undefined ? { bufferBeforeMinutes: minutes(changes.bufferBeforeMinutes, 'Buffer before', 0, 120) } : {}),
          ...(changes.bufferAfterMinutes !== undefined ? { bufferAfterMinutes: minutes(changes.bufferAfterMinutes, 'Buffer after', 0, 120) } : {}),
          ...(changes.telehealth !== undefined ? { telehealth: Boolean(changes.telehealth) } : {}),
          ...(changes.videoUrlTemplate !== undefined ? { videoUrlTemplate: cleanTemplate(changes.videoUrlTemplate) } : {}),
          ...(changes.keywords !== undefined ? { keywords: cleanKeywords(changes.keywords) } : {}),
        });
        return toVisitType(row);
      }),

    setIntakeQuestions: (actor, id, questions) =>
      admin(actor, 'admin.visit-types.intake', { type: 'visit_type', id }, async () => {
        const row = await VisitTypes.findByPk(requireId(id, 'The visit type'));
        if (!row) throw new NotFoundError('The visit type');
        const clean = questions.map((q) => String(q).trim().replace(/\s+/g, ' ')).filter(Boolean);
        if (clean.length > 5) throw new ValidationError('At most 5 intake questions per visit type.', 'intake');
        if (clean.some((q) => q.length > 140)) throw new ValidationError('Keep each question under 140 characters: it goes by SMS.', 'intake');
        await row.update({ intakeQuestions: clean });
        return toVisitType(row);
      }),

    setOffered: (actor, doctorId, visitTypeIds, defaultId) =>
      admin(actor, 'admin.visit-types.offer', { type: 'doctor', id: doctorId }, async () => {
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        const ids = [...new Set(visitTypeIds.map((v) => requireId(v, 'The visit type')))];
        if (ids.length === 0) throw new ValidationError('A doctor offers at least one visit type.', 'visitTypes');
        const found = await VisitTypes.count({ where: { id: { [Op.in]: ids }, active: true } });
        if (found !== ids.length) throw new NotFoundError('The visit type');
        const def = defaultId ?? (ids.includes(doctor.defaultVisitTypeId ?? '') ? doctor.defaultVisitTypeId : ids[0]);
        if (!def || !ids.includes(def)) throw new ValidationError('The default visit type must be one the doctor offers.', 'default');
        await db.sequelize.transaction(async (transaction) => {
          await DoctorVisitType.destroy({ where: { doctorId: doctor.id }, transaction });
          await DoctorVisitType.bulkCreate(ids.map((visitTypeId) => ({ doctorId: doctor.id, visitTypeId })), { transaction });
          await doctor.update({ defaultVisitTypeId: def }, { transaction });
        });
      }),

    setGrid: (actor, doctorId, value) =>
      admin(actor, 'admin.doctors.grid', { type: 'doctor', id: doctorId }, async () => {
        const doctor = await Doctor.findByPk(requireId(doctorId, 'The doctor'));
        if (!doctor) throw new NotFoundError('The doctor');
        await doctor.update({ gridMinutes: value == null ? null : minutes(value, 'The grid', 5, 240) });
      }),
  };
}

/**
 * The plain visit of a doctor's slot length ('Visit (30 min)'), offered by them and made their
 * default unless an admin chose another: what the migration gives existing doctors, and what a new
 * doctor or a new slot length gets, so the slot length keeps meaning what it always meant.
 */
export async function offerStandardVisit(db: Db, doctorId: string, slotMinutes: number, transaction?: import('sequelize').Transaction): Promise<void> {
  const name = `Visit (${slotMinutes} min)`;
  await db.sequelize.query(
    `WITH v AS (
       INSERT INTO visit_types (name, duration_minutes) VALUES (:name, :slotMinutes)
       ON CONFLICT ((lower(name))) DO UPDATE SET updated_at = visit_types.updated_at RETURNING id),
     link AS (INSERT INTO doctor_visit_types (doctor_id, visit_type_id) SELECT :doctorId, id FROM v ON CONFLICT DO NOTHING),
     -- The plain visit of the doctor's former slot length goes: it is this one, at its new length.
     unlink AS (DELETE FROM doctor_visit_types dv USING visit_types o
                 WHERE dv.doctor_id = :doctorId AND o.id = dv.visit_type_id AND o.name ~ '^Visit \\([0-9]+ min\\)$' AND o.id NOT IN (SELECT id FROM v))
     UPDATE doctors d SET default_visit_type_id = (SELECT id FROM v)
      WHERE d.id = :doctorId
        AND (d.default_visit_type_id IS NULL
             OR d.default_visit_type_id IN (SELECT id FROM visit_types WHERE name ~ '^Visit \\([0-9]+ min\\)$'))`,
    { replacements: { name, slotMinutes, doctorId }, transaction },
  );
}
