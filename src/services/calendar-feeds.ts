import { createHash, randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError } from '../domain/errors';
import { requireManageDoctor } from '../domain/policy';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { requireId } from './ids';
import { permit } from './permit';

/** One appointment as a doctor's calendar shows it: the time, where, what kind; a name only if they chose. */
export interface FeedEvent {
  id: string;
  startsAt: Date;
  endsAt: Date;
  summary: string;
  location: string | null;
  status: 'booked' | 'completed' | 'no_show';
  /** When the appointment last changed: the event's DTSTAMP, so an unchanged feed reads the same. */
  updatedAt: Date;
}

export interface Feed {
  doctorName: string;
  timeZone: string;
  events: FeedEvent[];
}

export interface CalendarFeedsService {
  /** A new private address for the doctor's calendar (any earlier one stops working). The secret is returned once. */
  create(actor: Actor, doctorId: string, opts?: { showNames?: boolean }): Promise<{ token: string }>;
  /** Ends the doctor's feed; true when there was one. */
  revoke(actor: Actor, doctorId: string): Promise<boolean>;
  /** The feed behind a secret, or null (unknown, revoked). From 30 days back to 180 ahead. */
  read(token: string): Promise<Feed | null>;
}

/** Feed secrets: 24 random bytes, base64url. Only their SHA-256 is stored. */
export const FEED_TOKEN = /^[A-Za-z0-9_-]{32}$/;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export function createCalendarFeedsService(deps: { db: Db; audit: AuditLog; now: Clock }): CalendarFeedsService {
  const { db, audit } = deps;

  async function manage(actor: Actor, doctorId: string, action: string): Promise<string> {
    const id = requireId(doctorId, 'The doctor');
    await permit(audit, actor, { action, subjectType: 'doctor', subjectId: id }, () => requireManageDoctor(actor, id, action));
    if (!(await db.models.Doctor.count({ where: { id } }))) throw new NotFoundError('The doctor');
    return id;
  }

  return {
    create: (actor, doctorId, opts = {}) =>
      guardDb(async () => {
        const id = await manage(actor, doctorId, 'calendar.feed.create');
        const token = randomBytes(24).toString('base64url');
        await db.sequelize.transaction(async (transaction) => {
          await db.models.CalendarFeed.update({ revokedAt: new Date(deps.now()) }, { where: { doctorId: id, revokedAt: null }, transaction });
          await db.models.CalendarFeed.create({ doctorId: id, tokenHash: hash(token), showNames: Boolean(opts.showNames), createdBy: actor.userId ?? null }, { transaction });
          await audit.record(actor, { action: 'calendar.feed.create', outcome: 'allowed', subjectType: 'doctor', subjectId: id, details: { showNames: Boolean(opts.showNames) } }, transaction);
        });
        return { token };
      }),

    revoke: (actor, doctorId) =>
      guardDb(async () => {
        const id = await manage(actor, doctorId, 'calendar.feed.revoke');
        const [count] = await db.models.CalendarFeed.update({ revokedAt: new Date(deps.now()) }, { where: { doctorId: id, revokedAt: null } });
        await audit.record(actor, { action: 'calendar.feed.revoke', outcome: 'allowed', subjectType: 'doctor', subjectId: id });
        return count > 0;
      }),

    read: (token) =>
      guardDb(async () => {
        if (!FEED_TOKEN.test(token)) return null;
        const [feed] = await db.sequelize.query<{ doctor_id: string; show_names: boolean; full_name: string; time_zone: string }>(
          `SELECT f.doctor_id, f.show_names, d.full_name, d.time_zone FROM calendar_feeds f JOIN doctors d ON d.id = f.doctor_id
            WHERE f.token_hash = :hash AND f.revoked_at IS NULL`,
          { replacements: { hash: hash(token) }, type: QueryTypes.SELECT },
        );
        if (!feed) return null;
        const now = deps.now();
        const rows = await db.sequelize.query<{ id: string; starts_at: Date; ends_at: Date; status: FeedEvent['status']; updated_at: Date; patient_name: string; visit: string | null; place: string | null; address: string | null; patient_id: string }>(
          `SELECT a.id, a.starts_at, a.ends_at, a.status, a.updated_at, p.full_name AS patient_name, a.patient_id, v.name AS visit, l.name AS place, l.address
             FROM appointments a JOIN patients p ON p.id = a.patient_id
             LEFT JOIN visit_types v ON v.id = a.visit_type_id LEFT JOIN locations l ON l.id = a.location_id
            WHERE a.doctor_id = :doctorId AND a.status IN ('booked', 'completed', 'no_show') AND a.starts_at >= :from AND a.starts_at < :to
            ORDER BY a.starts_at LIMIT 5000`,
          { replacements: { doctorId: feed.doctor_id, from: new Date(now - 30 * 86_400_000), to: new Date(now + 180 * 86_400_000) }, type: QueryTypes.SELECT },
        );
        // Names are patient data leaving the service: that read is recorded, as any other.
        if (feed.show_names && rows.length) {
          await audit.record(null, { action: 'calendar.feed.read', outcome: 'allowed', subjectType: 'doctor', subjectId: feed.doctor_id, details: { appointments: rows.length, names: true } });
        }
        return {
          doctorName: feed.full_name,
          timeZone: feed.time_zone,
          events: rows.map((r) => ({
            id: r.id,
            startsAt: new Date(r.starts_at),
            endsAt: new Date(r.ends_at),
            summary: feed.show_names ? r.patient_name : r.visit && !/^Visit \(\d+ min\)$/.test(r.visit) ? r.visit : 'Appointment',
            location: r.place ? [r.place, r.address].filter(Boolean).join(', ') : null,
            status: r.status,
            updatedAt: new Date(r.updated_at),
          })),
        };
      }),
  };
}
