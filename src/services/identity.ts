import { Op, QueryTypes } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb, violatedConstraint } from './db-errors';
import { isId } from './ids';
import { hashLinkCode, linkCodeLookup, linkCodeMatches, newLinkCode, normalizeLinkCode } from './link-codes';

import type { Channel, SmsStatus } from '../domain/channel';
import { permit } from './permit';

export type { Channel } from '../domain/channel';

/** How long a link code stays usable. */
export const LINK_CODE_HOURS = 24;

/**
 * Turns a channel's verified sender into an Actor from the users table. An unknown or deactivated
 * sender is null: the channel then offers registration (SMS) or asks them to see an admin.
 */
export interface IdentityService {
  actorFor(channel: Channel, externalId: string): Promise<Actor | null>;
  /**
   * The sender of an inbound message, in one query: who they are (or null), and for SMS whether
   * the number may be texted. Every inbound message asks this once.
   */
  resolve(channel: Channel, externalId: string): Promise<{ actor: Actor | null; sms: SmsStatus }>;
  actorForUser(userId: string, channel?: Channel): Promise<Actor | null>;
  /** Staff by their email (the console channel). */
  actorForEmail(email: string, channel?: Channel): Promise<Actor | null>;
  /**
   * A Slack or Teams user the platform vouches for by a verified email: when that email belongs to
   * an active doctor, the platform user is linked to them (and audited). Never an admin: an email
   * is not proof enough for that role (a link code is). Null otherwise.
   */
  linkByVerifiedEmail(channel: 'slack' | 'teams', externalId: string, email: string): Promise<Actor | null>;
  /** A one-time code that links one platform account to the staff account with this email (admins only). */
  issueLinkCode(actor: Actor | null, email: string): Promise<{ code: string; expiresAt: Date; name: string; role: string }>;
  /** Links the platform user to the code's staff account, once; null for a wrong, used or expired code. */
  redeemLinkCode(channel: 'slack' | 'teams', externalId: string, typed: string): Promise<Actor | null>;
}

export function createIdentityService(deps: { db: Db; audit: AuditLog; now?: Clock }): IdentityService {
  const { ChannelIdentity, User, LinkCode } = deps.db.models;
  const now = deps.now ?? Date.now;

  type Row = {
    id: string;
    role: Actor['role'];
    active: boolean;
    display_name: string;
    patient_id: string | null;
    patient_zone: string | null;
    patient_locale: string | null;
    sms_opt_out: boolean | null;
    doctor_id: string | null;
    doctor_zone: string | null;
  };

  /** One query for the user, their patient or doctor record, zone and name: this runs on every message. */
  async function build(where: string, replacements: Record<string, unknown>, channel?: Channel): Promise<Actor | null> {
    return actorOf(await row(where, replacements), channel);
  }

  async function row(where: string, replacements: Record<string, unknown>, from = 'users u'): Promise<Row | undefined> {
    // A prepared read: `where` and `from` are among the few constants below, never input.
    const [found] = await deps.db.read<Row>(
      `SELECT u.id, u.role, u.active, u.display_name, p.id AS patient_id, p.time_zone AS patient_zone, p.locale AS patient_locale, p.sms_opt_out,
              d.id AS doctor_id, d.time_zone AS doctor_zone
         FROM ${from} LEFT JOIN patients p ON p.user_id = u.id LEFT JOIN doctors d ON d.user_id = u.id
        WHERE ${where} LIMIT 1`,
      replacements,
    );
    return found;
  }

  function actorOf(row: Row | undefined, channel?: Channel): Actor | null {
    if (!row || !row.active) return null;
    const actor: Actor = { userId: row.id, role: row.role, channel, name: row.display_name };
    if (row.role === 'patient') {
      if (!row.patient_id) return null;
      actor.patientId = row.patient_id;
      actor.timeZone = row.patient_zone ?? undefined;
      actor.locale = row.patient_locale ?? undefined;
    } else if (row.role === 'doctor') {
      actor.doctorId = row.doctor_id;
      actor.timeZone = row.doctor_zone ?? undefined;
    }
    return actor;
  }

  const byIdentity = (channel: Channel, externalId: string) =>
    build('u.id = (SELECT user_id FROM channel_identities WHERE channel = :channel AND external_id = :externalId)', { channel, externalId: String(externalId) }, channel);

  async function link(channel: 'slack' | 'teams', externalId: string, user: { id: string; role: Actor['role'] }, by: string): Promise<void> {
    await deps.db.sequelize.transaction(async (transaction) => {
      await ChannelIdentity.findOrCreate({ where: { channel, externalId }, defaults: { channel, externalId, userId: user.id }, transaction });
      await deps.audit.record(
        { userId: user.id, role: user.role, channel },
        { action: 'identity.link', outcome: 'allowed', subjectType: 'user', subjectId: user.id, details: { channel, by } },
        transaction,
      );
    });
  }

  return {
    actorFor: (channel, externalId) => guardDb(() => byIdentity(channel, externalId)),
    resolve: (channel, externalId) =>
      guardDb(async () => {
        if (typeof externalId !== 'string' || !externalId || externalId.length > 200) return { actor: null, sms: 'unregistered' as const };
        // The console speaks as a staff email, or as a phone (a patient, as if by SMS).
        const found =
          channel === 'console' && externalId.includes('@')
            ? await row('u.email = :email', { email: externalId.trim() })
            : await row('ci.channel = :channel AND ci.external_id = :externalId', { channel: channel === 'console' ? 'sms' : channel, externalId }, 'channel_identities ci JOIN users u ON u.id = ci.user_id');
        const sms: SmsStatus = !found?.patient_id ? 'unregistered' : found.sms_opt_out ? 'opted-out' : 'subscribed';
        return { actor: actorOf(found, channel), sms };
      }),
    actorForUser: (userId, channel) => guardDb(async () => (isId(userId) ? build('u.id = :userId', { userId }, channel) : null)),
    actorForEmail: (email, channel) =>
      guardDb(async () => {
        if (typeof email !== 'string' || !email.includes('@') || email.length > 254) return null;
        // citext: the match ignores case.
        return build('u.email = :email', { email: email.trim() }, channel);
      }),

    linkByVerifiedEmail: (channel, externalId, email) =>
      guardDb(async () => {
        if (typeof email !== 'string' || !email.includes('@') || email.length > 254) return null;
        const user = await User.findOne({ where: { email: email.trim() } });
        if (!user || !user.active || user.role !== 'doctor') {
          if (user?.role === 'admin') {
            await deps.audit.record(
              { userId: user.id, role: user.role, channel },
              { action: 'identity.link', outcome: 'denied', subjectType: 'user', subjectId: user.id, details: { channel, by: 'verified-email', why: 'admins link with a code' } },
            );
          }
          return null;
        }
        await link(channel, externalId, user, 'verified-email');
        return byIdentity(channel, externalId);
      }),

    issueLinkCode: async (actor, email) => {
      // The first admin's code comes from the admin:create command on the server (actor null).
      if (actor) {
        await permit(deps.audit, actor, { action: 'identity.code', subjectType: 'user', subjectId: email }, () => requireAdmin(actor, 'issue a link code'));
      }
      return guardDb(async () => {
        const user = await User.findOne({ where: { email: String(email).trim() } });
        if (!user) throw new NotFoundError(`An account with the email ${email}`);
        if (user.role === 'patient' || !user.active) throw new ValidationError('Link codes are for active doctors and admins only.');
        const expiresAt = new Date(now() + LINK_CODE_HOURS * 3600_000);
        for (let attempt = 0; ; attempt++) {
          const code = newLinkCode();
          const normalized = normalizeLinkCode(code)!;
          const { salt, hash } = await hashLinkCode(normalized);
          try {
            await deps.db.sequelize.transaction(async (transaction) => {
              // A new code replaces any unused one for the same account.
              await LinkCode.destroy({ where: { userId: user.id, usedAt: null }, transaction });
              await LinkCode.create({ userId: user.id, lookup: linkCodeLookup(normalized), salt, codeHash: hash, expiresAt, createdBy: actor?.userId ?? null }, { transaction });
              await deps.audit.record(actor, { action: 'identity.code', outcome: 'allowed', subjectType: 'user', subjectId: user.id, details: { role: user.role } }, transaction);
            });
            return { code, expiresAt, name: user.displayName, role: user.role };
          } catch (err) {
            // Two codes sharing their first four characters: draw again.
            if (violatedConstraint(err) === 'link_codes_lookup_key' && attempt < 5) continue;
            throw err;
          }
        }
      });
    },

    redeemLinkCode: (channel, externalId, typed) =>
      guardDb(async () => {
        const normalized = normalizeLinkCode(typed);
        const refuse = async (why: string) => {
          await deps.audit.record(null, { action: 'identity.link', outcome: 'denied', details: { channel, by: 'code', why } });
          return null;
        };
        if (!normalized) return refuse('malformed');
        const row = await LinkCode.findOne({ where: { lookup: linkCodeLookup(normalized), usedAt: null, expiresAt: { [Op.gt]: new Date(now()) } } });
        if (!row || !(await linkCodeMatches(normalized, row.salt, row.codeHash))) return refuse('no such code');
        const user = await User.findByPk(row.userId);
        if (!user || !user.active || user.role === 'patient') return refuse('account not active');
        // Used exactly once, even if two people type it at the same moment.
        const [used] = await LinkCode.update({ usedAt: new Date(now()), usedBy: `${channel}:${externalId}` }, { where: { id: row.id, usedAt: null } });
        if (used !== 1) return refuse('already used');
        await ChannelIdentity.destroy({ where: { channel, externalId } });
        await link(channel, externalId, user, 'code');
        return byIdentity(channel, externalId);
      }),
  };
}
