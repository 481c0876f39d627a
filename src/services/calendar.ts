import { QueryTypes, type Transaction } from 'sequelize';
import type { Interval, WeeklyRule } from '../domain/slots';
import type { VisitType } from '../domain/visits';
import type { Db } from '../db/models';

/**
 * Busy time is read this far either side of the asked-for span: a slot near its edge is refused
 * when its buffers (at most two hours each, by the schema) would touch something just outside.
 */
const BUFFER_REACH_MS = 2 * 3_600_000;
const widen = (from: Date, to: Date) => ({ from: new Date(from.getTime() - BUFFER_REACH_MS), to: new Date(to.getTime() + BUFFER_REACH_MS) });

/** Weekly hours with where they are worked, and that place's zone, as SQL returns them. */
export const RULE_COLUMNS = `r.weekday, r.start_time::text AS start_time, r.end_time::text AS end_time, r.valid_from::text AS valid_from,
  r.valid_to::text AS valid_to, r.location_id, l.time_zone AS location_zone`;

export interface RuleRecord {
  weekday: number;
  start_time: string;
  end_time: string;
  valid_from: string | null;
  valid_to: string | null;
  location_id: string | null;
  location_zone: string | null;
}

export function toWeeklyRule(r: RuleRecord): WeeklyRule {
  return {
    weekday: Number(r.weekday),
    start: r.start_time.slice(0, 5),
    end: r.end_time.slice(0, 5),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    locationId: r.location_id ?? null,
    zone: r.location_zone ?? null,
  };
}

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
  now: number = Date.now(),
): Promise<Map<string, DoctorCalendar>> {
  const out = new Map<string, DoctorCalendar>(doctorIds.map((id) => [id, { rules: [], busy: [] }]));
  if (doctorIds.length === 0) return out;
  const q = db.sequelize;
  const replacements = { ids: doctorIds as string[], ...widen(from, to), now: new Date(now) };

  // In turn, not in parallel: inside a transaction both run on the one connection it holds.
  const rules = await loadWeeklyRules(db, doctorIds, transaction);
  const busy = await q.query<{ doctor_id: string; s: string; e: string }>(
    `SELECT doctor_id, (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e
       FROM time_off WHERE doctor_id IN (:ids) AND starts_at < :to AND ends_at > :from
     UNION ALL
     SELECT doctor_id, (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint
       FROM external_busy WHERE doctor_id IN (:ids) AND starts_at < :to AND ends_at > :from
     UNION ALL
     SELECT doctor_id, (extract(epoch FROM occupied_from) * 1000)::bigint, (extract(epoch FROM occupied_to) * 1000)::bigint
       FROM appointments
      WHERE doctor_id IN (:ids) AND status <> 'cancelled' AND (status <> 'held' OR hold_expires_at > :now)
        AND ${OCCUPIED_OVERLAPS(':from', ':to')}`,
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
  now: number = Date.now(),
): Promise<DoctorCalendar> {
  return (await loadCalendars(db, [doctorId], from, to, transaction, now)).get(doctorId)!;
}

/** Weekly hours of several doctors, one query, by doctor id. */
export async function loadWeeklyRules(db: Db, doctorIds: readonly string[], transaction?: Transaction): Promise<Map<string, WeeklyRule[]>> {
  const out = new Map<string, WeeklyRule[]>(doctorIds.map((id) => [id, []]));
  if (doctorIds.length === 0) return out;
  const rows = await db.sequelize.query<RuleRecord & { doctor_id: string }>(
    `SELECT r.doctor_id, ${RULE_COLUMNS}
       FROM availability_rules r LEFT JOIN locations l ON l.id = r.location_id WHERE r.doctor_id IN (:ids)`,
    { replacements: { ids: doctorIds as string[] }, type: QueryTypes.SELECT, transaction },
  );
  for (const r of rows) out.get(r.doctor_id)!.push(toWeeklyRule(r));
  return out;
}

export interface CalendarDoctor {
  id: string;
  fullName: string;
  timeZone: string;
  slotMinutes: number;
  gridMinutes: number | null;
  defaultVisitTypeId: string | null;
  active: boolean;
  /** The visit types the doctor offers (active ones). */
  visitTypes: VisitType[];
}

/** The doctor's columns the slot engine and booking need, and the visit types they offer, as one JSON object. */
/**
 * An appointment's occupied time (with its buffers) overlapping [from, to), written as the range
 * the doctor exclusion constraint indexes, so the GiST index finds the few rows in the window.
 * Written as two comparisons of the columns, it found every appointment of the doctor's and
 * filtered them: a cost that grew with each booking the doctor ever had.
 */
export const OCCUPIED_OVERLAPS = (from: string, to: string) => `tstzrange(occupied_from, occupied_to, '[)') && tstzrange(${from}, ${to}, '[)')`;

export function calendarDoctorJson(idParam: string): string {
  return `(SELECT json_build_object('id', d.id, 'fullName', d.full_name, 'timeZone', d.time_zone, 'slotMinutes', d.slot_minutes,
            'gridMinutes', d.grid_minutes, 'defaultVisitTypeId', d.default_visit_type_id, 'active', d.active,
            'visitTypes', (SELECT coalesce(json_agg(json_build_object('id', v.id, 'name', v.name, 'durationMinutes', v.duration_minutes,
                 'bufferBeforeMinutes', v.buffer_before_minutes, 'bufferAfterMinutes', v.buffer_after_minutes, 'telehealth', v.telehealth,
                 'videoUrlTemplate', v.video_url_template, 'keywords', v.keywords, 'intakeQuestions', v.intake_questions) ORDER BY v.name), '[]')
               FROM doctor_visit_types dv JOIN visit_types v ON v.id = dv.visit_type_id WHERE dv.doctor_id = d.id AND v.active))
          FROM doctors d WHERE d.id = ${idParam})`;
}

export const RULES_JSON = (idParam: string) => `(SELECT coalesce(json_agg(json_build_object('weekday', r.weekday, 'start_time', r.start_time::text, 'end_time', r.end_time::text,
       'valid_from', r.valid_from::text, 'valid_to', r.valid_to::text, 'location_id', r.location_id, 'location_zone', l.time_zone)), '[]')
   FROM availability_rules r LEFT JOIN locations l ON l.id = r.location_id WHERE r.doctor_id = ${idParam})`;

/**
 * One doctor and their calendar between two instants, in one statement: the offer of times is on
 * the path of most patient messages, and each round trip to the database costs more than the rest
 * of the work (docs/performance.md). Null when there is no such doctor.
 */
export async function loadDoctorCalendar(db: Db, doctorId: string, from: Date, to: Date, now: number = Date.now()): Promise<{ doctor: CalendarDoctor; calendar: DoctorCalendar } | null> {
  const [row] = await db.read<{
    doctor: CalendarDoctor | null;
    rules: RuleRecord[];
    busy: Array<{ s: string; e: string }>;
  }>(
    `SELECT ${calendarDoctorJson(':id')} AS doctor,
            ${RULES_JSON(':id')} AS rules,
            (SELECT coalesce(json_agg(b), '[]') FROM (
               SELECT (extract(epoch FROM starts_at) * 1000)::bigint AS s, (extract(epoch FROM ends_at) * 1000)::bigint AS e
                 FROM time_off WHERE doctor_id = :id AND starts_at < :to AND ends_at > :from
               UNION ALL
               SELECT (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint
                 FROM external_busy WHERE doctor_id = :id AND starts_at < :to AND ends_at > :from
               UNION ALL
               SELECT (extract(epoch FROM occupied_from) * 1000)::bigint, (extract(epoch FROM occupied_to) * 1000)::bigint
                 FROM appointments WHERE doctor_id = :id AND status <> 'cancelled' AND (status <> 'held' OR hold_expires_at > :now)
                  AND ${OCCUPIED_OVERLAPS(':from', ':to')}) b) AS busy`,
    { id: doctorId, ...widen(from, to), now: new Date(now) },
  );
  if (!row?.doctor) return null;
  return {
    doctor: row.doctor,
    calendar: {
      rules: row.rules.map(toWeeklyRule),
      busy: row.busy.map((b) => ({ start: Number(b.s), end: Number(b.e) })),
    },
  };
}
