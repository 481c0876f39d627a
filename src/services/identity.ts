import { QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { isId } from './ids';

export type Channel = 'sms' | 'slack' | 'teams' | 'console';

/**
 * Turns a channel's verified sender into an Actor from the users table. An unknown or deactivated
 * sender is null: the channel then offers registration (SMS) or asks them to see an admin.
 */
export interface IdentityService {
  actorFor(channel: Channel, externalId: string): Promise<Actor | null>;
  actorForUser(userId: string, channel?: Channel): Promise<Actor | null>;
  /** Staff by their email (the console channel, and platform profiles whose email is verified). */
  actorForEmail(email: string, channel?: Channel): Promise<Actor | null>;
  /**
   * A Slack or Teams user the platform vouches for by a verified email: when that email belongs to
   * an active doctor or admin, the platform user is linked to them (and audited). Null otherwise.
   */
  linkByVerifiedEmail(channel: 'slack' | 'teams', externalId: string, email: string): Promise<Actor | null>;
}

export function createIdentityService(deps: { db: Db; audit: AuditLog }): IdentityService {
  const { ChannelIdentity, User } = deps.db.models;

  type Row = { id: string; role: Actor['role']; active: boolean; display_name: string; patient_id: string | null; patient_zone: string | null; doctor_id: string | null; doctor_zone: string | null };

  /** One query for the user, their patient or doctor record, zone and name: this runs on every message. */
  async function build(where: string, replacements: Record<string, unknown>, channel?: Channel): Promise<Actor | null> {
    const [row] = await deps.db.sequelize.query<Row>(
      `SELECT u.id, u.role, u.active, u.display_name, p.id AS patient_id, p.time_zone AS patient_zone, d.id AS doctor_id, d.time_zone AS doctor_zone
         FROM users u LEFT JOIN patients p ON p.user_id = u.id LEFT JOIN doctors d ON d.user_id = u.id
        WHERE ${where} LIMIT 1`,
      { replacements, type: QueryTypes.SELECT },
    );
    if (!row || !row.active) return null;
    const actor: Actor = { userId: row.id, role: row.role, channel, name: row.display_name };
    if (row.role === 'patient') {
      if (!row.patient_id) return null;
      actor.patientId = row.patient_id;
      actor.timeZone = row.patient_zone ?? undefined;
    } else if (row.role === 'doctor') {
      actor.doctorId = row.doctor_id;
      actor.timeZone = row.doctor_zone ?? undefined;
    }
    return actor;
  }

  return {
    actorFor: (channel, externalId) =>
      guardDb(() =>
        build('u.id = (SELECT user_id FROM channel_identities WHERE channel = :channel AND external_id = :externalId)', { channel, externalId: String(externalId) }, channel),
      ),
    actorForUser: (userId, channel) => guardDb(async () => (isId(userId) ? build('u.id = :userId', { userId }, channel) : null)),
    actorForEmail: (email, channel) =>
      guardDb(async () => {
        if (typeof email !== 'string' || !email.includes('@') || email.length > 254) return null;
        // citext column: the match ignores case.
        // citext: the match ignores case.
        return build('u.email = :email', { email: email.trim() }, channel);
      }),
    linkByVerifiedEmail: (channel, externalId, email) =>
      guardDb(async () => {
        if (typeof email !== 'string' || !email.includes('@') || email.length > 254) return null;
        const user = await User.findOne({ where: { email: email.trim() } });
        if (!user || !user.active || user.role === 'patient') return null;
        await deps.db.sequelize.transaction(async (transaction) => {
          await ChannelIdentity.findOrCreate({ where: { channel, externalId }, defaults: { channel, externalId, userId: user.id }, transaction });
          await deps.audit.record(
            { userId: user.id, role: user.role, channel },
            { action: 'identity.link', outcome: 'allowed', subjectType: 'user', subjectId: user.id, details: { channel, by: 'verified-email' } },
            transaction,
          );
        });
        return build('u.id = (SELECT user_id FROM channel_identities WHERE channel = :channel AND external_id = :externalId)', { channel, externalId }, channel);
      }),
  };
}
