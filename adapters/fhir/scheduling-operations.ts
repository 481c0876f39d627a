import type { Appointment, Bundle, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import restify, { type Request, type Response, type Server } from 'restify';
import { DateTime } from 'luxon';
import type { AppointmentView } from '../../src/domain/appointment';
import type { Slot } from '../../src/domain/slots';
import { all, idFrom, outcome, queryOf, send, type FhirContext } from './http';
import { jsonBody, participant, visitKinds, visitTypeOf } from './appointment-routes';
import { toAppointment, toProposedAppointment } from './resources';
import { practises, visitTypeMatches } from './directory-routes';
import { MAX_SLOT_DAYS } from './slot-routes';

/**
 * The scheduling operations of IHE ITI Scheduling (the Argonaut guide's successor), as Medplum
 * also offers them: $find proposes free times across doctors, $hold keeps one for a patient while
 * they confirm (the clinic's holdMinutes, the same hold the SMS conversation places), and $book
 * makes a hold, or a proposed time, a booking. Each goes through the booking service.
 */
const DAY = 86_400_000;
const MAX_DOCTORS = 25;

/** Operation input from a Parameters body (or the query string of a GET), by name. */
class Inputs {
  constructor(private readonly params: ParametersParameter[], private readonly query: Record<string, unknown>) {}

  static of(req: Request): Inputs {
    const body = req.body as Parameters | Appointment | undefined;
    if (body?.resourceType === 'Parameters') return new Inputs(body.parameter ?? [], queryOf(req));
    // A bare Appointment stands for appointment-resource: what most clients would send first.
    if (body?.resourceType === 'Appointment') return new Inputs([{ name: 'appointment-resource', resource: body }], queryOf(req));
    return new Inputs([], queryOf(req));
  }

  strings(name: string): string[] {
    const fromBody = this.params
      .filter((p) => p.name === name)
      .map((p) => p.valueString ?? p.valueDateTime ?? p.valueDate ?? p.valueCode ?? p.valueReference?.reference ?? p.valueInteger?.toString())
      .filter((v): v is string => typeof v === 'string');
    return fromBody.length ? fromBody : all(this.query[name]).flatMap((v) => v.split(','));
  }

  appointment(): Appointment | undefined {
    const p = this.params.find((x) => x.name === 'appointment-resource' || x.name === 'appointment');
    return p?.resource?.resourceType === 'Appointment' ? (p.resource as Appointment) : undefined;
  }
}

const bundleOf = (fhir: FhirContext, appointment: Appointment, note?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { fullUrl: `${fhir.base}/Appointment/${appointment.id}`, resource: appointment },
    ...(note ? [{ resource: outcome('information', 'informational', note) }] : []),
  ],
});

function instant(value: string | undefined, zone: string): number | null {
  if (!value) return null;
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone }) : DateTime.fromISO(value, { setZone: true });
  return t.isValid && (/^\d{4}-\d{2}-\d{2}$/.test(value) || /(Z|[+-]\d{2}:\d{2})$/.test(value)) ? t.toMillis() : null;
}

export function mountSchedulingOperations(server: Server, fhir: FhirContext): void {
  const { services } = fhir;

  const find = async (req: Request, res: Response) => {
    if (!(await fhir.access(req, res, 'system/Slot.read'))) return;
    const input = Inputs.of(req);
    const from = instant(input.strings('start')[0], fhir.zone);
    let to = instant(input.strings('end')[0], fhir.zone);
    // A date-only end means the whole of that day.
    if (to !== null && /^\d{4}-\d{2}-\d{2}$/.test(input.strings('end')[0])) to += DAY;
    if (from === null || to === null) return send(res, 400, outcome('error', 'required', 'start and end are required, as dates (2026-12-01) or instants with a zone (2026-12-01T09:00:00Z).'));
    if (!(to > from) || to - from > MAX_SLOT_DAYS * DAY) return send(res, 400, outcome('error', 'invalid', `end must be after start, at most ${MAX_SLOT_DAYS} days later.`));
    const count = Math.min(Math.max(Number(input.strings('_count')[0] ?? 20) || 20, 1), 100);
    try {
      const dir = await services.doctors.directory();
      const practitioners = input.strings('practitioner').map((r) => idFrom(r, 'Practitioner'));
      if (practitioners.includes(null)) return send(res, 400, outcome('error', 'invalid', 'practitioner is a reference such as Practitioner/<id>.'));
      const locations = input.strings('location-reference').map((r) => idFrom(r, 'Location'));
      if (locations.includes(null)) return send(res, 400, outcome('error', 'invalid', 'location-reference is a reference such as Location/<id>.'));
      const specialties = input.strings('specialty').map((s) => s.split('|').pop()!.trim().toLowerCase());
      const kinds = input.strings('visit-type').map((s) => s.split('|').pop()!.trim().toLowerCase());
      const kind = kinds.length ? dir.visitTypes.find((v) => kinds.some((k) => visitTypeMatches(v, k))) : null;
      if (kind === undefined) return send(res, 400, outcome('error', 'invalid', 'visit-type names no kind of visit here (see HealthcareService).'));
      const doctors = dir.doctors
        .filter((d) => practitioners.length === 0 || practitioners.includes(d.id))
        .filter((d) => specialties.length === 0 || specialties.some((code) => practises(d.specializations, code)))
        .filter((d) => !kind || kind.doctorIds.includes(d.id))
        .filter((d) => locations.length === 0 || d.locationIds.some((l) => locations.includes(l)))
        .slice(0, MAX_DOCTORS);
      const perDoctor = await Promise.all(
        doctors.map(async (d) => {
          const options = { visitTypeId: kind?.id ?? null, locationId: locations.length === 1 ? locations[0] : null };
          const slots: Slot[] = await services.availability.freeSlots(d.id, new Date(from), new Date(to), count, options);
          return slots.map((s) => ({ doctorId: d.id, slot: s }));
        }),
      );
      const proposed = perDoctor
        .flat()
        .sort((a, b) => a.slot.start - b.slot.start)
        .slice(0, count)
        .map(({ doctorId, slot }) => toProposedAppointment(doctorId, slot, kind ?? null));
      const bundle: Bundle<Appointment> = { resourceType: 'Bundle', type: 'searchset', total: proposed.length, entry: proposed.map((resource) => ({ resource, search: { mode: 'match' } })) };
      send(res, 200, bundle);
    } catch (err) {
      fhir.failed(res, err);
    }
  };
  server.get('/fhir/Appointment/$find', restify.plugins.queryParser({ mapParams: false }), find);
  server.post('/fhir/Appointment/$find', restify.plugins.queryParser({ mapParams: false }), jsonBody, find);

  /** The time, doctor, patient, kind and place an Appointment names; a 400 already sent when it names too little. */
  async function wanted(res: Response, a: Appointment | undefined, needPatient: true) {
    const doctorId = participant(a, 'Practitioner');
    const patientId = participant(a, 'Patient');
    const start = typeof a?.start === 'string' ? instant(a.start, fhir.zone) : null;
    if (!a || !doctorId || (needPatient && !patientId) || start === null) {
      send(res, 400, outcome('error', 'invalid', 'appointment-resource needs start (with a zone) and participants Practitioner/<id> and Patient/<id>: a proposed Appointment from $find with the patient added.'));
      return null;
    }
    const visitTypeId = await visitTypeOf(fhir, a);
    if (visitTypeId === undefined) {
      send(res, 400, outcome('error', 'invalid', 'serviceType names no kind of visit here (see HealthcareService).'));
      return null;
    }
    return { doctorId, patientId: patientId!, startsAt: new Date(start), visitTypeId, locationId: participant(a, 'Location') };
  }

  server.post('/fhir/Appointment/$hold', jsonBody, async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.write');
    if (!who) return;
    const input = Inputs.of(req);
    if (!input.appointment() && input.strings('appointment-reference').length) {
      return send(res, 400, outcome('error', 'not-supported', 'Proposed times have no ids here: send appointment-resource, the proposed Appointment from $find with the Patient participant added.'));
    }
    const w = await wanted(res, input.appointment(), true);
    if (!w) return;
    try {
      const held = await services.booking.hold(who.actor, w);
      const kinds = await visitKinds(fhir);
      const view: AppointmentView = { id: held.id, doctorId: w.doctorId, patientId: w.patientId, startsAt: held.startsAt, endsAt: held.endsAt, status: 'held', channel: 'fhir', reason: null, rescheduledFrom: null, locationId: held.locationId, visitTypeId: w.visitTypeId };
      const appointment = toAppointment(view, kinds);
      send(res, 200, bundleOf(fhir, appointment, `Held until ${held.expiresAt.toISOString()}: $book it before then, or it is free again.`));
    } catch (err) {
      fhir.failed(res, err);
    }
  });

  server.post('/fhir/Appointment/$book', jsonBody, async (req: Request, res: Response) => {
    const who = await fhir.access(req, res, 'system/Appointment.write');
    if (!who) return;
    const input = Inputs.of(req);
    const resource = input.appointment();
    const reference = input.strings('appointment-reference')[0] ?? (resource?.id ? `Appointment/${resource.id}` : undefined);
    const comment = input.strings('comment')[0] ?? null;
    try {
      let booked: AppointmentView;
      if (reference) {
        // A hold placed by $hold (or any hold this client's account may see) becomes the booking.
        const holdId = idFrom(reference, 'Appointment');
        if (!holdId) return send(res, 400, outcome('error', 'invalid', 'appointment-reference is Appointment/<id> of a held appointment.'));
        const held = await services.appointments.get(who.actor, holdId).catch((err: Error) => (err.name === 'NotFoundError' ? null : Promise.reject(err)));
        if (!held || held.status !== 'held') {
          return send(res, held ? 422 : 404, outcome('error', held ? 'business-rule' : 'not-found', held ? `That appointment is ${held.status}, not held.` : 'No such hold: it may have expired. Find the time again with $find.'));
        }
        booked = await services.booking.book(who.actor, {
          doctorId: held.doctorId,
          patientId: held.patientId,
          startsAt: held.startsAt,
          visitTypeId: held.visitTypeId ?? null,
          locationId: held.locationId ?? null,
          holdId: held.id,
          channel: 'fhir',
          reason: comment,
        });
      } else {
        const w = await wanted(res, resource, true);
        if (!w) return;
        booked = await services.booking.book(who.actor, { ...w, channel: 'fhir', reason: comment });
      }
      res.header('Location', `${fhir.base}/Appointment/${booked.id}`);
      send(res, 200, bundleOf(fhir, toAppointment(booked, await visitKinds(fhir))));
    } catch (err) {
      fhir.failed(res, err);
    }
  });
}
