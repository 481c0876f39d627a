import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../src/logging';
import type { Services } from '../../src/services';
import { mountAppointmentRoutes } from './appointment-routes';
import { mountCapability } from './capability';
import { mountDirectoryRoutes } from './directory-routes';
import { createFhirContext, outcome, send } from './http';
import { mountPatientRoutes } from './patient-routes';
import { mountSchedulingOperations } from './scheduling-operations';
import { mountSlotRoutes } from './slot-routes';
import { mountTokenRoute } from './token-route';


/**
 * The FHIR R4 scheduling API under /fhir (docs/fhir.md): OAuth 2 client credentials with SMART
 * system scopes, the clinic's directory (Practitioner, PractitionerRole, Location,
 * HealthcareService, Schedule), free Slots computed by the slot engine, Appointments booked through
 * the booking service, the $find/$hold/$book operations, and Patients by phone. Errors are
 * OperationOutcomes, never a stack trace.
 */
export function mountFhirApi(server: Server, deps: { services: Services; publicBaseUrl: string; logger: Logger; zone?: string }): void {
  const fhir = createFhirContext({ ...deps, zone: deps.zone ?? 'UTC' });
  mountTokenRoute(server, fhir);
  mountCapability(server, fhir);
  // The operations before Appointment/:id, so $find is never read as an id.
  mountSchedulingOperations(server, fhir);
  mountAppointmentRoutes(server, fhir);
  mountDirectoryRoutes(server, fhir);
  mountSlotRoutes(server, fhir);
  mountPatientRoutes(server, fhir);
  // Anything else under /fhir is answered in FHIR's terms, not the web server's.
  const unknown = async (req: Request, res: Response) =>
    send(res, 404, outcome('error', 'not-supported', `${req.method} ${String(req.path()).slice(0, 100)} is not offered here; GET /fhir/metadata lists what is.`));
  for (const method of ['get', 'post', 'put', 'patch', 'del'] as const) server[method]('/fhir/*', unknown);
}
