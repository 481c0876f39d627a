import DataLoader from 'dataloader';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Db } from '../db/models';
import { PLACE_COLUMNS, placeOf, type Place, type PlaceRecord } from '../i18n/place';

/**
 * What the reminder and notification workers read and write, in one place: the appointment as the
 * patient and doctor will hear of it, the (appointment, offset) delivery claims that make a reminder
 * go out once, the outbox of committed bookings, and the doctors' digests. Plain SQL where a join or
 * a claim (INSERT ... ON CONFLICT DO NOTHING RETURNING) says it best; models where they do.
 */
export interface ReminderTarget {
  /** Where the visit is (address and phone go in the reminder), or its video link. */
  place: Place | null;
  videoUrl: string | null;
  status: string;
  startsAt: Date;
  phone: string | null;
  fullName: string;
  zone: string;
  /** The language the patient reads. */
  locale: string;
}

export interface NotificationTarget {
  place: Place | null;
  videoUrl: string | null;
  startsAt: Date;
  endsAt: Date;
  status: string;
  patientToldAt: Date | null;
  doctorName: string;
  patientName: string;
  phone: string | null;
  patientZone: string;
  patientLocale: string;
  doctorUserId: string | null;
  doctorZone: string;
}

export interface SchedulableAppointment {
  id: string;
  startsAt: Date;
  createdAt: Date;
  zone: string;
}

export interface OutboxEntry {
  id: string;
  kind: string;
  appointmentId: string;
  payload: Record<string, unknown>;
}

export interface ReminderRepository {
  /**
   * The appointment a reminder is for, with the patient's phone, name and zone. Calls made in the
   * same tick (a worker runs many reminders at once) share one query; so do claim and markSent.
   */
  reminderTarget(appointmentId: string): Promise<ReminderTarget | null>;
  /** The appointment a notification is about, with both parties as they will hear of it. */
  notificationTarget(appointmentId: string): Promise<NotificationTarget | null>;
  /** Booked appointments to plan reminders for: one, or every one still ahead. */
  schedulable(opts: { appointmentId: string } | { after: Date }): Promise<SchedulableAppointment[]>;
  /** The (appointment, offset) pairs already sent or skipped, as 'id/offset'. */
  handled(appointmentIds: string[]): Promise<Set<string>>;
  /** Claims a reminder before sending it; false when another run already did. */
  claim(appointmentId: string, offsetMinutes: number, at: Date): Promise<boolean>;
  /** Gives a claim back (a send that may succeed on retry). */
  release(appointmentId: string, offsetMinutes: number): Promise<void>;
  markSent(appointmentId: string, offsetMinutes: number, at: Date): Promise<void>;
  markSkipped(appointmentId: string, offsetMinutes: number, reason: string): Promise<void>;
  /** A reminder that will never be sent (cancelled, too late), recorded once. */
  recordSkipped(appointmentId: string, offsetMinutes: number, reason: string): Promise<void>;
  /** The patient heard "Booked" (by text, here); the first time counts. */
  markPatientTold(appointmentId: string, at: Date): Promise<void>;
  /**
   * Runs `handle` on the oldest unrelayed outbox entries, with them locked (other relays skip them),
   * and marks them relayed in the same transaction: all of a batch, or none of it.
   */
  drainOutbox(limit: number, at: Date, handle: (entry: OutboxEntry) => Promise<void>): Promise<number>;
  /** Active doctors with an account, for the morning digest. */
  digestDoctors(): Promise<Array<{ id: string; userId: string; zone: string; fullName: string }>>;
  /** Claims a doctor's digest for their local day; false when it was already sent. */
  claimDigest(doctorId: string, localDate: string): Promise<boolean>;
  /** A doctor's booked appointments between two instants, with the patients' names. */
  dayOf(doctorId: string, from: Date, to: Date): Promise<Array<{ startsAt: Date; patientName: string; patientLocale: string }>>;
}

export function createReminderRepository(db: Db): ReminderRepository {
  const { sequelize } = db;
  const { ReminderDelivery, Appointment } = db.models;
  const select = <T extends object>(sql: string, replacements: Record<string, unknown>, transaction?: Transaction) =>
    sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  type Claim = { appointmentId: string; offsetMinutes: number; at: Date };
  const claimKey = (c: Claim) => `${c.appointmentId}/${c.offsetMinutes}`;
  // One statement for all the reminders that ask in the same tick: under a burst of due reminders
  // the database sees a few large statements instead of thousands of small ones.
  const targets = new DataLoader<string, ReminderTarget | null>(
    async (ids) => {
      const rows = await select<{ id: string; status: string; starts_at: Date; phone_e164: string | null; full_name: string; time_zone: string; locale: string } & PlaceRecord>(
        `SELECT a.id, a.status, a.starts_at, p.phone_e164, p.full_name, p.time_zone, p.locale, ${PLACE_COLUMNS}
           FROM appointments a JOIN patients p ON p.id = a.patient_id LEFT JOIN locations l ON l.id = a.location_id WHERE a.id IN (:ids)`,
        { ids: [...ids] },
      );
      const byId = new Map(
        rows.map((r) => [
          r.id,
          { status: r.status, startsAt: new Date(r.starts_at), phone: r.phone_e164, fullName: r.full_name, zone: r.time_zone, locale: r.locale, place: placeOf(r), videoUrl: r.video_url },
        ]),
      );
      return ids.map((id) => byId.get(id) ?? null);
    },
    { cache: false, maxBatchSize: 500 },
  );
  const claims = new DataLoader<Claim, boolean, string>(
    async (items) => {
      // The same reminder twice in one batch (a duplicate job): only its first asker may win.
      const first = new Map<string, number>();
      items.forEach((c, i) => first.has(claimKey(c)) || first.set(claimKey(c), i));
      const unique = [...first.values()].map((i) => items[i]);
      const rows = await select<{ appointment_id: string; offset_minutes: number }>(
        `INSERT INTO reminder_deliveries (appointment_id, offset_minutes, status, attempted_at)
         SELECT u.id, u.off, 'sending', u.at FROM unnest(ARRAY[:ids]::uuid[], ARRAY[:offsets]::int[], ARRAY[:ats]::timestamptz[]) AS u(id, off, at)
         ON CONFLICT DO NOTHING RETURNING appointment_id, offset_minutes`,
        { ids: unique.map((c) => c.appointmentId), offsets: unique.map((c) => c.offsetMinutes), ats: unique.map((c) => c.at.toISOString()) },
      );
      const won = new Set(rows.map((r) => `${r.appointment_id}/${r.offset_minutes}`));
      return items.map((c, i) => won.has(claimKey(c)) && first.get(claimKey(c)) === i);
    },
    { cache: false, maxBatchSize: 500 },
  );
  const sent = new DataLoader<Claim, true, string>(
    async (items) => {
      await sequelize.query(
        `UPDATE reminder_deliveries d SET status = 'sent', sent_at = u.at
           FROM unnest(ARRAY[:ids]::uuid[], ARRAY[:offsets]::int[], ARRAY[:ats]::timestamptz[]) AS u(id, off, at)
          WHERE d.appointment_id = u.id AND d.offset_minutes = u.off`,
        { replacements: { ids: items.map((c) => c.appointmentId), offsets: items.map((c) => c.offsetMinutes), ats: items.map((c) => c.at.toISOString()) } },
      );
      return items.map(() => true as const);
    },
    { cache: false, maxBatchSize: 500 },
  );

  return {
    reminderTarget: (appointmentId) => targets.load(appointmentId),

    async notificationTarget(appointmentId) {
      const [row] = await select<{
        starts_at: Date;
        ends_at: Date;
        status: string;
        patient_told_at: Date | null;
        patient_name: string;
        phone_e164: string | null;
        patient_zone: string;
        patient_locale: string;
        doctor_user_id: string | null;
        doctor_zone: string;
        doctor_name: string;
      } & PlaceRecord>(
        `SELECT a.starts_at, a.ends_at, a.status, a.patient_told_at, p.full_name AS patient_name, p.phone_e164, p.time_zone AS patient_zone, p.locale AS patient_locale,
                d.user_id AS doctor_user_id, d.time_zone AS doctor_zone, d.full_name AS doctor_name, ${PLACE_COLUMNS}
           FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id LEFT JOIN locations l ON l.id = a.location_id
          WHERE a.id = :id`,
        { id: appointmentId },
      );
      if (!row) return null;
      return {
        startsAt: new Date(row.starts_at),
        endsAt: new Date(row.ends_at),
        status: row.status,
        patientToldAt: row.patient_told_at,
        doctorName: row.doctor_name,
        patientName: row.patient_name,
        phone: row.phone_e164,
        patientZone: row.patient_zone,
        patientLocale: row.patient_locale,
        doctorUserId: row.doctor_user_id,
        doctorZone: row.doctor_zone,
        place: placeOf(row),
        videoUrl: row.video_url,
      };
    },

    async schedulable(opts) {
      const where = 'appointmentId' in opts ? `a.id = :id AND a.status = 'booked'` : `a.status = 'booked' AND a.starts_at > :after ORDER BY a.starts_at`;
      const rows = await select<{ id: string; starts_at: Date; created_at: Date; time_zone: string }>(
        `SELECT a.id, a.starts_at, a.created_at, p.time_zone FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE ${where}`,
        'appointmentId' in opts ? { id: opts.appointmentId } : { after: opts.after },
      );
      return rows.map((r) => ({ id: r.id, startsAt: new Date(r.starts_at), createdAt: new Date(r.created_at), zone: r.time_zone }));
    },

    async handled(appointmentIds) {
      if (appointmentIds.length === 0) return new Set();
      const rows = await ReminderDelivery.findAll({ where: { appointmentId: appointmentIds }, attributes: ['appointmentId', 'offsetMinutes'], raw: true });
      return new Set(rows.map((d) => `${d.appointmentId}/${d.offsetMinutes}`));
    },

    claim: (appointmentId, offsetMinutes, at) => claims.load({ appointmentId, offsetMinutes, at }),

    async release(appointmentId, offsetMinutes) {
      await ReminderDelivery.destroy({ where: { appointmentId, offsetMinutes, status: 'sending' } });
    },

    async markSent(appointmentId, offsetMinutes, at) {
      await sent.load({ appointmentId, offsetMinutes, at });
    },

    async markSkipped(appointmentId, offsetMinutes, reason) {
      await ReminderDelivery.update({ status: 'skipped', reason }, { where: { appointmentId, offsetMinutes } });
    },

    async recordSkipped(appointmentId, offsetMinutes, reason) {
      await sequelize.query(
        `INSERT INTO reminder_deliveries (appointment_id, offset_minutes, status, reason) VALUES (:id, :offset, 'skipped', :reason) ON CONFLICT DO NOTHING`,
        { replacements: { id: appointmentId, offset: offsetMinutes, reason } },
      );
    },

    async markPatientTold(appointmentId, at) {
      await Appointment.update({ patientToldAt: at }, { where: { id: appointmentId, patientToldAt: null } });
    },

    async drainOutbox(limit, at, handle) {
      return sequelize.transaction(async (transaction) => {
        const rows = await select<{ id: string; kind: string; appointment_id: string; payload: Record<string, unknown> }>(
          'SELECT id, kind, appointment_id, payload FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED',
          { limit },
          transaction,
        );
        for (const r of rows) await handle({ id: r.id, kind: r.kind, appointmentId: r.appointment_id, payload: r.payload ?? {} });
        if (rows.length) await db.models.Outbox.update({ relayedAt: at }, { where: { id: rows.map((r) => r.id) }, transaction });
        return rows.length;
      });
    },

    async digestDoctors() {
      const rows = await db.models.Doctor.findAll({ where: { active: true }, attributes: ['id', 'userId', 'timeZone', 'fullName'], raw: true });
      return rows.filter((d) => d.userId).map((d) => ({ id: d.id, userId: d.userId!, zone: d.timeZone, fullName: d.fullName }));
    },

    async claimDigest(doctorId, localDate) {
      // One statement, so two workers at the same minute cannot both claim the day.
      const [claim] = await select<{ ok: number }>(
        'INSERT INTO digest_deliveries (doctor_id, local_date) VALUES (:id, :date) ON CONFLICT DO NOTHING RETURNING 1 AS ok',
        { id: doctorId, date: localDate },
      );
      return Boolean(claim);
    },

    async dayOf(doctorId, from, to) {
      const rows = await select<{ starts_at: Date; full_name: string; locale: string }>(
        `SELECT a.starts_at, p.full_name, p.locale FROM appointments a JOIN patients p ON p.id = a.patient_id
          WHERE a.doctor_id = :id AND a.status = 'booked' AND a.starts_at >= :from AND a.starts_at < :to ORDER BY a.starts_at`,
        { id: doctorId, from, to },
      );
      return rows.map((r) => ({ startsAt: new Date(r.starts_at), patientName: r.full_name, patientLocale: r.locale }));
    },
  };
}

const byDb = new WeakMap<Db, ReminderRepository>();

/** The repository over a database, made once per database (the workers ask for it on every job). */
export function reminderRepository(db: Db): ReminderRepository {
  let repo = byDb.get(db);
  if (!repo) byDb.set(db, (repo = createReminderRepository(db)));
  return repo;
}
