import { insertDoctor, insertPatient } from '../../src/db/records';
import { loadCalendar, loadDoctorCalendar, OCCUPIED_OVERLAPS } from '../../src/services/calendar';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * What is busy in a window of a doctor's calendar: every appointment whose occupied time (visit
 * and buffers) reaches into the window, and only those; found through the doctor exclusion
 * constraint's index, so a doctor with years of appointments costs what a new doctor costs.
 */
let t: TestDatabase;
let doctorId: string;
const NY = 'America/New_York';
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestDatabase('busy_window');
  doctorId = (await insertDoctor(t.db, { name: 'Bea Busy', timeZone: NY })).doctorId;
  const { patientId } = await insertPatient(t.db, { name: 'Pat Past', phone: '+15550770001', dateOfBirth: '1970-01-01', timeZone: NY });
  // Four years of daily appointments before the window, as an established doctor has.
  await t.db.sequelize.query(
    `INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, channel, created_at, updated_at)
     SELECT :doctorId, :patientId, g, g + interval '30 minutes', 'sms', now(), now()
       FROM generate_series(timestamptz '2022-01-03 14:00Z', timestamptz '2025-12-31 14:00Z', interval '1 day') g`,
    { replacements: { doctorId, patientId } },
  );
  // Around the window asked for (2027-03-10 15:00 to 16:00 UTC, read from 13:00 to 18:00 to see
  // buffers that reach in): a visit whose buffer reaches into it, one inside it, and one that ends
  // exactly as the read starts (ranges are half-open: not busy).
  await t.db.sequelize.query(
    `INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, buffer_after_minutes, channel, created_at, updated_at) VALUES
       (:doctorId, :patientId, '2027-03-10 14:20Z', '2027-03-10 14:50Z', 15, 'sms', now(), now()),
       (:doctorId, :patientId, '2027-03-10 15:30Z', '2027-03-10 16:00Z', 0, 'sms', now(), now()),
       (:doctorId, :patientId, '2027-03-10 12:30Z', '2027-03-10 13:00Z', 0, 'sms', now(), now())`,
    { replacements: { doctorId, patientId } },
  );
  await t.db.sequelize.query('ANALYZE appointments');
});
afterAll(async () => t?.drop());

it('finds the appointments whose visit or buffers reach into the window, and no others', async () => {
  const expected = [
    { start: at('2027-03-10T14:20Z').getTime(), end: at('2027-03-10T15:05Z').getTime() },
    { start: at('2027-03-10T15:30Z').getTime(), end: at('2027-03-10T16:00Z').getTime() },
  ];
  const several = await loadCalendar(t.db, doctorId, at('2027-03-10T15:00Z'), at('2027-03-10T16:00Z'));
  expect(several.busy).toEqual(expect.arrayContaining(expected));
  const one = await loadDoctorCalendar(t.db, doctorId, at('2027-03-10T15:00Z'), at('2027-03-10T16:00Z'));
  expect(one!.calendar.busy).toEqual(expect.arrayContaining(expected));
  // Nothing from the years before, nor the visit that ends as the read starts.
  expect(several.busy).toHaveLength(2);
  expect(one!.calendar.busy).toHaveLength(2);
});

it('reads the window through the doctor exclusion index, with the time range in the index condition', async () => {
  const [[{ 'QUERY PLAN': plan }]] = (await t.db.sequelize.query(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM appointments
      WHERE doctor_id = :doctorId AND status <> 'cancelled' AND ${OCCUPIED_OVERLAPS(":from::timestamptz", ":to::timestamptz")}`,
    { replacements: { doctorId, from: '2027-03-10T15:00Z', to: '2027-03-10T16:00Z' } },
  )) as unknown as [[{ 'QUERY PLAN': unknown }]];
  const nodes: Array<Record<string, unknown>> = [];
  const walk = (n: Record<string, unknown>) => {
    nodes.push(n);
    for (const c of (n.Plans as Array<Record<string, unknown>>) ?? []) walk(c);
  };
  walk((plan as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
  const scan = nodes.find((n) => n['Index Name'] === 'appointments_no_doctor_overlap');
  expect(scan).toBeDefined();
  expect(String(scan!['Index Cond'])).toMatch(/doctor_id = .*&&/s);
});
