import type { Transaction } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Db } from './models';

/**
 * Direct inserts of whole people, for the seed, tests and benchmarks: setting up a clinic is not
 * a user action, so it goes around the services (and their audit log) on purpose.
 */

export interface HoursSpec {
  /** ISO weekdays 1..7 */
  weekdays: number[];
  start: string;
  end: string;
  /** Where these hours are worked; none for a clinic that names no locations. */
  locationId?: string | null;
}

export async function insertAdmin(db: Db, input: { name: string; email: string }, transaction?: Transaction): Promise<Actor> {
  const user = await db.models.User.create({ role: 'admin', email: input.email, displayName: input.name }, { transaction });
  return { userId: user.id, role: 'admin' };
}

export async function insertSpecialization(
  db: Db,
  name: string,
  keywords: string[] = [],
  transaction?: Transaction,
): Promise<string> {
  const [row] = await db.models.Specialization.findOrCreate({ where: { name }, defaults: { name, keywords }, transaction });
  return row.id;
}

export async function insertDoctor(
  db: Db,
  input: {
    name: string;
    timeZone: string;
    slotMinutes?: number;
    email?: string | null;
    hours?: HoursSpec[];
    specializationIds?: string[];
  },
  transaction?: Transaction,
): Promise<Actor & { doctorId: string }> {
  const { User, Doctor, AvailabilityRule, DoctorSpecialization } = db.models;
  const user = await User.create({ role: 'doctor', email: input.email ?? null, displayName: input.name }, { transaction });
  const doctor = await Doctor.create(
    { userId: user.id, fullName: input.name, timeZone: input.timeZone, slotMinutes: input.slotMinutes ?? 30 },
    { transaction },
  );
  const rules = (input.hours ?? []).flatMap((h) =>
    h.weekdays.map((weekday) => ({ doctorId: doctor.id, weekday, startTime: h.start, endTime: h.end, validFrom: null, validTo: null, locationId: h.locationId ?? null })),
  );
  if (rules.length) await AvailabilityRule.bulkCreate(rules, { transaction });
  if (input.specializationIds?.length) {
    await DoctorSpecialization.bulkCreate(
      input.specializationIds.map((specializationId) => ({ doctorId: doctor.id, specializationId })),
      { transaction },
    );
  }
  return { userId: user.id, role: 'doctor', doctorId: doctor.id };
}

export async function insertPatient(
  db: Db,
  input: { name: string; phone: string; dateOfBirth: string; timeZone: string },
  transaction?: Transaction,
): Promise<Actor & { patientId: string }> {
  const { User, Patient, ChannelIdentity } = db.models;
  const user = await User.create({ role: 'patient', email: null, displayName: input.name }, { transaction });
  const patient = await Patient.create(
    { userId: user.id, fullName: input.name, dateOfBirth: input.dateOfBirth, phoneE164: input.phone, timeZone: input.timeZone },
    { transaction },
  );
  await ChannelIdentity.create({ channel: 'sms', externalId: input.phone, userId: user.id }, { transaction });
  return { userId: user.id, role: 'patient', patientId: patient.id };
}

export async function insertLocation(
  db: Db,
  input: { name: string; address?: string | null; phone?: string | null; timeZone: string },
  transaction?: Transaction,
): Promise<string> {
  const row = await db.models.Location.create({ name: input.name, address: input.address ?? null, phoneE164: input.phone ?? null, timeZone: input.timeZone }, { transaction });
  return row.id;
}

/** A kind of visit, offered by the doctors given; the first of a doctor's kinds given as `defaultFor` becomes their default. */
export async function insertVisitType(
  db: Db,
  input: {
    name: string;
    durationMinutes: number;
    bufferBeforeMinutes?: number;
    bufferAfterMinutes?: number;
    telehealth?: boolean;
    videoUrlTemplate?: string | null;
    keywords?: string[];
    intakeQuestions?: string[];
    doctorIds?: string[];
    defaultFor?: string[];
  },
  transaction?: Transaction,
): Promise<string> {
  const { VisitType, DoctorVisitType, Doctor } = db.models;
  const row = await VisitType.create(
    {
      name: input.name,
      durationMinutes: input.durationMinutes,
      bufferBeforeMinutes: input.bufferBeforeMinutes ?? 0,
      bufferAfterMinutes: input.bufferAfterMinutes ?? 0,
      telehealth: input.telehealth ?? false,
      videoUrlTemplate: input.videoUrlTemplate ?? null,
      keywords: input.keywords ?? [],
      intakeQuestions: input.intakeQuestions ?? [],
    },
    { transaction },
  );
  if (input.doctorIds?.length) await DoctorVisitType.bulkCreate(input.doctorIds.map((doctorId) => ({ doctorId, visitTypeId: row.id })), { transaction });
  if (input.defaultFor?.length) await Doctor.update({ defaultVisitTypeId: row.id }, { where: { id: input.defaultFor }, transaction });
  return row.id;
}
