import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Actor } from '../../src/domain/actor';
import { insertAdmin, insertDoctor, insertLocation, insertPatient, insertSpecialization, insertVisitType } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';

/**
 * The FHIR API's scheduling half, as an EHR would use it: the clinic's directory (who practises
 * what, where, which kinds of visit), free Slots for one kind of visit, Appointment search, and
 * the $find / $hold / $book operations, all against the real database through the booking service.
 */

const NY = 'America/New_York';
let h: Harness;
let app: HttpApp;
let admin: Actor;
let cardio: Actor & { doctorId: string };
let derm: Actor & { doctorId: string };
let downtown: string;
let eastside: string;
let newVisit: string;
let followUp: string;
let patients: string[];

async function clientWith(scopes: string): Promise<string> {
  const reply = (await createAdminCommands(h.services)(admin, `fhir-clients add "EHR ${scopes}" scopes="${scopes}"`)).map((r) => r.text).join('\n');
  const [, id, secret] = /client_id (cc-[A-Za-z0-9_-]+), client_secret ([A-Za-z0-9_-]+)/.exec(reply)!;
  const res = await request(app.port, 'POST', '/fhir/token', new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  return JSON.parse(res.body).access_token;
}
const call = async (bearer: string, method: string, path: string, body?: unknown) => {
  const res = await request(app.port, method, path, body === undefined ? '' : JSON.stringify(body), { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }) });
  return { status: res.status, json: JSON.parse(res.body) };
};
type Entry = { resource: Record<string, any> };
const resources = (bundle: { entry?: Entry[] }) => (bundle.entry ?? []).map((e) => e.resource);
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toFormat('ccc HH:mm');

beforeAll(async () => {
  h = await createHarness('fhir_scheduling', { now: '2026-11-30T13:00:00Z' });
  admin = await insertAdmin(h.db, { name: 'Ada', email: 'ada@fhir-sched.test' });
  downtown = await insertLocation(h.db, { name: 'Downtown', address: '1 Main St', phone: '+15550100001', timeZone: NY });
  eastside = await insertLocation(h.db, { name: 'Eastside', address: '9 East Ave', timeZone: NY });
  const cardiology = await insertSpecialization(h.db, 'Cardiology');
  const dermatology = await insertSpecialization(h.db, 'Dermatology');
  cardio = await insertDoctor(h.db, { name: 'Carla Heart', timeZone: NY, specializationIds: [cardiology], hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00', locationId: downtown }] });
  derm = await insertDoctor(h.db, { name: 'Dan Skin', timeZone: NY, specializationIds: [dermatology], hours: [{ weekdays: [1, 2, 3, 4, 5], start: '13:00', end: '15:00', locationId: eastside }] });
  newVisit = await insertVisitType(h.db, { name: 'New patient visit', durationMinutes: 45, doctorIds: [cardio.doctorId], defaultFor: [] });
  followUp = await insertVisitType(h.db, { name: 'Follow-up', durationMinutes: 20, doctorIds: [cardio.doctorId, derm.doctorId], defaultFor: [] });
  patients = [];
  for (let i = 0; i < 4; i++) patients.push((await insertPatient(h.db, { name: `Sched Patient ${i}`, phone: `+1555083000${i}`, dateOfBirth: '1980-01-01', timeZone: NY })).patientId);
  app = await startApp(h, { PUBLIC_BASE_URL: 'https://bot.clinic.test' });
});
afterAll(async () => {
  await app.close();
  await h.close();
});

describe('the directory', () => {
  it('serves who practises what and where, with system/*.read, searchable by specialty, location and service', async () => {
    const bearer = await clientWith('system/*.read');
    const roles = await call(bearer, 'GET', '/fhir/PractitionerRole?specialty=cardiology');
    expect(resources(roles.json)).toEqual([
      expect.objectContaining({
        resourceType: 'PractitionerRole',
        practitioner: { reference: `Practitioner/${cardio.doctorId}`, display: 'Carla Heart' },
        location: [{ reference: `Location/${downtown}` }],
        healthcareService: expect.arrayContaining([{ reference: `HealthcareService/${newVisit}`, display: 'New patient visit' }, { reference: `HealthcareService/${followUp}`, display: 'Follow-up' }]),
      }),
    ]);
    expect(resources((await call(bearer, 'GET', `/fhir/PractitionerRole?location=Location/${eastside}`)).json).map((r) => r.id)).toEqual([derm.doctorId]);
    expect(resources((await call(bearer, 'GET', `/fhir/PractitionerRole?service=HealthcareService/${followUp}`)).json).map((r) => r.id).sort()).toEqual([cardio.doctorId, derm.doctorId].sort());

    const place = await call(bearer, 'GET', `/fhir/Location/${downtown}`);
    expect(place.json).toMatchObject({ resourceType: 'Location', name: 'Downtown', address: { text: '1 Main St' }, telecom: [{ system: 'phone', value: '+15550100001' }] });
    expect(place.json.extension[0].valueCode).toBe(NY);
    expect(resources((await call(bearer, 'GET', '/fhir/Location?name=east')).json).map((r) => r.name)).toEqual(['Eastside']);

    const services = resources((await call(bearer, 'GET', '/fhir/HealthcareService')).json);
    expect(services.map((s) => [s.name, s.comment])).toEqual(expect.arrayContaining([['New patient visit', '45 minutes'], ['Follow-up', '20 minutes']]));

    const schedules = resources((await call(bearer, 'GET', `/fhir/Schedule?actor=Practitioner/${derm.doctorId}`)).json);
    expect(schedules).toEqual([expect.objectContaining({ id: derm.doctorId, actor: [{ reference: `Practitioner/${derm.doctorId}`, display: 'Dan Skin' }, { reference: `Location/${eastside}` }] })]);
    expect(schedules[0].serviceType.map((c: { text: string }) => c.text)).toEqual(['Follow-up']);
    expect(resources((await call(bearer, 'GET', `/fhir/Schedule?service-type=${encodeURIComponent('New patient visit')}`)).json).map((r) => r.id)).toEqual([cardio.doctorId]);
  });

  it('refuses a search parameter it does not know rather than return everything, and writes without a write scope', async () => {
    const bearer = await clientWith('system/*.read');
    const typo = await call(bearer, 'GET', '/fhir/PractitionerRole?specialtyy=cardiology');
    expect([typo.status, typo.json.resourceType, typo.json.issue[0].code]).toEqual([400, 'OperationOutcome', 'not-supported']);
    expect((await call(bearer, 'GET', '/fhir/Location/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const write = await call(bearer, 'POST', '/fhir/Appointment/$hold', { resourceType: 'Appointment' });
    expect(write.status).toBe(403);
  });
});

describe('Slots for a kind of visit', () => {
  it('gives slots as long as the visit asked for, reads one back, and 404s it once it is booked', async () => {
    const bearer = await clientWith('system/Slot.read system/Appointment.write');
    const day = 'start=ge2026-12-01&start=lt2026-12-02';
    const slots = resources((await call(bearer, 'GET', `/fhir/Slot?schedule.actor=Practitioner/${cardio.doctorId}&${day}&service-type=${newVisit}`)).json);
    expect(slots.map((s) => ny(s.start))).toEqual(['Tue 09:00', 'Tue 09:45', 'Tue 10:30', 'Tue 11:15']);
    expect(slots[0].serviceType[0].text).toBe('New patient visit');
    expect(DateTime.fromISO(slots[0].end).diff(DateTime.fromISO(slots[0].start), 'minutes').minutes).toBe(45);
    // The dermatologist does not offer new patient visits: no slots, not an error.
    expect((await call(bearer, 'GET', `/fhir/Slot?schedule=Schedule/${derm.doctorId}&${day}&service-type=${newVisit}`)).json.entry).toEqual([]);
    expect((await call(bearer, 'GET', `/fhir/Slot?schedule=Schedule/${derm.doctorId}&${day}&service-type=nothing-like-it`)).status).toBe(400);

    const one = await call(bearer, 'GET', `/fhir/Slot/${slots[0].id}`);
    expect([one.status, one.json.start]).toEqual([200, slots[0].start]);
    const booked = await call(bearer, 'POST', '/fhir/Appointment', {
      resourceType: 'Appointment',
      start: slots[0].start,
      serviceType: [{ coding: [{ system: 'urn:clinic-concierge:visit-type', code: newVisit }] }],
      participant: [{ actor: { reference: `Practitioner/${cardio.doctorId}` } }, { actor: { reference: `Patient/${patients[0]}` } }],
    });
    expect(booked.status).toBe(201);
    expect(booked.json).toMatchObject({ minutesDuration: 45, serviceType: [{ text: 'New patient visit' }] });
    expect(booked.json.participant).toContainEqual(expect.objectContaining({ actor: { reference: `Location/${downtown}` } }));
    expect((await call(bearer, 'GET', `/fhir/Slot/${slots[0].id}`)).status).toBe(404);
  });
});

describe('Appointment search', () => {
  let bearer: string;
  beforeAll(async () => {
    bearer = await clientWith('system/Appointment.read system/Appointment.write');
    for (const [i, at] of ['2026-12-02T14:00:00Z', '2026-12-02T15:00:00Z', '2026-12-03T14:00:00Z', '2026-12-04T14:00:00Z'].entries()) {
      const res = await call(bearer, 'POST', '/fhir/Appointment', {
        resourceType: 'Appointment',
        start: at,
        participant: [{ actor: { reference: `Practitioner/${cardio.doctorId}` } }, { actor: { reference: `Patient/${patients[1 + (i % 2)]}` } }],
      });
      expect(res.status).toBe(201);
    }
    const last = await call(bearer, 'GET', `/fhir/Appointment?patient=Patient/${patients[2]}&date=2026-12-04`);
    await call(bearer, 'PATCH', `/fhir/Appointment/${resources(last.json)[0].id}`, [{ op: 'replace', path: '/status', value: 'cancelled' }]);
  });

  it('finds by patient, practitioner, calendar day (the clinic\'s) and status, soonest first', async () => {
    const mine = resources((await call(bearer, 'GET', `/fhir/Appointment?patient=Patient/${patients[1]}`)).json);
    expect(mine.map((a) => [ny(a.start), a.status])).toEqual([['Wed 09:00', 'booked'], ['Thu 09:00', 'booked']]);
    const wednesday = resources((await call(bearer, 'GET', `/fhir/Appointment?practitioner=Practitioner/${cardio.doctorId}&date=2026-12-02`)).json);
    expect(wednesday.map((a) => ny(a.start))).toEqual(['Wed 09:00', 'Wed 10:00']);
    const range = resources((await call(bearer, 'GET', `/fhir/Appointment?actor=Practitioner/${cardio.doctorId}&date=ge2026-12-03&date=lt2026-12-05&status=booked`)).json);
    expect(range.map((a) => ny(a.start))).toEqual(['Thu 09:00']);
    const cancelled = resources((await call(bearer, 'GET', `/fhir/Appointment?patient=Patient/${patients[2]}&status=cancelled`)).json);
    expect(cancelled.map((a) => ny(a.start))).toEqual(['Fri 09:00']);
  });

  it('pages with a next link, records each search with its patient, and refuses what it cannot search', async () => {
    const page1 = await call(bearer, 'GET', `/fhir/Appointment?practitioner=Practitioner/${cardio.doctorId}&status=booked&_count=2`);
    expect(resources(page1.json)).toHaveLength(2);
    const next = new URL(page1.json.link.find((l: { relation: string }) => l.relation === 'next').url);
    const page2 = await call(bearer, 'GET', next.pathname + next.search);
    expect(resources(page2.json).length).toBeGreaterThanOrEqual(1);
    expect(new Set([...resources(page1.json), ...resources(page2.json)].map((a) => a.id)).size).toBe(resources(page1.json).length + resources(page2.json).length);

    const [{ n }] = await h.db.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'appointment.search' AND patient_id = :p AND channel = 'fhir'`, {
      replacements: { p: patients[1] },
      type: QueryTypes.SELECT,
    });
    expect(Number(n)).toBeGreaterThanOrEqual(1);
    for (const bad of ['/fhir/Appointment?doctor=x', '/fhir/Appointment?status=maybe', '/fhir/Appointment?date=next-week', '/fhir/Appointment?patient=Practitioner/' + cardio.doctorId]) {
      const res = await call(bearer, 'GET', bad);
      expect([bad, res.status, res.json.resourceType]).toEqual([bad, 400, 'OperationOutcome']);
    }
  });
});

describe('$find, $hold and $book', () => {
  let bearer: string;
  beforeAll(async () => {
    bearer = await clientWith('system/Slot.read system/Appointment.read system/Appointment.write');
  });

  it('$find proposes the soonest free times across doctors, narrowed by specialty, kind of visit or place', async () => {
    const all = await call(bearer, 'GET', '/fhir/Appointment/$find?start=2026-12-07&end=2026-12-07&_count=50');
    expect(all.status).toBe(200);
    const proposed = resources(all.json);
    expect(all.json.total).toBe(proposed.length);
    expect(proposed.every((a) => a.status === 'proposed')).toBe(true);
    const doctorsSeen = new Set(proposed.map((a) => a.participant[0].actor.reference));
    expect(doctorsSeen).toEqual(new Set([`Practitioner/${cardio.doctorId}`, `Practitioner/${derm.doctorId}`]));
    expect(proposed.map((a) => a.start)).toEqual([...proposed.map((a) => a.start)].sort());

    const skin = resources((await call(bearer, 'POST', '/fhir/Appointment/$find', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'start', valueDateTime: '2026-12-07T00:00:00-05:00' },
        { name: 'end', valueDateTime: '2026-12-08T00:00:00-05:00' },
        { name: 'specialty', valueString: 'dermatology' },
        { name: 'visit-type', valueString: 'Follow-up' },
      ],
    })).json);
    expect(skin.map((a) => ny(a.start)).slice(0, 3)).toEqual(['Mon 13:00', 'Mon 13:20', 'Mon 13:40']);
    expect(skin[0].participant).toContainEqual(expect.objectContaining({ actor: { reference: `Location/${eastside}` } }));
    const downtownOnly = resources((await call(bearer, 'GET', `/fhir/Appointment/$find?start=2026-12-07&end=2026-12-07&location-reference=Location/${downtown}`)).json);
    expect(new Set(downtownOnly.map((a) => a.participant[0].actor.reference))).toEqual(new Set([`Practitioner/${cardio.doctorId}`]));
    for (const bad of ['/fhir/Appointment/$find', '/fhir/Appointment/$find?start=2026-12-07&end=2027-03-01', '/fhir/Appointment/$find?start=2026-12-07&end=2026-12-08&visit-type=surgery']) {
      expect((await call(bearer, 'GET', bad)).status).toBe(400);
    }
  });

  it('$hold keeps a proposed time for one patient (409 for the next), $find stops proposing it, and $book makes it a booking', async () => {
    const [first] = resources((await call(bearer, 'GET', `/fhir/Appointment/$find?start=2026-12-08&end=2026-12-08&practitioner=Practitioner/${derm.doctorId}`)).json);
    const withPatient = (patientId: string) => ({ ...first, participant: [...first.participant, { actor: { reference: `Patient/${patientId}` }, status: 'needs-action' }] });
    const held = await call(bearer, 'POST', '/fhir/Appointment/$hold', { resourceType: 'Parameters', parameter: [{ name: 'appointment-resource', resource: withPatient(patients[3]) }] });
    expect(held.status).toBe(200);
    const pending = resources(held.json).find((r) => r.resourceType === 'Appointment')!;
    expect(pending).toMatchObject({ status: 'pending', start: first.start });
    expect(resources(held.json).find((r) => r.resourceType === 'OperationOutcome')!.issue[0].diagnostics).toMatch(/^Held until /);

    const other = await call(bearer, 'POST', '/fhir/Appointment/$hold', withPatient(patients[0]));
    expect([other.status, other.json.resourceType]).toEqual([409, 'OperationOutcome']);
    const again = resources((await call(bearer, 'GET', `/fhir/Appointment/$find?start=2026-12-08&end=2026-12-08&practitioner=Practitioner/${derm.doctorId}`)).json);
    expect(again.map((a) => a.start)).not.toContain(first.start);

    const booked = await call(bearer, 'POST', '/fhir/Appointment/$book', { resourceType: 'Parameters', parameter: [{ name: 'appointment-reference', valueReference: { reference: `Appointment/${pending.id}` } }] });
    expect(booked.status).toBe(200);
    const appointment = resources(booked.json)[0];
    expect(appointment).toMatchObject({ resourceType: 'Appointment', status: 'booked', start: first.start });
    expect(appointment.participant).toContainEqual(expect.objectContaining({ actor: { reference: `Patient/${patients[3]}` } }));
    // One booking at that time, the hold gone.
    const rows = await h.db.sequelize.query<{ status: string }>(`SELECT status FROM appointments WHERE doctor_id = :d AND starts_at = :s`, {
      replacements: { d: derm.doctorId, s: new Date(first.start) },
      type: QueryTypes.SELECT,
    });
    expect(rows.map((r) => r.status)).toEqual(['booked']);
    // Booking it twice is not a second booking.
    const twice = await call(bearer, 'POST', '/fhir/Appointment/$book', { resourceType: 'Parameters', parameter: [{ name: 'appointment-reference', valueReference: { reference: `Appointment/${appointment.id}` } }] });
    expect(twice.status).toBe(422);
  });

  it('$book takes a proposed Appointment straight away, and answers a taken one with 409', async () => {
    const [first] = resources((await call(bearer, 'GET', `/fhir/Appointment/$find?start=2026-12-09&end=2026-12-09&practitioner=Practitioner/${cardio.doctorId}&visit-type=${followUp}`)).json);
    const mine = { ...first, participant: [...first.participant, { actor: { reference: `Patient/${patients[0]}` } }] };
    const booked = await call(bearer, 'POST', '/fhir/Appointment/$book', mine);
    expect(booked.status).toBe(200);
    expect(resources(booked.json)[0]).toMatchObject({ status: 'booked', minutesDuration: 20 });
    const taken = await call(bearer, 'POST', '/fhir/Appointment/$book', { ...first, participant: [...first.participant, { actor: { reference: `Patient/${patients[3]}` } }] });
    expect([taken.status, taken.json.issue[0].code]).toEqual([409, 'conflict']);
    const noPatient = await call(bearer, 'POST', '/fhir/Appointment/$book', first);
    expect(noPatient.status).toBe(400);
    expect((await call(bearer, 'POST', '/fhir/Appointment/$book', { resourceType: 'Parameters', parameter: [{ name: 'appointment-reference', valueReference: { reference: 'Appointment/00000000-0000-4000-8000-000000000000' } }] })).status).toBe(404);
  });
});

describe('probed as an attacker would', () => {
  it('answers hostile and malformed requests with 4xx OperationOutcomes, never a 500', async () => {
    const bearer = await clientWith('system/*.read system/*.write');
    const probes: Array<[string, string, unknown?]> = [
      ['GET', '/fhir/Foo'],
      ['DELETE', `/fhir/Appointment/${patients[0]}`],
      ['GET', '/fhir/Appointment/not-a-uuid'],
      ['GET', `/fhir/Appointment?patient=${encodeURIComponent("Patient/' OR 1=1 --")}`],
      ['GET', `/fhir/Slot?schedule.actor=Practitioner/${cardio.doctorId}&start=ge2026-12-01&start=ge9999-99-99`],
      ['GET', `/fhir/Slot/${cardio.doctorId}.notanumber`],
      ['GET', '/fhir/Slot/../../etc/passwd'],
      ['GET', '/fhir/Appointment/$find?start=2026-12-01&end=2026-12-02&practitioner=Location/' + downtown],
      ['POST', '/fhir/Appointment/$hold', { resourceType: 'Parameters', parameter: [{ name: 'appointment-reference', valueReference: { reference: 'Appointment/1' } }] }],
      ['POST', '/fhir/Appointment/$book', { resourceType: 'Parameters', parameter: [{ name: 'appointment-reference', valueReference: { reference: 'Patient/' + patients[0] } }] }],
      ['POST', '/fhir/Appointment', { resourceType: 'Appointment', start: '2026-12-02T14:00:00Z', participant: [{ actor: { reference: `Practitioner/${cardio.doctorId}` } }, { actor: { reference: 'Patient/00000000-0000-4000-8000-000000000000' } }] }],
      ['PUT', `/fhir/Appointment/${patients[0]}`, { resourceType: 'Appointment', status: 'cancelled' }],
      ['POST', '/fhir/Appointment', { resourceType: 'Appointment', start: '2026-12-02T14:00:00Z', serviceType: [{ text: 'x'.repeat(5000) }], participant: [] }],
    ];
    for (const [method, path, body] of probes) {
      const res = await call(bearer, method, path, body);
      expect([method, path, res.status >= 400 && res.status < 500, res.json.resourceType]).toEqual([method, path, true, 'OperationOutcome']);
    }
    // A page size out of range is brought into it, not refused.
    const clamped = await call(bearer, 'GET', '/fhir/Appointment?_count=-5&_offset=abc');
    expect([clamped.status, (clamped.json.entry ?? []).length <= 1]).toEqual([200, true]);
    const huge = await request(app.port, 'POST', '/fhir/Appointment', JSON.stringify({ resourceType: 'Appointment', description: 'x'.repeat(200_000) }), {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/fhir+json',
    });
    expect(huge.status).toBe(413);
  });
});
