import { Op } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { AppointmentView } from '../domain/appointment';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireManageDoctor } from '../domain/policy';
import { freeSlots, nearestFreeSlots, type Slot, type WeeklyRule } from '../domain/slots';
import { isIsoDate, parseLocalTime } from '../domain/time';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { requireId } from './ids';
import { loadDoctorCalendar } from './calendar';
import { guardDb } from './db-errors';
import type { SettingsService } from './settings';
import { toAppointmentView } from './views';
import { permit } from './permit';

export interface TimeOffView {
  id: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
}

export interface AvailabilityService {
  /** Free slots of one doctor between two instants (anyone signed in may look). */
  freeSlots(doctorId: string, from: Date, to: Date, limit?: number): Promise<Slot[]>;
  /** The free slots nearest a time the patient wanted and could not have. */
  nearestFreeSlots(doctorId: string, around: Date, count?: number): Promise<Slot[]>;
  weeklyHours(actor: Actor, doctorId: string): Promise<WeeklyRule[]>;
  setWeeklyHours(actor: Actor, doctorId: string, rules: WeeklyRule[]): Promise<WeeklyRule[]>;
  /** Blocks time; returns the booked appointments it clashes with, which stay booked until someone decides. */
  addTimeOff(
    actor: Actor,
    doctorId: string,
    input: { startsAt: Date; endsAt: Date; reason?: string | null },
  ): Promise<{ timeOff: TimeOffView; clashes: AppointmentView[] }>;
  listTimeOff(actor: Actor, doctorId: string, from: Date, to: Date): Promise<TimeOffView[]>;
  removeTimeOff(actor: Actor, timeOffId: string): Promise<void>;
}

export function createAvailabilityService(deps: {
  db: Db;
  settings: SettingsService;
  audit: AuditLog;
  now: Clock;
}): AvailabilityService {
  const { db, audit } = deps;
  const { Doctor, AvailabilityRule, TimeOff, Appointment } = db.models;

  async function activeDoctor(doctorId: string) {
    const id = requireId(doctorId, 'The doctor');
    const doctor = await Doctor.findByPk(id);
    if (!doctor) throw new NotFoundError('The doctor');
    return doctor;
  }

  async function guardManage(actor: Actor, doctorId: string, action: string) {
    await permit(audit, actor, { action, subjectType: 'doctor', subjectId: doctorId }, () => requireManageDoctor(actor, doctorId, action));
  }

  async function slotQuery(doctorId: string, from: Date, to: Date) {
    const found = await loadDoctorCalendar(db, requireId(doctorId, 'The doctor'), from, to);
    if (!found) throw new NotFoundError('The doctor');
    const { doctor, calendar } = found;
    const settings = await deps.settings.get();
    return {
      doctor,
      query: {
        zone: doctor.timeZone,
        rules: calendar.rules,
        slotMinutes: doctor.slotMinutes,
        busy: calendar.busy,
        now: deps.now(),
        minNoticeMinutes: settings.minNoticeMinutes,
        horizonDays: settings.bookingHorizonDays,
      },
    };
  }

  function toTimeOffView(row: { id: string; doctorId: string; startsAt: Date; endsAt: Date; reason: string | null }): TimeOffView {
    return { id: row.id, doctorId: row.doctorId, startsAt: row.startsAt, endsAt: row.endsAt, reason: row.reason };
  }

  return {
    freeSlots: (doctorId, from, to, limit) =>
      guardDb(async () => {
        const { doctor, query } = await slotQuery(doctorId, from, to);
        if (!doctor.active) return [];
        return freeSlots({ ...query, from: from.getTime(), to: to.getTime(), limit });
      }),

    nearestFreeSlots: (doctorId, around, count = 3) =>
      guardDb(async () => {
        const span = 7 * 86_400_000;
        const { doctor, query } = await slotQuery(doctorId, new Date(around.getTime() - span), new Date(around.getTime() + span));
        if (!doctor.active) return [];
        return nearestFreeSlots(query, around.getTime(), count);
      }),

    weeklyHours: (actor, doctorId) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'availability.read');
        const rows = await AvailabilityRule.findAll({ where: { doctorId: doctor.id }, order: [['weekday', 'ASC'], ['startTime', 'ASC']] });
        return rows.map((r) => ({
          weekday: r.weekday,
          start: r.startTime.slice(0, 5),
          end: r.endTime.slice(0, 5),
          validFrom: r.validFrom,
          validTo: r.validTo,
        }));
      }),

    setWeeklyHours: (actor, doctorId, rules) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'availability.update');
        const clean = rules.map(validateRule);
        await db.sequelize.transaction(async (transaction) => {
          await AvailabilityRule.destroy({ where: { doctorId: doctor.id }, transaction });
          await AvailabilityRule.bulkCreate(
            clean.map((r) => ({
              doctorId: doctor.id,
              weekday: r.weekday,
              startTime: r.start,
              endTime: r.end,
              validFrom: r.validFrom ?? null,
              validTo: r.validTo ?? null,
            })),
            { transaction },
          );
          await audit.record(
            actor,
            { action: 'availability.update', outcome: 'allowed', subjectType: 'doctor', subjectId: doctor.id, details: { rules: clean.length } },
            transaction,
          );
        });
        return clean;
      }),

    addTimeOff: (actor, doctorId, input) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'timeoff.create');
        const { startsAt, endsAt } = input;
        if (!(startsAt instanceof Date) || !(endsAt instanceof Date) || Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime())) {
          throw new ValidationError('I could not read those times.');
        }
        if (endsAt <= startsAt) throw new ValidationError('Time off must end after it starts.');
        if (endsAt.getTime() <= deps.now()) throw new ValidationError('That time off is already over.');
        if (endsAt.getTime() - startsAt.getTime() > 366 * 86_400_000) throw new ValidationError('Time off can be at most a year at once.');
        const reason = input.reason?.trim().slice(0, 200) || null;
        return db.sequelize.transaction(async (transaction) => {
          const row = await TimeOff.create({ doctorId: doctor.id, startsAt, endsAt, reason, createdBy: actor.userId }, { transaction });
          const clashes = await Appointment.findAll({
            where: {
              doctorId: doctor.id,
              status: 'booked',
              startsAt: { [Op.lt]: endsAt },
              endsAt: { [Op.gt]: startsAt },
            },
            order: [['startsAt', 'ASC']],
            transaction,
          });
          await audit.record(
            actor,
            { action: 'timeoff.create', outcome: 'allowed', subjectType: 'doctor', subjectId: doctor.id, details: { clashes: clashes.length } },
            transaction,
          );
          return { timeOff: toTimeOffView(row), clashes: clashes.map(toAppointmentView) };
        });
      }),

    listTimeOff: (actor, doctorId, from, to) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'timeoff.read');
        const rows = await TimeOff.findAll({
          where: { doctorId: doctor.id, startsAt: { [Op.lt]: to }, endsAt: { [Op.gt]: from } },
          order: [['startsAt', 'ASC']],
        });
        return rows.map(toTimeOffView);
      }),

    removeTimeOff: (actor, timeOffId) =>
      guardDb(async () => {
        const row = await TimeOff.findByPk(requireId(timeOffId, 'That time off'));
        if (!row) throw new NotFoundError('That time off');
        await guardManage(actor, row.doctorId, 'timeoff.delete');
        await db.sequelize.transaction(async (transaction) => {
          await row.destroy({ transaction });
          await audit.record(actor, { action: 'timeoff.delete', outcome: 'allowed', subjectType: 'doctor', subjectId: row.doctorId }, transaction);
        });
      }),
  };
}

export function validateRule(rule: WeeklyRule): WeeklyRule {
  if (!Number.isInteger(rule.weekday) || rule.weekday < 1 || rule.weekday > 7) {
    throw new ValidationError('A weekday must be 1 (Monday) to 7 (Sunday).', 'weekday');
  }
  let start: number;
  let end: number;
  try {
    start = parseLocalTime(rule.start);
    end = parseLocalTime(rule.end);
  } catch {
    throw new ValidationError('Hours must be times like 09:00 and 17:30.', 'hours');
  }
  if (end <= start) throw new ValidationError('Hours must end after they start.', 'hours');
  for (const d of [rule.validFrom, rule.validTo]) {
    if (d != null && !isIsoDate(d)) throw new ValidationError('Dates must be real dates like 2026-12-01.', 'valid');
  }
  if (rule.validFrom && rule.validTo && rule.validFrom > rule.validTo) {
    throw new ValidationError('The hours must start before they end.', 'valid');
  }
  return { weekday: rule.weekday, start: rule.start.slice(0, 5), end: rule.end.slice(0, 5), validFrom: rule.validFrom ?? null, validTo: rule.validTo ?? null };
}
