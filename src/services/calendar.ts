import { QueryTypes, type Transaction } from 'sequelize';
import type { Interval, WeeklyRule } from '../domain/slots';
import type { Db } from '../db/models';

/** What the slot engine needs to know about one doctor's time between two instants. */
export interface DoctorCalendar {
  rules: WeeklyRule[];
  /** Time off and active appointments, in epoch ms. */
  busy: Interval[];
}

/**
 * Loads weekly hours, time off and active appointments of several doctors at once: two queries
 * whatever the number of doctors, so a search result with next slots stays cheap.
 */
export async function loadCalendars(
  db: Db,
  doctorIds: readonly string[],
  from: Date,
  to: Date,
  transaction?: Transaction,
): Promise<Map<string, DoctorCalendar>> {
  const out = new Map<string, DoctorCalendar>(doctorIds.map((id) => [id, { rules: [], busy: [] }]));
  if (doctorIds.length === 0) return out;
  const q = db.sequelize;
  const replacements = { ids: doctorIds as string[], from, to };

  // In turn, not in parallel: inside a transaction both run on the one connection it holds.
  const rules = await loadWeeklyRules(db, doctorIds, transaction);
  const busy = await q.query<{ doctor_id: string; s: string; e: string }>(
    `SELECT doctor_id, (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e
       FROM time_off WHERE doctor_id IN (:ids) AND starts_at < :to AND ends_at > :from
     UNION ALL
     SELECT doctor_id, (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint
       FROM appointments
      WHERE doctor_id IN (:ids) AND status <> 'cancelled' AND starts_at < :to AND ends_at > :from`,
    { replacements, type: QueryTypes.SELECT, transaction },
  );

  for (const [id, list] of rules) out.get(id)!.rules.push(...list);
  for (const b of busy) {
    out.get(b.doctor_id)!.busy.push({ start: Number(b.s), end: Number(b.e) });
  }
  return out;
}

export async function loadCalendar(
  db: Db,
  doctorId: string,
  from: Date,
  to: Date,
  transaction?: Transaction,
): Promise<DoctorCalendar> {
  return (await loadCalendars(db, [doctorId], from, to, transaction)).get(doctorId)!;
}

/** Weekly hours of several doctors, one query, by doctor id. */
export async function loadWeeklyRules(db: Db, doctorIds: readonly string[], transaction?: Transaction): Promise<Map<string, WeeklyRule[]>> {
  const out = new Map<string, WeeklyRule[]>(doctorIds.map((id) => [id, []]));
  if (doctorIds.length === 0) return out;
  const rows = await db.sequelize.query<{ doctor_id: string; weekday: number; start_time: string; end_time: string; valid_from: string | null; valid_to: string | null }>(
    `SELECT doctor_id, weekday, start_time::text, end_time::text, valid_from::text, valid_to::text
       FROM availability_rules WHERE doctor_id IN (:ids)`,
    { replacements: { ids: doctorIds as string[] }, type: QueryTypes.SELECT, transaction },
  );
  for (const r of rows) {
    out.get(r.doctor_id)!.push({ weekday: Number(r.weekday), start: r.start_time.slice(0, 5), end: r.end_time.slice(0, 5), validFrom: r.valid_from, validTo: r.valid_to });
  }
  return out;
}

export interface CalendarDoctor {
  id: string;
  fullName: string;
  timeZone: string;
  slotMinutes: number;
  active: boolean;
}

/**
 * One doctor and their calendar between two instants, in one statement: the offer of times is on
 * the path of most patient messages, and each round trip to the database costs more than the rest
 * of the work (docs/performance.md). Null when there is no such doctor.
 */
export async function loadDoctorCalendar(db: Db, doctorId: string, from: Date, to: Date): Promise<{ doctor: CalendarDoctor; calendar: DoctorCalendar } | null> {
  const [row] = await db.sequelize.query<{
    doctor: CalendarDoctor | null;
    rules: Array<{ weekday: number; start_time: string; end_time: string; valid_from: string | null; valid_to: string | null }>;
    busy: Array<{ s: string; e: string }>;
  }>(
    `SELECT (SELECT json_build_object('id', id, 'fullName', full_name, 'timeZone', time_zone, 'slotMinutes', slot_minutes, 'active', active) FROM doctors WHERE id = :id) AS doctor,
            (SELECT coalesce(json_agg(json_build_object('weekday', weekday, 'start_time', start_time::text, 'end_time', end_time::text, 'valid_from', valid_from::text, 'valid_to', valid_to::text)), '[]')
               FROM availability_rules WHERE doctor_id = :id) AS rules,
            (SELECT coalesce(json_agg(b), '[]') FROM (
               SELECT (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e
                 FROM time_off WHERE doctor_id = :id AND starts_at < :to AND ends_at > :from
               UNION ALL
               SELECT (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint
                 FROM appointments WHERE doctor_id = :id AND status <> 'cancelled' AND starts_at < :to AND ends_at > :from) b) AS busy`,
    { replacements: { id: doctorId, from, to }, type: QueryTypes.SELECT },
  );
  if (!row?.doctor) return null;
  return {
    doctor: row.doctor,
    calendar: {
      rules: row.rules.map((r) => ({ weekday: Number(r.weekday), start: r.start_time.slice(0, 5), end: r.end_time.slice(0, 5), validFrom: r.valid_from, validTo: r.valid_to })),
      busy: row.busy.map((b) => ({ start: Number(b.s), end: Number(b.e) })),
    },
  };
}
