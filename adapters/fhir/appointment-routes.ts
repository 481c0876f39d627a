import type { Appointment } from '@medplum/fhirtypes';
import restify, { type Request, type Response, type Server } from 'restify';
import type { AppointmentStatus } from '../../src/domain/appointment';
import type { ClinicDirectory } from '../../src/services/doctors';
import { all, countOf, dateRange, idFrom, outcome, queryOf, queryString, SearchError, searchset, send, type FhirContext } from './http';
import { toAppointment } from './resources';

/**
 * Appointments: read, search (by patient, practitioner, date, status), create as a booking through
 * the same booking service every channel uses (its slot lock, its transaction, its constraint), and
 * cancel by PUT or JSON Patch of the status. Every read that returns patient data is recorded.
 */
const FROM_FHIR: Record<string, AppointmentStatus[]> = {
  booked: ['booked'],
  cancelled: ['cancelled'],
  fulfilled: ['completed'],
  noshow: ['no_show'],
  pending: ['held'],
};
const SEARCH_PARAMS = ['patient', 'practitioner', 'actor', 'location', 'date', 'status', '_count', '_offset'];

export const jsonBody = restify.plugins.jsonBodyParser({ mapParams: false, maxBodySize: 64 * 1024 } as restify.plugins.JsonBodyParserOptions);

/** The first participant of a type, by id: Practitioner/<id>, Patient/<id>, Location/<id>. */
export const participant = (a: Appointment | undefined, type: 'Practitioner' | 'Patient' | 'Location') =>
  (a?.participant ?? []).map((p) => idFrom(p.actor?.reference, type)).find(Boolean) ?? null;

/** The kind of visit an Appointment asks for: serviceType coding (our system) or text, by id or name. */
export async function visitTypeOf(fhir: FhirContext, a: Appointment): Promise<string | null | undefined> {
  const concept = a.serviceType?.[0];
  if (!concept) return null;
  const wanted = [...(concept.coding ?? []).map((c) => c.code), concept.text].filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase());
  const find = (kinds: Map<string, VisitKind>) => [...kinds.values()].find((v) => wanted.includes(v.id) || wanted.includes(v.name.toLowerCase()))?.id;
  // A kind of visit added a moment ago is not in the cached list yet: look once more, fresh.
  return find(await visitKinds(fhir)) ?? find(await visitKinds(fhir, true));
}

type VisitKind = ClinicDirectory['visitTypes'][number];
const KINDS_TTL_MS = 30_000;
const kindsCache = new WeakMap<FhirContext, { at: number; kinds: Promise<Map<string, VisitKind>> }>();

/**
 * The clinic's kinds of visit by id, for naming an appointment's serviceType. Read at most every 30 s
 * per server: they change a few times a year, and every Appointment answer names its kind.
 */
export function visitKinds(fhir: FhirContext, fresh = false): Promise<Map<string, VisitKind>> {
  const cached = kindsCache.get(fhir);
  if (!fresh && cached && Date.now() - cached.at < KINDS_TTL_MS) return cached.kinds;
  const kinds = fhir.services.doctors.directory().then((dir) => new Map(dir.visitTypes.map((v) => [v.id, v])));
  kindsCache.set(fhir, { at: Date.now(), kinds });
  // A failed read is not kept: the next request tries again.
  kinds.catch(() => kindsCache.delete(fhir));
  return kinds;
}

export function mountAppointmentRoutes(server: Server, fhir: FhirContext): void {
  const { services } = fhir;

  server.get('/fhir/Appointment', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.read');
    if (!who) return;
    const q = queryOf(req);
    const unknown = Object.keys(q).filter((k) => !SEARCH_PARAMS.includes(k));
    if (unknown.length) return send(res, 400, outcome('error', 'not-supported', `Appointment cannot be searched by ${unknown.join(', ')}. Search parameters: ${SEARCH_PARAMS.join(', ')}.`));
    try {
      const actors = all(q.actor);
      const ref = (name: string, type: string) => {
        const values = [...all(q[name]), ...actors.filter((a) => a.startsWith(`${type}/`))];
        if (values.length === 0) return null;
        const id = idFrom(values[0], type);
        if (!id) throw new SearchError(`${name}=${values[0]} is not a ${type} reference.`);
        return id;
      };
      const patientId = ref('patient', 'Patient');
      const doctorId = ref('practitioner', 'Practitioner');
      const locationId = ref('location', 'Location');
      const { from, to } = dateRange(all(q.date), fhir.zone, 'date');
      const wanted = all(q.status).flatMap((s) => s.split(','));
      const bad = wanted.filter((s) => !FROM_FHIR[s]);
      if (bad.length) throw new SearchError(`status=${bad[0]} is not one of ${Object.keys(FROM_FHIR).join(', ')}.`);
      const limit = countOf(q, 50, 200);
      const offset = Math.max(Number(all(q._offset)[0] ?? 0) || 0, 0);
      const found = await services.appointments.search(who.actor, { patientId, doctorId, locationId, from, to, statuses: wanted.flatMap((s) => FROM_FHIR[s]), limit, offset });
      const kinds = await visitKinds(fhir);
      const shown = found.appointments.map((a) => toAppointment(a, kinds));
      const next = found.more ? `Appointment${queryString(q, { _count: String(limit), _offset: String(offset + limit) })}` : undefined;
      send(res, 200, searchset(fhir.base, `Appointment${queryString(q)}`, shown, { next }));
    } catch (err) {
      if (err instanceof SearchError) return send(res, 400, outcome('error', 'invalid', err.message));
      fhir.failed(res, err);
    }
  });

  server.get('/fhir/Appointment/:id', async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.read');
    if (!who) return;
    try {
      // Read through the service (checked as the client's account) and recorded: it leaves the clinic.
      const a = await services.appointments.get(who.actor, String(req.params.id));
      await services.audit.record(who.actor, { action: 'fhir.appointment.read', outcome: 'allowed', subjectType: 'appointment', subjectId: a.id, patientId: a.patientId });
      send(res, 200, toAppointment(a, await visitKinds(fhir)));
    } catch (err) {
      fhir.failed(res, err);
    }
  });

  server.post('/fhir/Appointment', jsonBody, async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.write');
    if (!who) return;
    const body = req.body as Appointment | undefined;
    const doctorId = participant(body, 'Practitioner');
    const patientId = participant(body, 'Patient');
    const start = typeof body?.start === 'string' ? new Date(body.start) : null;
    if (body?.resourceType !== 'Appointment' || !doctorId || !patientId || !start || Number.isNaN(start.getTime())) {
      return send(res, 400, outcome('error', 'invalid', 'An Appointment needs start and participants Practitioner/<id> and Patient/<id>.'));
    }
    try {
      const visitTypeId = await visitTypeOf(fhir, body);
      if (visitTypeId === undefined) return send(res, 400, outcome('error', 'invalid', 'serviceType names no kind of visit here (see HealthcareService).'));
      // The same booking as every channel's: the slot lock, the transaction, the constraint.
      const a = await services.booking.book(who.actor, {
        doctorId,
        patientId,
        startsAt: start,
        channel: 'fhir',
        visitTypeId,
        locationId: participant(body, 'Location'),
        reason: typeof body.description === 'string' ? body.description : null,
      });
      res.header('Location', `${fhir.base}/Appointment/${a.id}`);
      send(res, 201, toAppointment(a, await visitKinds(fhir)));
    } catch (err) {
      fhir.failed(res, err);
    }
  });

  /** PATCH (JSON Patch) or PUT with status cancelled: calls the appointment off, the patient told. */
  const cancel = async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.write');
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
      send(res, 200, toAppointment(await services.booking.cancel(who.actor, String(req.params.id), 'cancelled through FHIR'), await visitKinds(fhir)));
    } catch (err) {
      fhir.failed(res, err);
    }
  };
  server.patch('/fhir/Appointment/:id', restify.plugins.bodyReader({ maxBodySize: 64 * 1024 } as restify.plugins.BodyParserOptions), cancel);
  server.put('/fhir/Appointment/:id', jsonBody, cancel);
}
