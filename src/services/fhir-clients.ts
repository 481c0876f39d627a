import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Op } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import type { Db } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { permit } from './permit';

/**
 * Who may use the FHIR API: clients an admin registers, each with the SMART system scopes it may be
 * given (system/Slot.read, system/Appointment.write...). A client trades its id and secret for a
 * bearer token (OAuth 2 client credentials) that lives TOKEN_MINUTES. Secrets and tokens are stored
 * as SHA-256 hashes only; a revoked client's tokens stop working at once.
 */
export const FHIR_SCOPES = [
  'system/Practitioner.read',
  'system/Schedule.read',
  'system/Slot.read',
  'system/Appointment.read',
  'system/Appointment.write',
  'system/Patient.read',
] as const;
export const TOKEN_MINUTES = 15;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export interface FhirAccess {
  clientId: string;
  name: string;
  scopes: string[];
  /** Who the client acts as: the front desk's role, under an account of its own, so the audit trail names it. */
  actor: Actor;
}

export interface FhirClientsService {
  register(actor: Actor, name: string, scopes: string[]): Promise<{ clientId: string; secret: string; scopes: string[] }>;
  list(actor: Actor): Promise<Array<{ clientId: string; name: string; scopes: string[]; revoked: boolean }>>;
  revoke(actor: Actor, clientId: string): Promise<void>;
  /** Client credentials for a token, with the scopes asked for (all the client's when none); null when refused. */
  issueToken(clientId: string, secret: string, scope?: string | null): Promise<{ token: string; scopes: string[]; expiresIn: number } | null>;
  /** The client behind a bearer token, while it is valid. */
  authenticate(token: string): Promise<FhirAccess | null>;
}

export function createFhirClientsService(deps: { db: Db; audit: AuditLog; now: Clock }): FhirClientsService {
  const { db, audit } = deps;
  const { FhirClient, FhirToken } = db.models;

  const admin = async (actor: Actor, action: string) => permit(audit, actor, { action, subjectType: 'fhir_client' }, () => requireAdmin(actor, action));

  return {
    register: (actor, name, scopes) =>
      guardDb(async () => {
        await admin(actor, 'admin.fhir-clients.create');
        const clean = String(name ?? '').trim();
        if (clean.length < 1 || clean.length > 80) throw new ValidationError('A client name is 1 to 80 characters.', 'name');
        const wanted = [...new Set(scopes.map((s) => s.trim()).filter(Boolean))];
        const unknown = wanted.filter((s) => !(FHIR_SCOPES as readonly string[]).includes(s));
        if (wanted.length === 0 || unknown.length) throw new ValidationError(`Scopes are some of: ${FHIR_SCOPES.join(' ')}.`, 'scopes');
        const clientId = `cc-${randomBytes(9).toString('base64url')}`;
        const secret = randomBytes(32).toString('base64url');
        await db.sequelize.transaction(async (transaction) => {
          const user = await db.models.User.create({ role: 'admin', email: null, displayName: `FHIR client: ${clean}` }, { transaction });
          await FhirClient.create({ name: clean, clientId, secretHash: sha(secret), scopes: wanted, userId: user.id, createdBy: actor.userId ?? null }, { transaction });
        });
        await audit.record(actor, { action: 'admin.fhir-clients.create', outcome: 'allowed', subjectType: 'fhir_client', subjectId: clientId, details: { scopes: wanted.join(' ') } });
        return { clientId, secret, scopes: wanted };
      }),

    list: (actor) =>
      guardDb(async () => {
        await admin(actor, 'admin.fhir-clients.list');
        const rows = await FhirClient.findAll({ order: [['createdAt', 'ASC']] });
        return rows.map((r) => ({ clientId: r.clientId, name: r.name, scopes: r.scopes, revoked: Boolean(r.revokedAt) }));
      }),

    revoke: (actor, clientId) =>
      guardDb(async () => {
        await admin(actor, 'admin.fhir-clients.revoke');
        const row = await FhirClient.findOne({ where: { clientId: String(clientId), revokedAt: null } });
        if (!row) throw new NotFoundError('That FHIR client');
        await db.sequelize.transaction(async (transaction) => {
          await row.update({ revokedAt: new Date(deps.now()) }, { transaction });
          await db.models.User.update({ active: false }, { where: { id: row.userId }, transaction });
          await FhirToken.destroy({ where: { clientId: row.id }, transaction });
        });
        await audit.record(actor, { action: 'admin.fhir-clients.revoke', outcome: 'allowed', subjectType: 'fhir_client', subjectId: row.clientId });
      }),

    issueToken: (clientId, secret, scope) =>
      guardDb(async () => {
        const row = await FhirClient.findOne({ where: { clientId: String(clientId ?? ''), revokedAt: null } });
        const given = Buffer.from(sha(String(secret ?? '')));
        // The same work whether or not the client exists: no telling which ids are real.
        const ok = Boolean(row) && timingSafeEqual(given, Buffer.from(row?.secretHash ?? sha('')));
        if (!row || !ok) {
          await audit.record(null, { action: 'fhir.token', outcome: 'denied', subjectType: 'fhir_client', subjectId: String(clientId ?? '').slice(0, 40) });
          return null;
        }
        const asked = scope ? String(scope).split(/\s+/).filter(Boolean) : row.scopes;
        if (asked.some((s) => !row.scopes.includes(s))) return null;
        const token = randomBytes(32).toString('base64url');
        await FhirToken.destroy({ where: { expiresAt: { [Op.lt]: new Date(deps.now()) } } });
        await FhirToken.create({ tokenHash: sha(token), clientId: row.id, scopes: asked, expiresAt: new Date(deps.now() + TOKEN_MINUTES * 60_000) });
        await audit.record(null, { action: 'fhir.token', outcome: 'allowed', subjectType: 'fhir_client', subjectId: row.clientId, details: { scopes: asked.join(' ') } });
        return { token, scopes: asked, expiresIn: TOKEN_MINUTES * 60 };
      }),

    authenticate: (token) =>
      guardDb(async () => {
        if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
        const row = await FhirToken.findOne({ where: { tokenHash: sha(token), expiresAt: { [Op.gt]: new Date(deps.now()) } } });
        if (!row) return null;
        const client = await FhirClient.findOne({ where: { id: row.clientId, revokedAt: null } });
        return client ? { clientId: client.clientId, name: client.name, scopes: row.scopes, actor: { userId: client.userId, role: 'admin', channel: 'fhir', name: client.name } } : null;
      }),
  };
}
