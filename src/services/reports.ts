import { createWaitlistService, type WaitlistStats } from './waitlist';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import { ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import { mergeIntervals, workingWindows, type Interval } from '../domain/slots';
import { isIsoDate } from '../domain/time';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { loadWeeklyRules } from './calendar';
import { guardDb } from './db-errors';
import type { SettingsService } from './settings';
import { permit } from './permit';

export interface DoctorLine {
  doctorId: string;
  doctor: string;
  booked: number;
  completed: number;
  cancelled: number;
  noShow: number;
  bookedMinutes: number;
  offeredMinutes: number;
  /** booked / offered minutes, 0..1 (0 when nothing was offered). */
  utilization: number;
}

export interface ClinicReport {
  from: string;
  to: string;
  zone: string;
  totals: { appointments: number; booked: number; completed: number; cancelled: number; noShow: number };
  cancellationRate: number;
  noShowRate: number;
  utilization: number;
  byDoctor: DoctorLine[];
  bySpecialty: Array<{ specialty: string; appointments: number }>;
  byChannel: Array<{ channel: string; bookings: number }>;
  /** Appointments in the range by where they are, and by kind of visit (cancelled ones counted apart). */
  byLocation: Array<{ location: string; appointments: number; cancelled: number }>;
  byVisitType: Array<{ visitType: string; appointments: number; cancelled: number; minutes: number }>;
  /** Patients waiting now per doctor; freed times offered from the waitlist in the range and how many were taken. */
  waitlist: WaitlistStats;
  /** Bookings by the language the patient reads ('en', 'es'). */
  byLanguage: Array<{ locale: string; bookings: number }>;
  busiestHours: Array<{ weekday: number; hour: number; appointments: number }>;
}

export const MAX_REPORT_DAYS = 366;

/** Minutes of `windows` left after taking out `blocked` (both sorted and merged). */
function minutesLeft(windows: Interval[], blocked: Interval[]): number {
  let total = 0;
  for (const w of windows) {
    let free = w.end - w.start;
    for (const b of blocked) {
      const overlap = Math.min(w.end, b.end) - Math.max(w.start, b.start);
      if (overlap > 0) free -= overlap;
    }
    total += Math.max(0, free);
  }
  return Math.round(total / 60_000);
}

/**
 * The clinic's figures over a date range (inclusive local dates in the clinic's zone):
 * appointments by doctor, specialty and status, utilization (booked against offered minutes),
 * cancellations and no-shows, bookings per channel, and the busiest hours.
 */
export function createReportsService(deps: { db: Db; settings: SettingsService; audit: AuditLog }) {
  const { db } = deps;

  async function build(fromDate: string, toDate: string): Promise<ClinicReport> {
    if (!isIsoDate(fromDate) || !isIsoDate(toDate)) throw new ValidationError('Dates must be real dates like 2026-11-01.');
    if (toDate < fromDate) throw new ValidationError('The range must end on or after its start.');
    const zone = (await deps.settings.get()).timeZone;
    const from = DateTime.fromISO(fromDate, { zone }).startOf('day');
    const to = DateTime.fromISO(toDate, { zone }).plus({ days: 1 }).startOf('day');
    if (to.diff(from, 'days').days > MAX_REPORT_DAYS) throw new ValidationError(`Ask for at most ${MAX_REPORT_DAYS} days.`);
    const range = { from: from.toJSDate(), to: to.toJSDate(), zone };

    const perDoctor = await db.sequelize.query<{ id: string; name: string; time_zone: string; active: boolean; booked: string; completed: string; cancelled: string; no_show: string; minutes: string }>(
      `SELECT d.id, d.full_name AS name, d.time_zone, d.active,
              count(a.id) FILTER (WHERE a.status = 'booked') AS booked,
              count(a.id) FILTER (WHERE a.status = 'completed') AS completed,
              count(a.id) FILTER (WHERE a.status = 'cancelled') AS cancelled,
              count(a.id) FILTER (WHERE a.status = 'no_show') AS no_show,
              coalesce(sum(extract(epoch FROM a.ends_at - a.starts_at) / 60) FILTER (WHERE a.status NOT IN ('cancelled', 'held')), 0) AS minutes
         FROM doctors d
         LEFT JOIN appointments a ON a.doctor_id = d.id AND a.starts_at >= :from AND a.starts_at < :to
        GROUP BY d.id ORDER BY d.full_name`,
      { replacements: range, type: QueryTypes.SELECT },
    );

    // Offered minutes: weekly hours over the range, less time off. Booked appointments are not
    // subtracted here; they are what the offer was used for.
    const rules = await loadWeeklyRules(db, perDoctor.map((d) => d.id));
    const timeOff = await db.sequelize.query<{ doctor_id: string; s: string; e: string }>(
      `SELECT doctor_id, (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e
         FROM time_off WHERE starts_at < :to AND ends_at > :from`,
      { replacements: range, type: QueryTypes.SELECT },
    );

    const byDoctor: DoctorLine[] = perDoctor
      .map((d) => {
        const windows = workingWindows(rules.get(d.id)!, d.time_zone, from.toMillis(), to.toMillis()).map((w) => ({
          start: Math.max(w.start, from.toMillis()),
          end: Math.min(w.end, to.toMillis()),
        }));
        const blocked = mergeIntervals(timeOff.filter((t) => t.doctor_id === d.id).map((t) => ({ start: Number(t.s), end: Number(t.e) })));
        const offeredMinutes = minutesLeft(windows, blocked);
        const bookedMinutes = Math.round(Number(d.minutes));
        return {
          doctorId: d.id,
          doctor: d.name,
          booked: Number(d.booked),
          completed: Number(d.completed),
          cancelled: Number(d.cancelled),
          noShow: Number(d.no_show),
          bookedMinutes,
          offeredMinutes,
          utilization: offeredMinutes > 0 ? Math.min(1, bookedMinutes / offeredMinutes) : 0,
          active: d.active,
        };
      })
      // A deactivated doctor with nothing in the range is noise.
      .filter((d) => d.active || d.booked + d.completed + d.cancelled + d.noShow > 0)
      .map(({ active: _active, ...line }) => line);

    const bySpecialty = (
      await db.sequelize.query<{ specialty: string; appointments: string }>(
        `SELECT s.name AS specialty, count(a.id) AS appointments
           FROM specializations s
           JOIN doctor_specializations ds ON ds.specialization_id = s.id
           JOIN appointments a ON a.doctor_id = ds.doctor_id AND a.starts_at >= :from AND a.starts_at < :to AND a.status NOT IN ('cancelled', 'held')
          GROUP BY s.name ORDER BY count(a.id) DESC, s.name`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ specialty: r.specialty, appointments: Number(r.appointments) }));

    const byChannel = (
      await db.sequelize.query<{ channel: string; bookings: string }>(
        `SELECT channel, count(*) AS bookings FROM appointments
          WHERE created_at >= :from AND created_at < :to AND rescheduled_from IS NULL AND status <> 'held'
          GROUP BY channel ORDER BY count(*) DESC, channel`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ channel: r.channel, bookings: Number(r.bookings) }));

    const byLanguage = (
      await db.sequelize.query<{ locale: string; bookings: string }>(
        `SELECT p.locale, count(*) AS bookings FROM appointments a JOIN patients p ON p.id = a.patient_id
          WHERE a.created_at >= :from AND a.created_at < :to AND a.rescheduled_from IS NULL AND a.status <> 'held'
          GROUP BY p.locale ORDER BY count(*) DESC, p.locale`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ locale: r.locale, bookings: Number(r.bookings) }));

    const byLocation = (
      await db.sequelize.query<{ location: string | null; appointments: string; cancelled: string }>(
        `SELECT l.name AS location, count(*) FILTER (WHERE a.status NOT IN ('cancelled', 'held')) AS appointments, count(*) FILTER (WHERE a.status = 'cancelled') AS cancelled
           FROM appointments a LEFT JOIN locations l ON l.id = a.location_id
          WHERE a.starts_at >= :from AND a.starts_at < :to AND a.status <> 'held'
          GROUP BY l.name ORDER BY count(*) FILTER (WHERE a.status NOT IN ('cancelled', 'held')) DESC, l.name`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ location: r.location ?? 'No named place', appointments: Number(r.appointments), cancelled: Number(r.cancelled) }));

    const byVisitType = (
      await db.sequelize.query<{ visit_type: string | null; appointments: string; cancelled: string; minutes: string }>(
        `SELECT v.name AS visit_type, count(*) FILTER (WHERE a.status NOT IN ('cancelled', 'held')) AS appointments, count(*) FILTER (WHERE a.status = 'cancelled') AS cancelled,
                coalesce(sum(extract(epoch FROM a.ends_at - a.starts_at) / 60) FILTER (WHERE a.status NOT IN ('cancelled', 'held')), 0)::int AS minutes
           FROM appointments a LEFT JOIN visit_types v ON v.id = a.visit_type_id
          WHERE a.starts_at >= :from AND a.starts_at < :to AND a.status <> 'held'
          GROUP BY v.name ORDER BY count(*) FILTER (WHERE a.status NOT IN ('cancelled', 'held')) DESC, v.name`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ visitType: r.visit_type ?? 'No kind set', appointments: Number(r.appointments), cancelled: Number(r.cancelled), minutes: Number(r.minutes) }));

    const busiestHours = (
      await db.sequelize.query<{ weekday: number; hour: number; appointments: string }>(
        `SELECT extract(isodow FROM starts_at AT TIME ZONE :zone)::int AS weekday,
                extract(hour FROM starts_at AT TIME ZONE :zone)::int AS hour, count(*) AS appointments
           FROM appointments WHERE starts_at >= :from AND starts_at < :to AND status NOT IN ('cancelled', 'held')
          GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 5`,
        { replacements: range, type: QueryTypes.SELECT },
      )
    ).map((r) => ({ weekday: Number(r.weekday), hour: Number(r.hour), appointments: Number(r.appointments) }));

    const sum = (k: keyof DoctorLine) => byDoctor.reduce((n, d) => n + (d[k] as number), 0);
    const totals = { booked: sum('booked'), completed: sum('completed'), cancelled: sum('cancelled'), noShow: sum('noShow'), appointments: 0 };
    totals.appointments = totals.booked + totals.completed + totals.cancelled + totals.noShow;
    const attended = totals.completed + totals.noShow;
    const offered = sum('offeredMinutes');
    return {
      from: fromDate,
      to: toDate,
      zone,
      totals,
      cancellationRate: totals.appointments ? totals.cancelled / totals.appointments : 0,
      noShowRate: attended ? totals.noShow / attended : 0,
      utilization: offered ? Math.min(1, sum('bookedMinutes') / offered) : 0,
      byDoctor,
      bySpecialty,
      byChannel,
      byLanguage,
      byLocation,
      byVisitType,
      waitlist: await createWaitlistService({ db, audit: deps.audit, now: Date.now }).stats(range.from as Date, range.to as Date),
      busiestHours,
    };
  }

  return {
    /** For admins, through any channel; audited either way. */
    async report(actor: Actor, fromDate: string, toDate: string): Promise<ClinicReport> {
      await permit(deps.audit, actor, { action: 'reports.read' }, () => requireAdmin(actor, 'read reports'));
      const report = await guardDb(() => build(fromDate, toDate));
      await deps.audit.record(actor, { action: 'reports.read', outcome: 'allowed', details: { from: fromDate, to: toDate } });
      return report;
    },
    /** For the BI API, whose bearer token the HTTP layer has already checked; audited with no user. */
    async reportForApi(fromDate: string, toDate: string): Promise<ClinicReport> {
      const report = await guardDb(() => build(fromDate, toDate));
      await deps.audit.record(null, { action: 'reports.read', outcome: 'allowed', details: { from: fromDate, to: toDate, via: 'bi-api' } });
      return report;
    },
  };
}

export type ReportsService = ReturnType<typeof createReportsService>;
