import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Actor } from '../../src/domain/actor';
import { insertAdmin, insertDoctor } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';

/**
 * The FHIR API's first part over HTTP: a client an admin registers trades its credentials for a
 * short-lived token, reads the CapabilityStatement, Practitioners and free Slots (computed, paged);
 * no token, a wrong scope or bad input get OperationOutcomes, never a 500.
 */

const NY = 'America/New_York';
let h: Harness;
let app: HttpApp;
let admin: Actor;
let doctor: Actor & { doctorId: string };
let client: { id: string; secret: string };

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
async function token(scope?: string): Promise<{ status: number; json: Record<string, string> }> {
  const res = await request(app.port, 'POST', '/fhir/token', form({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret, ...(scope ? { scope } : {}) }), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  return { status: res.status, json: JSON.parse(res.body) };
}
const get = async (path: string, bearer?: string) => {
  const res = await request(app.port, 'GET', path, '', bearer ? { authorization: `Bearer ${bearer}` } : {});
  return { status: res.status, type: String(res.headers['content-type']), json: JSON.parse(res.body) };
};

beforeAll(async () => {
  h = await createHarness('fhir_api', { now: '2026-11-30T13:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Ada', email: 'ada@fhir.test' });
  doctor = await insertDoctor(h.db, { name: 'Fay Hir', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  app = await startApp(h, { PUBLIC_BASE_URL: 'https://bot.clinic.test' });
  const reply = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Acme EHR" scopes="system/Slot.read system/Practitioner.read"')).map((r) => r.text).join('\n');
  const m = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(reply)!;
  client = { id: m[1], secret: m[2] };
});
afterAll(async () => {
  await app.close();
  await h.close();
});

it('serves the CapabilityStatement without a token, naming the token endpoint', async () => {
  const res = await get('/fhir/metadata');
  expect(res.status).toBe(200);
  expect(res.type).toMatch(/^application\/fhir\+json/);
  expect(res.json).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
  expect(JSON.stringify(res.json)).toContain('https://bot.clinic.test/fhir/token');
});

it('issues a short-lived token for client credentials, and refuses a wrong secret or a scope not given', async () => {
  const ok = await token();
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'system/Slot.read system/Practitioner.read' });
  client = { ...client, secret: `${client.secret}x` };
  expect((await token()).status).toBe(401);
  client = { ...client, secret: client.secret.slice(0, -1) };
  expect((await token('system/Appointment.write')).status).toBe(401);
  const badGrant = await request(app.port, 'POST', '/fhir/token', form({ grant_type: 'password' }), { 'content-type': 'application/x-www-form-urlencoded' });
  expect([badGrant.status, JSON.parse(badGrant.body).error]).toEqual([400, 'unsupported_grant_type']);
});

it('searches Practitioners and free Slots, paging with Bundle links', async () => {
  const bearer = (await token()).json.access_token;
  const practitioners = await get('/fhir/Practitioner', bearer);
  expect(practitioners.json.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([doctor.doctorId]);
  const slots = await get(`/fhir/Slot?schedule.actor=Practitioner/${doctor.doctorId}&start=ge2026-12-01&start=le2026-12-01&status=free&_count=4`, bearer);
  expect(slots.status).toBe(200);
  expect(slots.json.entry.map((e: { resource: { start: string } }) => DateTime.fromISO(e.resource.start, { zone: NY }).toFormat('HH:mm'))).toEqual(['09:00', '09:30', '10:00', '10:30']);
  expect(slots.json.entry[0].resource).toMatchObject({ resourceType: 'Slot', status: 'free', schedule: { reference: `Schedule/${doctor.doctorId}` } });
  const next = slots.json.link.find((l: { relation: string }) => l.relation === 'next').url as string;
  const page2 = await get(new URL(next).pathname + new URL(next).search, bearer);
  expect(page2.json.entry.map((e: { resource: { start: string } }) => DateTime.fromISO(e.resource.start, { zone: NY }).toFormat('HH:mm'))).toEqual(['11:00', '11:30']);
});

it('answers no token with 401, a missing scope with 403, bad input with 400: all OperationOutcomes', async () => {
  const none = await get(`/fhir/Slot?schedule.actor=Practitioner/${doctor.doctorId}`);
  expect([none.status, none.json.resourceType]).toEqual([401, 'OperationOutcome']);
  const slotOnly = (await token('system/Slot.read')).json.access_token;
  expect((await get('/fhir/Practitioner', slotOnly)).status).toBe(403);
  const bearer = (await token()).json.access_token;
  for (const path of ['/fhir/Slot', `/fhir/Slot?schedule.actor=Practitioner/${doctor.doctorId}&start=tomorrow`, `/fhir/Slot?schedule.actor=Practitioner/${doctor.doctorId}&start=ge2026-12-01&start=le2027-06-01`]) {
    const res = await get(path, bearer);
    expect([res.status, res.json.resourceType]).toEqual([400, 'OperationOutcome']);
  }
  expect((await get('/fhir/Practitioner/00000000-0000-4000-8000-000000000000', bearer)).status).toBe(404);
});

it('a revoked client loses its tokens at once', async () => {
  const bearer = (await token()).json.access_token;
  await createAdminCommands(h.services)(admin, `fhir-clients revoke ${client.id}`);
  expect((await get('/fhir/Practitioner', bearer)).status).toBe(401);
  expect((await token()).status).toBe(401);
});

describe('Appointments', () => {
  let bearer: string;
  let patientId: string;
  const post = (body: unknown, contentType = 'application/fhir+json') =>
    request(app.port, 'POST', '/fhir/Appointment', JSON.stringify(body), { authorization: `Bearer ${bearer}`, 'content-type': contentType });
  const appointment = (start: string) => ({
    resourceType: 'Appointment',
    status: 'booked',
    start,
    participant: [{ actor: { reference: `Practitioner/${doctor.doctorId}` } }, { actor: { reference: `Patient/${patientId}` } }],
  });

  beforeAll(async () => {
    const reply = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Booker EHR" scopes="system/Appointment.read system/Appointment.write"')).map((r) => r.text).join('\n');
    const m = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(reply)!;
    client = { id: m[1], secret: m[2] };
    bearer = (await token()).json.access_token;
    const { insertPatient } = await import('../../src/db/records');
    patientId = (await insertPatient(h.db, { name: 'Ehr Patient', phone: '+15550820001', dateOfBirth: '1970-01-01', timeZone: NY })).patientId;
  });

  it('creates through the booking service (201), reads it back, answers 409 for a taken time and cancels by PUT and PATCH', async () => {
    const created = await post(appointment('2026-12-02T14:00:00Z'));
    expect(created.status).toBe(201);
    const a = JSON.parse(created.body);
    expect(a).toMatchObject({ resourceType: 'Appointment', status: 'booked', start: '2026-12-02T14:00:00.000Z', end: '2026-12-02T14:30:00.000Z' });
    expect(created.headers.location).toBe(`https://bot.clinic.test/fhir/Appointment/${a.id}`);
    expect((await get(`/fhir/Appointment/${a.id}`, bearer)).json.status).toBe('booked');
    const taken = await post(appointment('2026-12-02T14:00:00Z'));
    expect([taken.status, JSON.parse(taken.body).issue[0].code]).toEqual([409, 'conflict']);
    const put = await request(app.port, 'PUT', `/fhir/Appointment/${a.id}`, JSON.stringify({ ...a, status: 'cancelled' }), { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' });
    expect([put.status, JSON.parse(put.body).status]).toEqual([200, 'cancelled']);
    const second = JSON.parse((await post(appointment('2026-12-03T14:30:00Z'))).body);
    const patch = await request(app.port, 'PATCH', `/fhir/Appointment/${second.id}`, JSON.stringify([{ op: 'replace', path: '/status', value: 'cancelled' }]), {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json-patch+json',
    });
    expect([patch.status, JSON.parse(patch.body).status]).toEqual([200, 'cancelled']);
    // Every read and write is in the audit trail, under the client's own account.
    const audit = await h.db.sequelize.query<{ display_name: string; action: string }>(
      `SELECT u.display_name, a.action FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE a.channel = 'fhir' ORDER BY a.id`,
      { type: (await import('sequelize')).QueryTypes.SELECT },
    );
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['appointment.book', 'fhir.appointment.read', 'appointment.cancel']));
    expect(new Set(audit.map((r) => r.display_name))).toEqual(new Set(['FHIR client: Booker EHR']));
  });

  it('refuses bad input with 400 and times that are not slots with 422, never a 500', async () => {
    for (const body of [{}, { resourceType: 'Patient' }, { ...appointment('not a date') }, { ...appointment('2026-12-02T14:00:00Z'), participant: [] }]) {
      const res = await post(body);
      expect([res.status, JSON.parse(res.body).resourceType]).toEqual([400, 'OperationOutcome']);
    }
    const offGrid = await post(appointment('2026-12-02T14:05:00Z'));
    expect(offGrid.status).toBe(422);
    const garbage = await request(app.port, 'POST', '/fhir/Appointment', '{not json', { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' });
    expect(garbage.status).toBeGreaterThanOrEqual(400);
    expect(garbage.status).toBeLessThan(500);
  });
});

describe('Patients', () => {
  it('reads and finds a patient by phone only with system/Patient.read, and records every read', async () => {
    const reply = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Chart EHR" scopes="system/Patient.read"')).map((r) => r.text).join('\n');
    const m = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(reply)!;
    client = { id: m[1], secret: m[2] };
    const bearer = (await token()).json.access_token;
    const { insertPatient } = await import('../../src/db/records');
    const p = await insertPatient(h.db, { name: 'Fhir Reader', phone: '+15550820002', dateOfBirth: '1971-02-03', timeZone: NY });
    const found = await get(`/fhir/Patient?identifier=${encodeURIComponent('phone|+15550820002')}`, bearer);
    expect(found.json).toMatchObject({ resourceType: 'Bundle', total: 1, entry: [{ resource: { resourceType: 'Patient', id: p.patientId, birthDate: '1971-02-03' } }] });
    const read = await get(`/fhir/Patient/${p.patientId}`, bearer);
    expect(read.json).toMatchObject({ name: [{ text: 'Fhir Reader' }], telecom: [{ system: 'phone', value: '+15550820002' }] });
    expect((await get('/fhir/Patient?phone=%2B15559999999', bearer)).json.total).toBe(0);
    expect((await get('/fhir/Patient', bearer)).status).toBe(400);
    const audited = await h.db.models.Audit.count({ where: { patientId: p.patientId, channel: 'fhir', outcome: 'allowed' } });
    expect(audited).toBe(2);
    // Without the scope, nothing.
    const slotClient = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Slots Only" scopes="system/Slot.read"')).map((r) => r.text).join('\n');
    const s = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(slotClient)!;
    client = { id: s[1], secret: s[2] };
    expect((await get(`/fhir/Patient/${p.patientId}`, (await token()).json.access_token)).status).toBe(403);
  });
});
