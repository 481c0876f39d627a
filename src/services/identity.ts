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
  const { ChannelIdentity, User, Patient, Doctor } = deps.db.models;

  async function build(userId: string, channel?: Channel): Promise<Actor | null> {
    const user = await User.findByPk(userId);
    if (!user || !user.active) return null;
    const actor: Actor = { userId: user.id, role: user.role, channel };
    if (user.role === 'patient') {
      const patient = await Patient.findOne({ where: { userId: user.id }, attributes: ['id'] });
      if (!patient) return null;
      actor.patientId = patient.id;
    } else if (user.role === 'doctor') {
      const doctor = await Doctor.findOne({ where: { userId: user.id }, attributes: ['id'] });
      actor.doctorId = doctor?.id ?? null;
    }
    return actor;
  }

  return {
    actorFor: (channel, externalId) =>
      guardDb(async () => {
        const identity = await ChannelIdentity.findOne({ where: { channel, externalId } });
        return identity ? build(identity.userId, channel) : null;
      }),
    actorForUser: (userId, channel) => guardDb(async () => (isId(userId) ? build(userId, channel) : null)),
    actorForEmail: (email, channel) =>
      guardDb(async () => {
        if (typeof email !== 'string' || !email.includes('@') || email.length > 254) return null;
        // citext column: the match ignores case.
        const user = await User.findOne({ where: { email: email.trim() }, attributes: ['id'] });
        return user ? build(user.id, channel) : null;
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
        return deps.db.models.ChannelIdentity.findOne({ where: { channel, externalId } }).then((link) => (link ? build(link.userId, channel) : null));
      }),
  };
}
