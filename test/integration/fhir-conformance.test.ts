import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';
import { freePort, startApp, type HttpApp } from '../support/http-app';

/**
 * Conformance (issue 16, item 3): fhir-kit-client, a FHIR client library in wide use, runs against
 * the running server in a process of its own (test/conformance/fhir-kit-client.mts). It discovers
 * the token address from the CapabilityStatement, searches slots across pages, books, finds the
 * booking, gets 409 for a taken time and 400 OperationOutcomes for nonsense, and cancels.
 */
const NY = 'America/New_York';
let h: Harness;
let app: HttpApp;
let seen: Record<string, any>;
let doctorId: string;
let patientId: string;
let port: number;

beforeAll(async () => {
  h = await createHarness('fhir_conformance', { now: '2026-11-30T13:00:00Z' });
  const admin = await insertAdmin(h.db, { name: 'Ada', email: 'ada@fhir-kit.test' });
  doctorId = (await insertDoctor(h.db, { name: 'Kit Client', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '11:00' }] })).doctorId;
  patientId = (await insertPatient(h.db, { name: 'Kit Patient', phone: '+15550840001', dateOfBirth: '1975-05-05', timeZone: NY })).patientId;
  const other = (await insertPatient(h.db, { name: 'Kit Other', phone: '+15550840002', dateOfBirth: '1976-06-06', timeZone: NY })).patientId;
  // The public address names the real port: Bundle links and the token address must work as given.
  port = await freePort();
  app = await startApp(h, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, { port });
  const reply = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Kit EHR" scopes="system/Slot.read system/Appointment.read system/Appointment.write"')).map((r) => r.text).join('\n');
  const [, id, secret] = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(reply)!;
  const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
  const { stdout } = await promisify(execFile)(tsx, [path.join(__dirname, '../conformance/fhir-kit-client.mts')], {
    env: { ...process.env, FHIR_BASE: `http://127.0.0.1:${port}/fhir`, CLIENT_ID: id, CLIENT_SECRET: secret, DOCTOR: doctorId, PATIENT: patientId, OTHER_PATIENT: other, DAY: '2026-12-01' },
    timeout: 60_000,
  });
  seen = JSON.parse(stdout);
}, 90_000);
afterAll(async () => {
  await app.close();
  await h.close();
});

const clock = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toFormat('HH:mm');

it('discovers the token address from the CapabilityStatement and gets the scopes it asked for', () => {
  expect(seen.tokenUrl).toBe(`http://127.0.0.1:${port}/fhir/token`);
  expect(seen.scope).toBe('system/Slot.read system/Appointment.read system/Appointment.write');
  expect(seen.fhirVersion).toBe('4.0.1');
});

it('searches free slots and follows the next page', () => {
  expect(seen.slotPages.map((p: string[]) => p.map(clock))).toEqual([['09:00', '09:30'], ['10:00', '10:30']]);
});

it('books, finds the booking by patient and day, and cancels it', () => {
  expect(seen.created).toEqual({ status: 'booked', start: '2026-12-01T14:00:00.000Z' });
  expect(seen.foundIds).toEqual([seen.createdId]);
  expect([seen.cancelled, seen.readAfterCancel]).toEqual(['cancelled', 'cancelled']);
});

it('gets 409 for a taken time and 400 OperationOutcomes for nonsense, never a 500', () => {
  expect(seen.taken).toEqual({ status: 409, resourceType: 'OperationOutcome', code: 'conflict' });
  expect(seen.nonsense).toMatchObject({ status: 400, resourceType: 'OperationOutcome' });
  expect(seen.badSearch).toMatchObject({ status: 400, resourceType: 'OperationOutcome', code: 'invalid' });
});

it('runs $find: the cancelled time is proposed again', () => {
  expect(seen.findFirst).toMatchObject({ resourceType: 'Appointment', status: 'proposed', start: '2026-12-01T14:00:00.000Z' });
  expect(seen.findFirst.participant[0].actor.reference).toBe(`Practitioner/${doctorId}`);
});
