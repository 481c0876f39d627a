import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import type { Request, Response } from 'restify';
import { DomainError, ForbiddenError, InvalidStateError, NotFoundError, PatientBusyError, ServiceUnavailableError, SlotTakenError, SlotUnavailableError, ValidationError } from '../../src/domain/errors';
import type { Logger } from '../../src/logging';
import type { Services } from '../../src/services';
import { scopeAllows, type FhirAccess } from '../../src/services/fhir-clients';
import { sourceOf } from '../shared/source';

/** What every FHIR route shares: how to answer, who is asking, and how a refusal reads. */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface FhirContext {
  services: Services;
  /** The public address of the API, for fullUrl, Location and Bundle links. */
  base: string;
  /** Date-only searches (date=2026-12-01) mean the clinic's calendar day. */
  zone: string;
  logger: Logger;
  /** The bearer token's client, when it has the scope; otherwise the refusal is sent and null returned. */
  access(req: Request, res: Response, scope: string): Promise<FhirAccess | null>;
  /** A domain error as the OperationOutcome and status it means; anything else a 500 without detail. */
  failed(res: Response, err: unknown): void;
}

export function outcome(severity: 'error' | 'fatal' | 'information' | 'warning', code: string, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: code as never, diagnostics }] };
}

export function send(res: Response, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': FHIR_JSON });
  res.end(JSON.stringify(body));
}

export function createFhirContext(deps: { services: Services; publicBaseUrl: string; zone: string; logger: Logger }): FhirContext {
  const { services, logger } = deps;
  return {
    services,
    logger,
    zone: deps.zone,
    base: `${deps.publicBaseUrl.replace(/\/$/, '')}/fhir`,
    async access(req, res, scope) {
      const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.header('authorization') ?? '');
      let who: FhirAccess | null = null;
      try {
        who = m ? await services.fhirClients.authenticate(m[1]) : null;
      } catch (err) {
        this.failed(res, err);
        return null;
      }
      if (!who) {
        logger.warn({ channel: 'fhir', ...sourceOf(req), reason: m ? 'bad token' : 'no token' }, 'fhir request refused');
        res.header('WWW-Authenticate', 'Bearer');
        send(res, 401, outcome('error', 'login', 'A valid bearer token is required (POST /fhir/token with client credentials).'));
        return null;
      }
      if (!scopeAllows(who.scopes, scope)) {
        send(res, 403, outcome('error', 'forbidden', `This token does not have the scope ${scope}.`));
        return null;
      }
      return who;
    },
    failed(res, err) {
      if (err instanceof SlotTakenError || err instanceof PatientBusyError) return send(res, 409, outcome('error', 'conflict', err.message));
      if (err instanceof SlotUnavailableError || err instanceof InvalidStateError) return send(res, 422, outcome('error', 'business-rule', err.message));
      if (err instanceof ForbiddenError) return send(res, 403, outcome('error', 'forbidden', 'Not allowed.'));
      if (err instanceof ValidationError) return send(res, 400, outcome('error', 'invalid', err.message));
      if (err instanceof NotFoundError) return send(res, 404, outcome('error', 'not-found', err.message));
      if (err instanceof ServiceUnavailableError) return send(res, 503, outcome('error', 'transient', err.message));
      if (err instanceof DomainError) return send(res, 400, outcome('error', 'processing', err.message));
      logger.error({ err: { name: (err as Error).name } }, 'fhir request failed');
      send(res, 500, outcome('fatal', 'exception', 'Something went wrong on our side.'));
    },
  };
}

/** Query values as a list, whether the parameter came once, repeated, or not at all. */
export function all(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return v === undefined || v === null ? [] : [String(v)];
}

export const queryOf = (req: Request) => (req.query ?? {}) as Record<string, unknown>;

/** The id from a reference such as Practitioner/<id> (or a bare id); null when it is not one. */
export function idFrom(reference: string | undefined, type: string): string | null {
  const uuid = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
  // Type/id, an absolute URL ending in it, or a bare id; never another type's reference.
  const m = new RegExp(`^(?:(?:https?://\\S*/)?${type}/)?${uuid}$`, 'i').exec(reference ?? '');
  return m ? m[1].toLowerCase() : null;
}

export class SearchError extends Error {}

/**
 * A FHIR date search (start=ge2026-12-01&start=lt2026-12-08, date=2026-12-01...) as one range.
 * A date without a time is the clinic's calendar day; no prefix (or eq) means within that day or
 * instant. Throws SearchError with a message for the client when a value is not a date search.
 */
export function dateRange(values: string[], zone: string, name: string): { from: Date | null; to: Date | null } {
  let from: number | null = null;
  let to: number | null = null;
  for (const raw of values) {
    const m = /^(eq|ge|gt|le|lt|sa|eb)?(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(raw);
    if (!m) throw new SearchError(`${name}=${raw} is not a date search like ge2026-12-01 or lt2026-12-08T17:00:00Z.`);
    const [, prefix = 'eq', day, time] = m;
    const startOfValue = time ? DateTime.fromISO(`${day}${time}`) : DateTime.fromISO(day, { zone });
    if (!startOfValue.isValid) throw new SearchError(`${name}=${raw} is not a real date.`);
    const lo = startOfValue.toMillis();
    const hi = time ? lo + 1 : startOfValue.plus({ days: 1 }).toMillis();
    if (prefix === 'eq') {
      from = Math.max(from ?? lo, lo);
      to = Math.min(to ?? hi, hi);
    } else if (prefix === 'ge' || prefix === 'sa') from = Math.max(from ?? lo, prefix === 'sa' ? hi : lo);
    else if (prefix === 'gt') from = Math.max(from ?? hi, hi);
    else if (prefix === 'lt' || prefix === 'eb') to = Math.min(to ?? lo, lo);
    else if (prefix === 'le') to = Math.min(to ?? hi, hi);
  }
  return { from: from === null ? null : new Date(from), to: to === null ? null : new Date(to) };
}

/** _count, bounded; the default when absent or not a number. */
export function countOf(q: Record<string, unknown>, fallback: number, max: number): number {
  const n = Number(all(q._count)[0] ?? fallback);
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), 1), max) : fallback;
}

export function searchset<T extends Resource>(base: string, self: string, resources: T[], extra: { next?: string; total?: number } = {}): Bundle<T> {
  const link: Bundle['link'] = [{ relation: 'self', url: `${base}/${self}` }];
  if (extra.next) link.push({ relation: 'next', url: `${base}/${extra.next}` });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(extra.total !== undefined ? { total: extra.total } : {}),
    link,
    entry: resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' as const } })),
  };
}

/** The query string again, for a Bundle's self link (only the parameters the client sent). */
export function queryString(q: Record<string, unknown>, replace: Record<string, string | string[]> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...replace })) for (const x of all(v)) params.append(k, x);
  const s = params.toString();
  return s ? `?${s}` : '';
}
