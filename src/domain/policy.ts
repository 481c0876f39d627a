import type { Actor } from './actor';
import { ForbiddenError } from './errors';

/**
 * The one place that says who may do what. Services call these before touching data; dialogs and
 * channels are never trusted to have checked. Each function throws ForbiddenError or returns.
 */

export function requireAdmin(actor: Actor, action: string): void {
  if (actor.role !== 'admin') throw new ForbiddenError(action);
}

/** A patient acts only for themself; an admin for anyone (front desk). Doctors do not book. */
export function requireActForPatient(actor: Actor, patientId: string, action: string): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'patient' && actor.patientId === patientId) return;
  throw new ForbiddenError(action);
}

/** A doctor manages their own hours and time off; an admin manages anyone's. */
export function requireManageDoctor(actor: Actor, doctorId: string, action: string): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'doctor' && actor.doctorId === doctorId) return;
  throw new ForbiddenError(action);
}

/** Seeing or changing one appointment: its patient, its doctor, or an admin. */
export function requireAppointmentAccess(
  actor: Actor,
  appointment: { patientId: string; doctorId: string },
  action: string,
): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'patient' && actor.patientId === appointment.patientId) return;
  if (actor.role === 'doctor' && actor.doctorId === appointment.doctorId) return;
  throw new ForbiddenError(action);
}

/**
 * Reading a patient's details: the patient, an admin, or a doctor who has an appointment with them.
 * `hasAppointmentWithDoctor` is looked up by the caller, so this stays free of I/O.
 */
export function requireReadPatient(
  actor: Actor,
  patientId: string,
  hasAppointmentWithDoctor: boolean,
  action: string,
): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'patient' && actor.patientId === patientId) return;
  if (actor.role === 'doctor' && hasAppointmentWithDoctor) return;
  throw new ForbiddenError(action);
}

/** Recording how an appointment went: its doctor or an admin. */
export function requireRecordOutcome(actor: Actor, appointment: { doctorId: string }, action: string): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'doctor' && actor.doctorId === appointment.doctorId) return;
  throw new ForbiddenError(action);
}

/**
 * Booking a recurring series (ten weekly physio sessions): the patient for themself, an admin for
 * anyone, and a doctor with themself for a patient they already see (`seesDoctor`, looked up by
 * the caller). A doctor books no one else's time and no stranger's.
 */
export function requireBookSeries(actor: Actor, patientId: string, doctorId: string, seesDoctor: boolean, action: string): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'patient' && actor.patientId === patientId) return;
  if (actor.role === 'doctor' && actor.doctorId === doctorId && seesDoctor) return;
  throw new ForbiddenError(action);
}
