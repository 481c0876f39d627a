import { DateTime } from 'luxon';
import { Op, QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { AppointmentView } from '../domain/appointment';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireManageDoctor } from '../domain/policy';
import { freeSlots, nearestFreeSlots, workingWindows, type Slot, type WeeklyRule } from '../domain/slots';
import { isIsoDate, parseLocalTime } from '../domain/time';
import { planVisit } from '../domain/visits';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { requireId } from './ids';
import { loadDoctorCalendar, loadWeeklyRules } from './calendar';
import { guardDb } from './db-errors';
import type { SettingsService } from './settings';
import { appointmentViewColumns, toAppointmentView } from './views';
import { permit } from './permit';
import type { AppointmentEvents } from './events';

export interface TimeOffView {
  id: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
}

export interface SeriesOccurrence {
  startsAt: Date;
  free: boolean;
  alternatives: Slot[];
}

/** Which visit, and where: a booking's free times depend on both. */
export interface SlotOptions {
  visitTypeId?: string | null;
  locationId?: string | null;
}

export interface AvailabilityService {
  /** Free slots of one doctor between two instants (anyone signed in may look). */
  freeSlots(doctorId: string, from: Date, to: Date, limit?: number, options?: SlotOptions): Promise<Slot[]>;
  /** The free slots nearest a time the patient wanted and could not have. */
  nearestFreeSlots(doctorId: string, around: Date, count?: number, options?: SlotOptions): Promise<Slot[]>;
  /**
   * The occurrences of a weekly series from a first start (same wall-clock time in `zone`), each
   * with whether it is free and, when not, the nearest free times within three days.
   */
  planSeries(
    doctorId: string,
    first: Date,
    input: { occurrences: number; everyWeeks?: number; zone: string; avoid?: Array<{ start: number; end: number }> } & SlotOptions,
  ): Promise<SeriesOccurrence[]>;
  weeklyHours(actor: Actor, doctorId: string): Promise<WeeklyRule[]>;
  /**
   * Replaces the doctor's weekly hours: all of them, or with `locationId` only those at that
   * location (the rules given are placed there). A doctor is in one place at a time, so hours that
   * overlap hours at another location are refused. Returns all the doctor's hours.
   */
  setWeeklyHours(actor: Actor, doctorId: string, rules: WeeklyRule[], options?: { locationId?: string | null }): Promise<WeeklyRule[]>;
  /** Booked appointments ahead that no longer lie within the doctor's hours at their location, with the patient's name. */
  bookingsOutsideHours(actor: Actor, doctorId: string): Promise<Array<AppointmentView & { patientName: string }>>;
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
  /** Told when time opens (time off removed, hours changed), for the waitlist. */
  events?: AppointmentEvents;
}): AvailabilityService {
  const { db, audit } = deps;
  const { Doctor, AvailabilityRule, TimeOff, Appointment, Location } = db.models;

  async function activeDoctor(doctorId: string) {
    const id = requireId(doctorId, 'The doctor');
    const doctor = await Doctor.findByPk(id);
    if (!doctor) throw new NotFoundError('The doctor');
    return doctor;
  }

  async function guardManage(actor: Actor, doctorId: string, action: string) {
    await permit(audit, actor, { action, subjectType: 'doctor', subjectId: doctorId }, () => requireManageDoctor(actor, doctorId, action));
  }

  async function slotQuery(doctorId: string, from: Date, to: Date, options: SlotOptions = {}) {
    const found = await loadDoctorCalendar(db, requireId(doctorId, 'The doctor'), from, to, deps.now());
    if (!found) throw new NotFoundError('The doctor');
    const { doctor, calendar } = found;
    const plan = planVisit(doctor, doctor.visitTypes, options.visitTypeId ?? null);
    const settings = await deps.settings.get();
    return {
      doctor,
      query: {
        zone: doctor.timeZone,
        rules: calendar.rules,
        slotMinutes: plan.durationMinutes,
        gridMinutes: plan.gridMinutes,
        bufferBeforeMinutes: plan.bufferBeforeMinutes,
        bufferAfterMinutes: plan.bufferAfterMinutes,
        locationId: options.locationId ?? null,
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
    freeSlots: (doctorId, from, to, limit, options) =>
      guardDb(async () => {
        const { doctor, query } = await slotQuery(doctorId, from, to, options);
        if (!doctor.active) return [];
        return freeSlots({ ...query, from: from.getTime(), to: to.getTime(), limit });
      }),

    nearestFreeSlots: (doctorId, around, count = 3, options) =>
      guardDb(async () => {
        const span = 7 * 86_400_000;
        const { doctor, query } = await slotQuery(doctorId, new Date(around.getTime() - span), new Date(around.getTime() + span), options);
        if (!doctor.active) return [];
        return nearestFreeSlots(query, around.getTime(), count);
      }),

    planSeries: (doctorId, first, input) =>
      guardDb(async () => {
        const n = input.occurrences;
        if (!Number.isInteger(n) || n < 2 || n > 52) throw new ValidationError('A series is 2 to 52 visits.', 'occurrences');
        const every = input.everyWeeks ?? 1;
        const start = DateTime.fromJSDate(first, { zone: input.zone });
        const starts = Array.from({ length: n }, (_, i) => start.plus({ weeks: i * every }).toMillis());
        const reach = 3 * 86_400_000;
        const { doctor, query } = await slotQuery(doctorId, new Date(starts[0] - reach), new Date(starts[n - 1] + reach), input);
        if (!doctor.active) return starts.map((s) => ({ startsAt: new Date(s), free: false, alternatives: [] }));
        const avoid = input.avoid ?? [];
        const clear = (slot: Slot) => !avoid.some((b) => slot.start < b.end && b.start < slot.end);
        return starts.map((at) => {
          const [slot] = freeSlots({ ...query, from: at, to: at + 1, limit: 1 });
          const free = slot?.start === at && clear(slot);
          const alternatives = free
            ? []
            : nearestFreeSlots(query, at, 6, 3)
                .filter((s) => clear(s) && !starts.includes(s.start))
                .sort((a, b) => Math.abs(a.start - at) - Math.abs(b.start - at) || a.start - b.start)
                .slice(0, 2)
                .sort((a, b) => a.start - b.start);
          return { startsAt: new Date(at), free, alternatives };
        });
      }),

    weeklyHours: (actor, doctorId) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'availability.read');
        return sortRules((await loadWeeklyRules(db, [doctor.id])).get(doctor.id) ?? []);
      }),

    setWeeklyHours: (actor, doctorId, rules, options = {}) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'availability.update');
        const at = options.locationId ? requireId(options.locationId, 'The location') : undefined;
        if (at && !(await Location.count({ where: { id: at, active: true } }))) throw new NotFoundError('The location');
        const clean = rules.map((r) => ({ ...validateRule(r), locationId: at ?? r.locationId ?? null }));
        const saved = await db.sequelize.transaction(async (transaction) => {
          // Serialises changes to one doctor's hours, so two admins cannot interleave a replace.
          await Doctor.findByPk(doctor.id, { transaction, lock: true });
          const kept = at ? ((await loadWeeklyRules(db, [doctor.id], transaction)).get(doctor.id) ?? []).filter((r) => r.locationId !== at) : [];
          const clash = placeClash([...kept, ...clean]);
          if (clash) throw new ValidationError(`Those hours overlap the doctor's hours at another location (${clash}).`, 'hours');
          await AvailabilityRule.destroy({ where: at ? { doctorId: doctor.id, locationId: at } : { doctorId: doctor.id }, transaction });
          await AvailabilityRule.bulkCreate(
            clean.map((r) => ({
              doctorId: doctor.id,
              weekday: r.weekday,
              startTime: r.start,
              endTime: r.end,
              validFrom: r.validFrom ?? null,
              validTo: r.validTo ?? null,
              locationId: r.locationId,
            })),
            { transaction },
          );
          await audit.record(
            actor,
            { action: 'availability.update', outcome: 'allowed', subjectType: 'doctor', subjectId: doctor.id, details: { rules: clean.length, location: at ?? null } },
            transaction,
          );
          return sortRules((await loadWeeklyRules(db, [doctor.id], transaction)).get(doctor.id) ?? []);
        });
        // New hours may open times the waitlist wants: the next two weeks are looked at.
        const now = deps.now();
        await deps.events?.publish({ type: 'time-freed', doctorId: doctor.id, from: new Date(now), to: new Date(now + 14 * 86_400_000), key: `hours-${doctor.id}-${now}`, actor }).catch(() => undefined);
        return saved;
      }),

    bookingsOutsideHours: (actor, doctorId) =>
      guardDb(async () => {
        const doctor = await activeDoctor(doctorId);
        await guardManage(actor, doctor.id, 'schedule.read');
        const now = deps.now();
        const rows = await db.sequelize.query<AppointmentView & { patientName: string }>(
          `SELECT ${appointmentViewColumns('a')}, p.full_name AS "patientName"
             FROM appointments a JOIN patients p ON p.id = a.patient_id
            WHERE a.doctor_id = :id AND a.status = 'booked' AND a.starts_at > :now ORDER BY a.starts_at`,
          { replacements: { id: doctor.id, now: new Date(now) }, type: QueryTypes.SELECT },
        );
        if (rows.length === 0) return [];
        const rules = (await loadWeeklyRules(db, [doctor.id])).get(doctor.id) ?? [];
        const outside = rows.filter((a) => {
          const start = new Date(a.startsAt).getTime();
          const end = new Date(a.endsAt).getTime();
          const windows = workingWindows(rules, doctor.timeZone, start - 86_400_000, end + 86_400_000, a.locationId ?? undefined);
          return !windows.some((w) => w.start <= start && w.end >= end);
        });
        await audit.record(actor, { action: 'schedule.read', outcome: 'allowed', subjectType: 'doctor', subjectId: doctor.id, details: { outsideHours: outside.length } });
        return outside.map((a) => ({ ...a, startsAt: new Date(a.startsAt), endsAt: new Date(a.endsAt) }));
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
        await deps.events?.publish({ type: 'time-freed', doctorId: row.doctorId, from: row.startsAt, to: row.endsAt, key: `timeoff-${row.id}`, actor }).catch(() => undefined);
      }),
  };
}

function sortRules(rules: WeeklyRule[]): WeeklyRule[] {
  return rules
    .map((r) => ({ weekday: r.weekday, start: r.start, end: r.end, validFrom: r.validFrom ?? null, validTo: r.validTo ?? null, ...(r.locationId ? { locationId: r.locationId } : {}) }))
    .sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
}

/** Two rules at different places that overlap in day, time and validity, described; null when none do. */
export function placeClash(rules: readonly WeeklyRule[]): string | null {
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i];
      const b = rules[j];
      if ((a.locationId ?? null) === (b.locationId ?? null) || a.weekday !== b.weekday) continue;
      if (!(a.start < b.end && b.start < a.end)) continue;
      const aFrom = a.validFrom ?? '0000-01-01';
      const aTo = a.validTo ?? '9999-12-31';
      const bFrom = b.validFrom ?? '0000-01-01';
      const bTo = b.validTo ?? '9999-12-31';
      if (aFrom <= bTo && bFrom <= aTo) {
        const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][a.weekday - 1];
        return `${day} ${a.start}-${a.end} and ${b.start}-${b.end}`;
      }
    }
  }
  return null;
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
