import type { Actor } from '../../src/domain/actor';
import { ForbiddenError } from '../../src/domain/errors';
import {
  requireActForPatient,
  requireAdmin,
  requireAppointmentAccess,
  requireManageDoctor,
  requireReadPatient,
} from '../../src/domain/policy';

const admin: Actor = { userId: 'u-admin', role: 'admin' };
const alice: Actor = { userId: 'u-alice', role: 'patient', patientId: 'p-alice' };
const bob: Actor = { userId: 'u-bob', role: 'patient', patientId: 'p-bob' };
const drA: Actor = { userId: 'u-dra', role: 'doctor', doctorId: 'd-a' };
const drB: Actor = { userId: 'u-drb', role: 'doctor', doctorId: 'd-b' };
const appt = { patientId: 'p-alice', doctorId: 'd-a' };

const allowed = (fn: () => void) => expect(fn).not.toThrow();
const refused = (fn: () => void) => expect(fn).toThrow(ForbiddenError);

describe('the role policy', () => {
  it('lets only admins run admin actions', () => {
    allowed(() => requireAdmin(admin, 'x'));
    for (const a of [alice, drA]) refused(() => requireAdmin(a, 'x'));
  });

  it('lets a patient act only for themself, and the front desk (admin) for anyone', () => {
    allowed(() => requireActForPatient(alice, 'p-alice', 'x'));
    allowed(() => requireActForPatient(admin, 'p-alice', 'x'));
    refused(() => requireActForPatient(bob, 'p-alice', 'x'));
    refused(() => requireActForPatient(drA, 'p-alice', 'x'));
  });

  it('lets a doctor manage only their own availability', () => {
    allowed(() => requireManageDoctor(drA, 'd-a', 'x'));
    allowed(() => requireManageDoctor(admin, 'd-a', 'x'));
    refused(() => requireManageDoctor(drB, 'd-a', 'x'));
    refused(() => requireManageDoctor(alice, 'd-a', 'x'));
  });

  it('opens an appointment to its patient, its doctor and admins only', () => {
    for (const a of [alice, drA, admin]) allowed(() => requireAppointmentAccess(a, appt, 'x'));
    for (const a of [bob, drB]) refused(() => requireAppointmentAccess(a, appt, 'x'));
  });

  it('lets a doctor read a patient only when they share an appointment', () => {
    allowed(() => requireReadPatient(drA, 'p-alice', true, 'x'));
    refused(() => requireReadPatient(drB, 'p-alice', false, 'x'));
    refused(() => requireReadPatient(bob, 'p-alice', false, 'x'));
    allowed(() => requireReadPatient(alice, 'p-alice', false, 'x'));
  });

  it('refuses an actor whose role does not match the id it carries', () => {
    // A doctor actor carrying a patient id (a forged or mixed-up actor) is still not that patient.
    refused(() => requireActForPatient({ userId: 'u-x', role: 'doctor', patientId: 'p-alice' }, 'p-alice', 'x'));
  });
});
