import restify, { type Request, type Response, type Server } from 'restify';
import { all, outcome, queryOf, searchset, send, type FhirContext } from './http';
import { toPatient } from './resources';

/** Patients: read, and search by phone, the one way this clinic knows them. Every read is recorded by the services. */
export function mountPatientRoutes(server: Server, fhir: FhirContext): void {
  server.get('/fhir/Patient/:id', async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Patient.read');
    if (!who) return;
    try {
      send(res, 200, toPatient(await fhir.services.patients.get(who.actor, String(req.params.id))));
    } catch (err) {
      fhir.failed(res, err);
    }
  });

  server.get('/fhir/Patient', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Patient.read');
    if (!who) return;
    const q = queryOf(req);
    // identifier=phone|+15551234567 or phone=+15551234567.
    const raw = all(q.phone)[0] ?? all(q.identifier)[0]?.replace(/^phone\|/, '') ?? '';
    if (!raw) return send(res, 400, outcome('error', 'required', 'Search Patients by phone=<number> or identifier=phone|<number>.'));
    try {
      const found = await fhir.services.admin.findPatientByPhone(who.actor, raw);
      // The self link leaves the number out: it is patient data, and links get logged by proxies.
      send(res, 200, searchset(fhir.base, 'Patient', found ? [toPatient(found)] : [], { total: found ? 1 : 0 }));
    } catch (err) {
      fhir.failed(res, err);
    }
  });
}
