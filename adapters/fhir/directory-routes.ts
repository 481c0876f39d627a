import type { Resource } from '@medplum/fhirtypes';
import restify, { type Request, type Response, type Server } from 'restify';
import type { ClinicDirectory } from '../../src/services/doctors';
import { all, idFrom, outcome, queryOf, queryString, searchset, send, type FhirContext } from './http';
import { specialtyCode, toHealthcareService, toLocation, toPractitioner, toPractitionerRole, toSchedule } from './resources';

/**
 * Who practises here and where: Practitioner, PractitionerRole, Location, HealthcareService (the
 * kinds of visit) and Schedule (one per doctor), all read from the clinic's directory. Search
 * parameters a resource does not know are refused, so a typo never returns everything.
 */
type Filter = (q: Record<string, unknown>, dir: ClinicDirectory) => (r: Resource) => boolean;

/** A token search value (system|code or code) matched against a visit type by id or name, or a specialty by code or name. */
const tokenCode = (v: string) => v.split('|').pop()!.trim().toLowerCase();
const matchesAny = (values: string[], test: (code: string) => boolean) => values.length === 0 || values.some((v) => v.split(',').some((x) => test(tokenCode(x))));
/** Whether a doctor practises the specialty a search names, by its code or its name. */
export const practises = (specializations: readonly string[], code: string) => specializations.some((s) => specialtyCode(s) === code || s.toLowerCase() === code);
export const visitTypeMatches = (v: { id: string; name: string }, code: string) => v.id === code || v.name.toLowerCase() === code;
const byName = (name: string | undefined, needle: string[]) => matchesAny(needle, (n) => (name ?? '').toLowerCase().includes(n));

function mountOne<T extends Resource>(
  server: Server,
  fhir: FhirContext,
  type: string,
  scope: string,
  build: (dir: ClinicDirectory) => T[],
  params: Record<string, Filter>,
): void {
  server.get(`/fhir/${type}`, restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    if (!(await fhir.access(req, res, scope))) return;
    const q = queryOf(req);
    const unknown = Object.keys(q).filter((k) => !(k in params) && !['_count', '_id'].includes(k));
    if (unknown.length) return send(res, 400, outcome('error', 'not-supported', `${type} cannot be searched by ${unknown.join(', ')}. Search parameters: ${['_id', ...Object.keys(params)].join(', ')}.`));
    try {
      const dir = await fhir.services.doctors.directory();
      const ids = all(q._id).flatMap((v) => v.split(','));
      const tests = Object.entries(params).filter(([k]) => k in q).map(([, f]) => f(q, dir));
      const found = build(dir).filter((r) => (ids.length === 0 || ids.includes(r.id!)) && tests.every((t) => t(r)));
      send(res, 200, searchset(fhir.base, `${type}${queryString(q)}`, found, { total: found.length }));
    } catch (err) {
      fhir.failed(res, err);
    }
  });
  server.get(`/fhir/${type}/:id`, async (req: Request, res: Response) => {
    if (!(await fhir.access(req, res, scope))) return;
    try {
      const found = build(await fhir.services.doctors.directory()).find((r) => r.id === String(req.params.id));
      if (!found) return send(res, 404, outcome('error', 'not-found', `No such ${type}.`));
      send(res, 200, found);
    } catch (err) {
      fhir.failed(res, err);
    }
  });
}

export function mountDirectoryRoutes(server: Server, fhir: FhirContext): void {
  const doctorOf = (dir: ClinicDirectory, id: string | undefined) => dir.doctors.find((d) => d.id === id);

  mountOne(server, fhir, 'Practitioner', 'system/Practitioner.read', (dir) => dir.doctors.map(toPractitioner), {
    name: (q) => (r) => byName((r as ReturnType<typeof toPractitioner>).name?.[0]?.text, all(q.name).map((x) => x.toLowerCase())),
  });

  mountOne(server, fhir, 'PractitionerRole', 'system/PractitionerRole.read', (dir) => dir.doctors.map((d) => toPractitionerRole(d, dir)), {
    practitioner: (q) => (r) => all(q.practitioner).some((v) => idFrom(v, 'Practitioner') === r.id),
    specialty: (q, dir) => (r) => matchesAny(all(q.specialty), (code) => practises(doctorOf(dir, r.id)?.specializations ?? [], code)),
    location: (q, dir) => (r) => all(q.location).some((v) => (doctorOf(dir, r.id)?.locationIds ?? []).includes(idFrom(v, 'Location') ?? '')),
    service: (q, dir) => (r) => all(q.service).some((v) => dir.visitTypes.some((t) => t.id === idFrom(v, 'HealthcareService') && t.doctorIds.includes(r.id!))),
  });

  mountOne(server, fhir, 'Location', 'system/Location.read', (dir) => dir.locations.map(toLocation), {
    name: (q) => (r) => byName((r as ReturnType<typeof toLocation>).name, all(q.name).map((x) => x.toLowerCase())),
  });

  mountOne(server, fhir, 'HealthcareService', 'system/HealthcareService.read', (dir) => dir.visitTypes.map(toHealthcareService), {
    name: (q) => (r) => byName((r as ReturnType<typeof toHealthcareService>).name, all(q.name).map((x) => x.toLowerCase())),
  });

  mountOne(server, fhir, 'Schedule', 'system/Schedule.read', (dir) => dir.doctors.map((d) => toSchedule(d, dir)), {
    actor: (q, dir) => (r) =>
      all(q.actor).some((v) => idFrom(v, 'Practitioner') === r.id || (doctorOf(dir, r.id)?.locationIds ?? []).includes(idFrom(v, 'Location') ?? '')),
    specialty: (q, dir) => (r) => matchesAny(all(q.specialty), (code) => practises(doctorOf(dir, r.id)?.specializations ?? [], code)),
    'service-type': (q, dir) => (r) => matchesAny(all(q['service-type']), (code) => dir.visitTypes.some((t) => visitTypeMatches(t, code) && t.doctorIds.includes(r.id!))),
  });
}
