import type { Appointment, Bundle, CapabilityStatement, OperationOutcome, Patient, Practitioner, Slot } from '@medplum/fhirtypes';
import type { PatientView } from '../../src/services/patients';
import type { AppointmentView } from '../../src/domain/appointment';
import restify, { type Request, type Response, type Server } from 'restify';
import { DomainError, ForbiddenError, InvalidStateError, NotFoundError, PatientBusyError, ServiceUnavailableError, SlotTakenError, SlotUnavailableError, ValidationError } from '../../src/domain/errors';
import type { Logger } from '../../src/logging';
import type { Services } from '../../src/services';
import type { FhirAccess } from '../../src/services/fhir-clients';
import { FHIR_SCOPES, TOKEN_MINUTES } from '../../src/services/fhir-clients';
import { sourceOf } from '../shared/source';

/**
 * The FHIR R4 scheduling API, first part: OAuth 2 client credentials (POST /fhir/token, SMART
 * system scopes), the CapabilityStatement, Practitioner, and Slot search computed by the same slot
 * engine the conversations use (never stored). Errors are OperationOutcomes, never a stack trace.
 */
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_SLOT_DAYS = 31;

export function outcome(severity: 'error' | 'fatal', code: string, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: code as never, diagnostics }] };
}

function send(res: Response, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': FHIR_JSON });
  res.end(JSON.stringify(body));
}

export function mountFhirApi(server: Server, deps: { services: Services; publicBaseUrl: string; logger: Logger }): void {
  const base = `${deps.publicBaseUrl.replace(/\/$/, '')}/fhir`;
  const { services } = deps;

  /** The bearer token's client, with the scope this route needs; or the refusal already sent. */
  async function access(req: Request, res: Response, scope: string): Promise<FhirAccess | null> {
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.header('authorization') ?? '');
    const who = m ? await services.fhirClients.authenticate(m[1]) : null;
    if (!who) {
      deps.logger.warn({ channel: 'fhir', ...sourceOf(req), reason: m ? 'bad token' : 'no token' }, 'fhir request refused');
      res.header('WWW-Authenticate', 'Bearer');
      send(res, 401, outcome('error', 'login', 'A valid bearer token is required (POST /fhir/token with client credentials).'));
      return null;
    }
    if (!who.scopes.includes(scope)) {
      send(res, 403, outcome('error', 'forbidden', `This token does not have the scope ${scope}.`));
      return null;
    }
    return who;
  }

  function failed(res: Response, err: unknown): void {
    if (err instanceof SlotTakenError || err instanceof PatientBusyError) return send(res, 409, outcome('error', 'conflict', err.message));
    if (err instanceof SlotUnavailableError || err instanceof InvalidStateError) return send(res, 422, outcome('error', 'business-rule', err.message));
    if (err instanceof ForbiddenError) return send(res, 403, outcome('error', 'forbidden', 'Not allowed.'));
    if (err instanceof ValidationError) return send(res, 400, outcome('error', 'invalid', err.message));
    if (err instanceof NotFoundError) return send(res, 404, outcome('error', 'not-found', err.message));
    if (err instanceof ServiceUnavailableError) return send(res, 503, outcome('error', 'transient', err.message));
    if (err instanceof DomainError) return send(res, 400, outcome('error', 'processing', err.message));
    deps.logger.error({ err: { name: (err as Error).name } }, 'fhir request failed');
    send(res, 500, outcome('fatal', 'exception', 'Something went wrong on our side.'));
  }

  server.post(
    '/fhir/token',
    restify.plugins.urlEncodedBodyParser({ mapParams: false, maxBodySize: 8 * 1024 } as restify.plugins.UrlEncodedBodyParserOptions),
    async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, string>;
      // Client credentials in the body, or as HTTP Basic (both are OAuth 2).
      const basic = /^Basic (.+)$/.exec(req.header('authorization') ?? '');
      const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':') : [];
      if (body.grant_type !== 'client_credentials') {
        res.send(400, { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported.' });
        return;
      }
      try {
        const issued = await services.fhirClients.issueToken(body.client_id ?? basicId ?? '', body.client_secret ?? basicSecret ?? '', body.scope ?? null);
        if (!issued) {
          deps.logger.warn({ channel: 'fhir', ...sourceOf(req) }, 'fhir token refused');
          res.send(401, { error: 'invalid_client', error_description: 'Unknown client, wrong secret, or a scope it was not given.' });
          return;
        }
        res.header('Cache-Control', 'no-store');
        res.send(200, { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') });
      } catch (err) {
        res.send(503, { error: 'temporarily_unavailable', error_description: (err as Error).name === 'ServiceUnavailableError' ? 'Try again shortly.' : 'Something went wrong.' });
      }
    },
  );

  server.get('/fhir/metadata', async (_req: Request, res: Response) => {
    const statement: CapabilityStatement = {
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: '2026-11-28',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['json'],
      software: { name: 'Clinic Concierge' },
      implementation: { description: 'Clinic Concierge scheduling', url: base },
      rest: [
        {
          mode: 'server',
          security: {
            service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
            extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: `${base}/token` }] }],
            description: `OAuth 2 client credentials; tokens last ${TOKEN_MINUTES} minutes. Scopes: ${FHIR_SCOPES.join(' ')}.`,
          },
          resource: [
            { type: 'Practitioner', interaction: [{ code: 'read' }, { code: 'search-type' }] },
            { type: 'Patient', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: [{ name: 'identifier', type: 'token' }, { name: 'phone', type: 'token' }] },
            { type: 'Appointment', interaction: [{ code: 'read' }, { code: 'create' }, { code: 'update' }, { code: 'patch' }] },
            {
              type: 'Slot',
              interaction: [{ code: 'search-type' }],
              searchParam: [
                { name: 'schedule.actor', type: 'reference' },
                { name: 'schedule', type: 'reference' },
                { name: 'start', type: 'date' },
                { name: 'status', type: 'token' },
              ],
            },
          ],
        },
      ],
    };
    send(res, 200, statement);
  });

  const practitioner = (d: { id: string; fullName: string; specializations: string[] }): Practitioner => ({
    resourceType: 'Practitioner',
    id: d.id,
    active: true,
    name: [{ text: d.fullName, family: d.fullName.split(' ').slice(-1)[0], given: d.fullName.split(' ').slice(0, -1), prefix: ['Dr'] }],
  });

  server.get('/fhir/Practitioner', async (req: Request, res: Response) => {
    if (!(await access(req, res, 'system/Practitioner.read'))) return;
    try {
      const dir = await services.doctors.directory();
      const entries = dir.doctors.map((d) => ({ fullUrl: `${base}/Practitioner/${d.id}`, resource: practitioner(d), search: { mode: 'match' as const } }));
      const bundle: Bundle<Practitioner> = { resourceType: 'Bundle', type: 'searchset', total: entries.length, link: [{ relation: 'self', url: `${base}/Practitioner` }], entry: entries };
      send(res, 200, bundle);
    } catch (err) {
      failed(res, err);
    }
  });

  server.get('/fhir/Practitioner/:id', async (req: Request, res: Response) => {
    if (!(await access(req, res, 'system/Practitioner.read'))) return;
    try {
      const d = (await services.doctors.directory()).doctors.find((x) => x.id === String(req.params.id));
      if (!d) return send(res, 404, outcome('error', 'not-found', 'No such Practitioner.'));
      send(res, 200, practitioner(d));
    } catch (err) {
      failed(res, err);
    }
  });

  const STATUS: Record<string, Appointment['status']> = { booked: 'booked', cancelled: 'cancelled', completed: 'fulfilled', no_show: 'noshow', held: 'pending' };
  /** An appointment as FHIR carries it: who (by reference only, never a name), when, its state. */
  const toFhir = (a: AppointmentView): Appointment => ({
    resourceType: 'Appointment',
    id: a.id,
    status: STATUS[a.status],
    start: a.startsAt.toISOString(),
    end: a.endsAt.toISOString(),
    participant: [
      { actor: { reference: `Practitioner/${a.doctorId}` }, status: 'accepted' },
      { actor: { reference: `Patient/${a.patientId}` }, status: 'accepted' },
    ],
  });
  const json = restify.plugins.jsonBodyParser({ mapParams: false, maxBodySize: 64 * 1024 } as restify.plugins.JsonBodyParserOptions);
  const ref = (a: Appointment | undefined, type: 'Practitioner' | 'Patient') =>
    (a?.participant ?? []).map((p) => new RegExp(`^${type}/([0-9a-f-]{36})$`).exec(p.actor?.reference ?? '')?.[1]).find(Boolean) ?? null;

  server.get('/fhir/Appointment/:id', async (req: Request, res: Response) => {
    const who = await access(req, res, 'system/Appointment.read');
    if (!who) return;
    try {
      // Read through the service (checked as the client's account) and recorded: it leaves the clinic.
      const a = await services.appointments.get(who.actor, String(req.params.id));
      await services.audit.record(who.actor, { action: 'fhir.appointment.read', outcome: 'allowed', subjectType: 'appointment', subjectId: a.id, patientId: a.patientId });
      send(res, 200, toFhir(a));
    } catch (err) {
      failed(res, err);
    }
  });

  server.post('/fhir/Appointment', json, async (req: Request, res: Response) => {
    const who = await access(req, res, 'system/Appointment.write');
    if (!who) return;
    const body = req.body as Appointment | undefined;
    const doctorId = ref(body, 'Practitioner');
    const patientId = ref(body, 'Patient');
    const start = typeof body?.start === 'string' ? new Date(body.start) : null;
    if (body?.resourceType !== 'Appointment' || !doctorId || !patientId || !start || Number.isNaN(start.getTime())) {
      return send(res, 400, outcome('error', 'invalid', 'An Appointment needs start and participants Practitioner/<id> and Patient/<id>.'));
    }
    try {
      // The same booking as every channel's: the slot lock, the transaction, the constraint.
      const a = await services.booking.book(who.actor, { doctorId, patientId, startsAt: start, channel: 'fhir', reason: typeof body.description === 'string' ? body.description : null });
      res.header('Location', `${base}/Appointment/${a.id}`);
      send(res, 201, toFhir(a));
    } catch (err) {
      failed(res, err);
    }
  });

  /** PATCH (JSON Patch) or PUT with status cancelled: calls the appointment off, the patient told. */
  const cancel = async (req: Request, res: Response) => {
    const who = await access(req, res, 'system/Appointment.write');
    if (!who) return;
    let body = req.body as unknown;
    // JSON Patch arrives as application/json-patch+json, which the JSON parser leaves as text.
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      try {
        body = JSON.parse(String(body));
      } catch {
        return send(res, 400, outcome('error', 'invalid', 'The body is not JSON.'));
      }
    }
    const wantsCancel = Array.isArray(body)
      ? body.some((op: { op?: string; path?: string; value?: unknown }) => op?.op === 'replace' && op.path === '/status' && op.value === 'cancelled')
      : (body as Appointment | undefined)?.status === 'cancelled';
    if (!wantsCancel) return send(res, 422, outcome('error', 'not-supported', 'Only a change of status to cancelled is supported.'));
    try {
      send(res, 200, toFhir(await services.booking.cancel(who.actor, String(req.params.id), 'cancelled through FHIR')));
    } catch (err) {
      failed(res, err);
    }
  };
  server.patch('/fhir/Appointment/:id', restify.plugins.bodyReader({ maxBodySize: 64 * 1024 } as restify.plugins.BodyParserOptions), cancel);
  server.put('/fhir/Appointment/:id', json, cancel);

  const toPatient = (p: PatientView): Patient => ({
    resourceType: 'Patient',
    id: p.id,
    name: [{ text: p.fullName }],
    birthDate: p.dateOfBirth,
    telecom: p.phoneE164 ? [{ system: 'phone', value: p.phoneE164, use: 'mobile' }] : [],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.locale }] }, preferred: true }],
  });

  // Patient reads go through the services that check the role and record every read.
  server.get('/fhir/Patient/:id', async (req: Request, res: Response) => {
    const who = await access(req, res, 'system/Patient.read');
    if (!who) return;
    try {
      send(res, 200, toPatient(await services.patients.get(who.actor, String(req.params.id))));
    } catch (err) {
      failed(res, err);
    }
  });

  server.get('/fhir/Patient', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    const who = await access(req, res, 'system/Patient.read');
    if (!who) return;
    const q = (req.query ?? {}) as Record<string, unknown>;
    // identifier=phone|+15551234567 or phone=+15551234567: the one way this clinic knows its patients.
    const raw = typeof q.phone === 'string' ? q.phone : typeof q.identifier === 'string' ? String(q.identifier).replace(/^phone\|/, '') : '';
    if (!raw) return send(res, 400, outcome('error', 'required', 'Search Patients by phone=<number> or identifier=phone|<number>.'));
    try {
      const found = await services.admin.findPatientByPhone(who.actor, raw);
      const entry = found ? [{ fullUrl: `${base}/Patient/${found.id}`, resource: toPatient(found), search: { mode: 'match' as const } }] : [];
      send(res, 200, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry } satisfies Bundle<Patient>);
    } catch (err) {
      failed(res, err);
    }
  });

  server.get('/fhir/Slot', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    if (!(await access(req, res, 'system/Slot.read'))) return;
    try {
      const q = (req.query ?? {}) as Record<string, string | string[]>;
      const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
      const actor = one(q['schedule.actor'])[0] ?? one(q.schedule)[0]?.replace(/^Schedule\//, 'Practitioner/');
      const id = /^Practitioner\/([0-9a-f-]{36})$/.exec(actor ?? '')?.[1];
      if (!id) return send(res, 400, outcome('error', 'required', 'schedule.actor=Practitioner/<id> (or schedule=Schedule/<id>) is required.'));
      const status = one(q.status)[0];
      if (status && status !== 'free') return send(res, 200, { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });
      let from = Date.now();
      let to = from + 14 * 86_400_000;
      for (const s of one(q.start)) {
        const m = /^(ge|gt|le|lt)?(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)$/.exec(s);
        const at = m ? Date.parse(m[2].length === 10 ? `${m[2]}T00:00:00Z` : m[2]) : NaN;
        if (!m || Number.isNaN(at)) return send(res, 400, outcome('error', 'invalid', `start=${s} is not a date search like ge2026-12-01.`));
        if (!m[1] || m[1] === 'ge') from = at;
        if (m[1] === 'gt') from = at + 1;
        if (m[1] === 'le' || m[1] === 'lt') to = m[2].length === 10 ? at + 86_400_000 : at;
      }
      if (!(to > from) || to - from > MAX_SLOT_DAYS * 86_400_000) return send(res, 400, outcome('error', 'invalid', `Ask for 1 to ${MAX_SLOT_DAYS} days of slots.`));
      const count = Math.min(Math.max(Number(one(q._count)[0] ?? 100) || 100, 1), 500);
      const slots = await services.availability.freeSlots(id, new Date(from), new Date(to), count + 1);
      const entries = slots.slice(0, count).map((s) => {
        const resource: Slot = {
          resourceType: 'Slot',
          id: `${id}.${s.start}`,
          schedule: { reference: `Schedule/${id}` },
          status: 'free',
          start: new Date(s.start).toISOString(),
          end: new Date(s.end).toISOString(),
        };
        return { fullUrl: `${base}/Slot/${resource.id}`, resource, search: { mode: 'match' as const } };
      });
      const self = `${base}/Slot?${new URLSearchParams(Object.entries(q).flatMap(([k, v]) => one(v).map((x) => [k, x]))).toString()}`;
      const link: Bundle['link'] = [{ relation: 'self', url: self }];
      // More than a page: the next one starts after the last slot shown.
      if (slots.length > count) {
        const next = new URLSearchParams({ 'schedule.actor': `Practitioner/${id}`, _count: String(count) });
        next.append('start', `gt${new Date(slots[count - 1].start).toISOString()}`);
        next.append('start', `lt${new Date(to).toISOString()}`);
        link.push({ relation: 'next', url: `${base}/Slot?${next.toString()}` });
      }
      send(res, 200, { resourceType: 'Bundle', type: 'searchset', link, entry: entries } satisfies Bundle<Slot>);
    } catch (err) {
      failed(res, err);
    }
  });
}
