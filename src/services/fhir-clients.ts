import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { Op, QueryTypes, UniqueConstraintError } from 'sequelize';
import type { Actor } from '../domain/actor';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import { requireAdmin } from '../domain/policy';
import type { Db, FhirClientRow } from '../db/models';
import type { AuditLog } from './audit';
import { guardDb } from './db-errors';
import { permit } from './permit';

/**
 * Who may use the FHIR API: clients an admin registers, each with the SMART system scopes it may be
 * given (system/Slot.read, system/Appointment.write, system/*.read...). A client trades its
 * credentials for a bearer token (OAuth 2 client credentials) that lives TOKEN_MINUTES: a secret,
 * or, in the SMART Backend Services manner, a JWT it signs with a key published at its JWKS
 * address. Secrets and tokens are stored as SHA-256 hashes only; a revoked client's tokens stop
 * working at once.
 */
export const FHIR_SCOPES = [
  'system/Practitioner.read',
  'system/PractitionerRole.read',
  'system/Location.read',
  'system/HealthcareService.read',
  'system/Schedule.read',
  'system/Slot.read',
  'system/Appointment.read',
  'system/Appointment.write',
  'system/Patient.read',
  'system/*.read',
  'system/*.write',
  'system/*.*',
] as const;
export const TOKEN_MINUTES = 15;
/** SMART: an assertion expires no more than five minutes after it is made. */
const ASSERTION_MAX_SECONDS = 300;
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256'] as const;
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Whether granted scopes cover one needed scope: exactly, or by a wildcard for the resource or the verb. */
export function scopeAllows(granted: readonly string[], needed: string): boolean {
  const m = /^system\/([A-Za-z]+)\.(read|write)$/.exec(needed);
  if (!m) return false;
  const [, type, verb] = m;
  return granted.some((g) => g === needed || g === `system/*.${verb}` || g === `system/${type}.*` || g === 'system/*.*');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export interface FhirAccess {
  clientId: string;
  name: string;
  scopes: string[];
  /** Who the client acts as: the front desk's role, under an account of its own, so the audit trail names it. */
  actor: Actor;
}

export interface FhirClientsService {
  /** A client with a secret (shown once), or with `jwksUrl` one that signs JWT assertions and has no secret. */
  register(actor: Actor, name: string, scopes: string[], options?: { jwksUrl?: string | null }): Promise<{ clientId: string; secret: string | null; scopes: string[] }>;
  list(actor: Actor): Promise<Array<{ clientId: string; name: string; scopes: string[]; revoked: boolean; jwksUrl: string | null }>>;
  revoke(actor: Actor, clientId: string): Promise<void>;
  /** Client credentials for a token, with the scopes asked for (all the client's when none); null when refused. */
  issueToken(clientId: string, secret: string, scope?: string | null): Promise<IssuedToken | null>;
  /**
   * SMART Backend Services: a JWT the client signed (iss = sub = its client id, aud = the token
   * address, a jti never used before, expiring within five minutes), checked against its JWKS.
   */
  issueTokenForAssertion(assertion: string, audience: string, scope?: string | null): Promise<IssuedToken | null>;
  /** The client behind a bearer token, while it is valid. */
  authenticate(token: string): Promise<FhirAccess | null>;
}

export interface IssuedToken {
  token: string;
  scopes: string[];
  expiresIn: number;
}

export function createFhirClientsService(deps: { db: Db; audit: AuditLog; now: Clock }): FhirClientsService {
  const { db, audit } = deps;
  const { FhirClient, FhirToken, FhirAssertion } = db.models;
  // jose caches each client's keys and refetches on an unknown key id (a rotated key).
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keysOf = (url: string) => {
    if (!keySets.has(url)) keySets.set(url, createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 }));
    return keySets.get(url)!;
  };

  async function issue(row: FhirClientRow, scope: string | null | undefined): Promise<IssuedToken | null> {
    const asked = scope ? String(scope).split(/\s+/).filter(Boolean) : row.scopes;
    if (asked.length === 0 || asked.some((s) => !row.scopes.includes(s) && !scopeAllows(row.scopes, s))) return null;
    const token = randomBytes(32).toString('base64url');
    await FhirToken.destroy({ where: { expiresAt: { [Op.lt]: new Date(deps.now()) } } });
    await FhirToken.create({ tokenHash: sha(token), clientId: row.id, scopes: asked, expiresAt: new Date(deps.now() + TOKEN_MINUTES * 60_000) });
    await audit.record(null, { action: 'fhir.token', outcome: 'allowed', subjectType: 'fhir_client', subjectId: row.clientId, details: { scopes: asked.join(' ') } });
    return { token, scopes: asked, expiresIn: TOKEN_MINUTES * 60 };
  }

  const refuse = async (clientId: unknown, why: string) => {
    await audit.record(null, { action: 'fhir.token', outcome: 'denied', subjectType: 'fhir_client', subjectId: String(clientId ?? '').slice(0, 40), details: { why } });
    return null;
  };

  const admin = async (actor: Actor, action: string) => permit(audit, actor, { action, subjectType: 'fhir_client' }, () => requireAdmin(actor, action));

  return {
    register: (actor, name, scopes, options = {}) =>
      guardDb(async () => {
        await admin(actor, 'admin.fhir-clients.create');
        const clean = String(name ?? '').trim();
        if (clean.length < 1 || clean.length > 80) throw new ValidationError('A client name is 1 to 80 characters.', 'name');
        const wanted = [...new Set(scopes.map((s) => s.trim()).filter(Boolean))];
        const unknown = wanted.filter((s) => !(FHIR_SCOPES as readonly string[]).includes(s));
        if (wanted.length === 0 || unknown.length) throw new ValidationError(`Scopes are some of: ${FHIR_SCOPES.join(' ')}.`, 'scopes');
        const jwksUrl = options.jwksUrl ? String(options.jwksUrl).trim() : null;
        if (jwksUrl !== null && !isHttpsUrl(jwksUrl)) throw new ValidationError('The JWKS address must be an https:// URL.', 'jwks');
        const clientId = `cc-${randomBytes(9).toString('base64url')}`;
        // A client that signs its assertions has no secret at all: nothing to leak.
        const secret = jwksUrl ? null : randomBytes(32).toString('base64url');
        await db.sequelize.transaction(async (transaction) => {
          const user = await db.models.User.create({ role: 'admin', email: null, displayName: `FHIR client: ${clean}` }, { transaction });
          await FhirClient.create({ name: clean, clientId, secretHash: secret ? sha(secret) : null, jwksUrl, scopes: wanted, userId: user.id, createdBy: actor.userId ?? null }, { transaction });
        });
        await audit.record(actor, { action: 'admin.fhir-clients.create', outcome: 'allowed', subjectType: 'fhir_client', subjectId: clientId, details: { scopes: wanted.join(' ') } });
        return { clientId, secret, scopes: wanted };
      }),

    list: (actor) =>
      guardDb(async () => {
        await admin(actor, 'admin.fhir-clients.list');
        const rows = await FhirClient.findAll({ order: [['createdAt', 'ASC']] });
        return rows.map((r) => ({ clientId: r.clientId, name: r.name, scopes: r.scopes, revoked: Boolean(r.revokedAt), jwksUrl: r.jwksUrl ?? null }));
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
        const ok = Boolean(row?.secretHash) && timingSafeEqual(given, Buffer.from(row?.secretHash ?? sha('')));
        if (!row || !ok) return refuse(clientId, 'credentials');
        return issue(row, scope);
      }),

    issueTokenForAssertion: (assertion, audience, scope) =>
      guardDb(async () => {
        let iss: unknown;
        try {
          iss = decodeJwt(String(assertion ?? '')).iss;
        } catch {
          return refuse('', 'assertion unreadable');
        }
        const row = typeof iss === 'string' ? await FhirClient.findOne({ where: { clientId: iss, revokedAt: null } }) : null;
        if (!row?.jwksUrl) return refuse(iss, 'no such client with keys');
        const now = deps.now();
        let claims: { exp?: number; jti?: string };
        try {
          ({ payload: claims } = await jwtVerify(assertion, keysOf(row.jwksUrl), {
            issuer: row.clientId,
            subject: row.clientId,
            audience,
            algorithms: [...ASSERTION_ALGORITHMS],
            currentDate: new Date(now),
            requiredClaims: ['exp', 'jti'],
          }));
        } catch (err) {
          return refuse(row.clientId, `assertion ${(err as { code?: string }).code ?? 'invalid'}`);
        }
        if (claims.exp! * 1000 - now > ASSERTION_MAX_SECONDS * 1000) return refuse(row.clientId, 'assertion lives too long');
        try {
          await FhirAssertion.destroy({ where: { expiresAt: { [Op.lt]: new Date(now) } } });
          await FhirAssertion.create({ clientId: row.id, jti: String(claims.jti).slice(0, 255), expiresAt: new Date(claims.exp! * 1000) });
        } catch (err) {
          if (err instanceof UniqueConstraintError) return refuse(row.clientId, 'assertion replayed');
          throw err;
        }
        return issue(row, scope);
      }),

    authenticate: (token) =>
      guardDb(async () => {
        if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
        // One round trip on every FHIR request: the token, still valid, of a client not revoked.
        const [row] = await db.sequelize.query<{ clientId: string; name: string; userId: string; scopes: string[] }>(
          `SELECT c.client_id AS "clientId", c.name, c.user_id AS "userId", t.scopes
             FROM fhir_tokens t JOIN fhir_clients c ON c.id = t.client_id
            WHERE t.token_hash = :hash AND t.expires_at > :now AND c.revoked_at IS NULL`,
          { replacements: { hash: sha(token), now: new Date(deps.now()) }, type: QueryTypes.SELECT },
        );
        return row ? { clientId: row.clientId, name: row.name, scopes: row.scopes, actor: { userId: row.userId, role: 'admin', channel: 'fhir', name: row.name } } : null;
      }),
  };
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:' && s.length <= 500;
  } catch {
    return false;
  }
}
