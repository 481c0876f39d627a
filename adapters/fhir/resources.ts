import type { Appointment, CodeableConcept, HealthcareService, Location, Patient, Practitioner, PractitionerRole, Reference, Schedule, Slot } from '@medplum/fhirtypes';
import type { AppointmentView } from '../../src/domain/appointment';
import type { ClinicDirectory } from '../../src/services/doctors';
import type { PatientView } from '../../src/services/patients';

/**
 * The clinic's records as FHIR R4 resources. Patients appear in appointments by reference only,
 * never by name; a visit's reason (the patient's own words) never leaves through FHIR.
 */
type Doctor = ClinicDirectory['doctors'][number];
type Place = ClinicDirectory['locations'][number];
type VisitKind = ClinicDirectory['visitTypes'][number];

export const VISIT_TYPE_SYSTEM = 'urn:clinic-concierge:visit-type';
export const SPECIALTY_SYSTEM = 'urn:clinic-concierge:specialty';
const TIMEZONE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/timezone';

export const specialtyCode = (name: string) => name.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const specialty = (name: string): CodeableConcept => ({ coding: [{ system: SPECIALTY_SYSTEM, code: specialtyCode(name), display: name }], text: name });
export const serviceType = (v: Pick<VisitKind, 'id' | 'name'>): CodeableConcept => ({ coding: [{ system: VISIT_TYPE_SYSTEM, code: v.id, display: v.name }], text: v.name });

export function toPractitioner(d: Pick<Doctor, 'id' | 'fullName'>): Practitioner {
  const words = d.fullName.split(/\s+/);
  return { resourceType: 'Practitioner', id: d.id, active: true, name: [{ text: d.fullName, family: words.slice(-1)[0], given: words.slice(0, -1), prefix: ['Dr'] }] };
}

/** One role per doctor: what they practise, where, and which kinds of visit they offer. */
export function toPractitionerRole(d: Doctor, dir: ClinicDirectory): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id: d.id,
    active: true,
    practitioner: { reference: `Practitioner/${d.id}`, display: d.fullName },
    specialty: d.specializations.map(specialty),
    location: d.locationIds.map((id) => ({ reference: `Location/${id}` })),
    healthcareService: dir.visitTypes.filter((v) => v.doctorIds.includes(d.id)).map((v) => ({ reference: `HealthcareService/${v.id}`, display: v.name })),
  };
}

export function toLocation(l: Place): Location {
  return {
    resourceType: 'Location',
    id: l.id,
    status: 'active',
    mode: 'instance',
    name: l.name,
    ...(l.address ? { address: { text: l.address } } : {}),
    ...(l.phoneE164 ? { telecom: [{ system: 'phone' as const, value: l.phoneE164 }] } : {}),
    extension: [{ url: TIMEZONE_EXTENSION, valueCode: l.timeZone }],
  };
}

/** A kind of visit (new patient, follow-up, video) as the service a doctor offers. */
export function toHealthcareService(v: VisitKind): HealthcareService {
  return {
    resourceType: 'HealthcareService',
    id: v.id,
    active: true,
    name: v.name,
    type: [serviceType(v)],
    comment: `${v.durationMinutes} minutes${v.telehealth ? ', by video' : ''}`,
    appointmentRequired: true,
    ...(v.telehealth ? { characteristic: [{ text: 'telehealth' }] } : {}),
  };
}

/** Each doctor's one calendar: the Schedule its Slots point at (the same id as the doctor). */
export function toSchedule(d: Doctor, dir: ClinicDirectory): Schedule {
  const actor: Reference[] = [{ reference: `Practitioner/${d.id}`, display: d.fullName }, ...d.locationIds.map((id) => ({ reference: `Location/${id}` }))];
  return {
    resourceType: 'Schedule',
    id: d.id,
    active: true,
    actor: actor as Schedule['actor'],
    specialty: d.specializations.map(specialty),
    serviceType: dir.visitTypes.filter((v) => v.doctorIds.includes(d.id)).map(serviceType),
    comment: `Free times are computed when asked for, in ${d.timeZone}.`,
  };
}

export const slotId = (doctorId: string, start: number) => `${doctorId}.${start}`;

export function toSlot(doctorId: string, s: { start: number; end: number }, kind: VisitKind | null): Slot {
  return {
    resourceType: 'Slot',
    id: slotId(doctorId, s.start),
    schedule: { reference: `Schedule/${doctorId}` },
    status: 'free',
    start: new Date(s.start).toISOString(),
    end: new Date(s.end).toISOString(),
    ...(kind ? { serviceType: [serviceType(kind)] } : {}),
  };
}

const STATUS: Record<AppointmentView['status'], Appointment['status']> = { booked: 'booked', cancelled: 'cancelled', completed: 'fulfilled', no_show: 'noshow', held: 'pending' };

/** An appointment as FHIR carries it: who (by reference only, never a name), when, where, what kind, its state. */
export function toAppointment(a: AppointmentView, kinds?: Map<string, VisitKind>): Appointment {
  const kind = a.visitTypeId ? kinds?.get(a.visitTypeId) : undefined;
  return {
    resourceType: 'Appointment',
    id: a.id,
    status: STATUS[a.status],
    start: a.startsAt.toISOString(),
    end: a.endsAt.toISOString(),
    minutesDuration: Math.round((a.endsAt.getTime() - a.startsAt.getTime()) / 60_000),
    ...(kind ? { serviceType: [serviceType(kind)] } : {}),
    participant: [
      { actor: { reference: `Practitioner/${a.doctorId}` }, status: 'accepted', required: 'required' },
      { actor: { reference: `Patient/${a.patientId}` }, status: 'accepted', required: 'required' },
      ...(a.locationId ? [{ actor: { reference: `Location/${a.locationId}` }, status: 'accepted' as const, required: 'required' as const }] : []),
    ],
  };
}

/** A free time offered by $find: no patient yet, nothing booked. */
export function toProposedAppointment(doctorId: string, s: { start: number; end: number; locationId?: string | null }, kind: VisitKind | null): Appointment {
  return {
    resourceType: 'Appointment',
    status: 'proposed',
    start: new Date(s.start).toISOString(),
    end: new Date(s.end).toISOString(),
    minutesDuration: Math.round((s.end - s.start) / 60_000),
    slot: [{ reference: `Slot/${slotId(doctorId, s.start)}` }],
    ...(kind ? { serviceType: [serviceType(kind)] } : {}),
    participant: [
      { actor: { reference: `Practitioner/${doctorId}` }, status: 'needs-action', required: 'required' },
      ...(s.locationId ? [{ actor: { reference: `Location/${s.locationId}` }, status: 'needs-action' as const, required: 'required' as const }] : []),
    ],
  };
}

export function toPatient(p: PatientView): Patient {
  return {
    resourceType: 'Patient',
    id: p.id,
    name: [{ text: p.fullName }],
    birthDate: p.dateOfBirth,
    telecom: p.phoneE164 ? [{ system: 'phone', value: p.phoneE164, use: 'mobile' }] : [],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.locale }] }, preferred: true }],
  };
}
