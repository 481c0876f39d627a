import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../src/db/migrator';
import { createServices } from '../../src/services';
import { noSlotLock } from '../../src/locks/slot-lock';
import { TestClock } from '../support/clock';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * The clinic-model migration on a copy holding data of the old shape: existing doctors, hours and
 * appointments keep working after it (a default location, a default visit type of each doctor's
 * slot length, the same free slots), and going down and up again loses nothing.
 */

const MIGRATION = '2026.11.28T10.00.00.locations-visit-types';
const ZONE = 'America/New_York';
let t: TestDatabase;
const q = <T extends object>(sql: string, replacements: Record<string, unknown> = {}) => t.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
const ny = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();

beforeAll(async () => {
  t = await createTestDatabase('clinic-model-migration');
  await createMigrator(t.db.sequelize).down({ to: MIGRATION });
  // Old-shape data: two doctors in two zones, weekly hours, a booked and a cancelled appointment.
  await t.db.sequelize.query(`
    INSERT INTO users (id, role, display_name) VALUES
      ('00000000-0000-4000-8000-000000000001', 'doctor', 'Anika Patel'),
      ('00000000-0000-4000-8000-000000000002', 'doctor', 'Zoe Muller'),
      ('00000000-0000-4000-8000-000000000003', 'patient', 'Alice Jones'),
      ('00000000-0000-4000-8000-000000000004', 'admin', 'Ada Admin');
    INSERT INTO doctors (id, user_id, full_name, time_zone, slot_minutes) VALUES
      ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-000000000001', 'Anika Patel', '${ZONE}', 20),
      ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-000000000002', 'Zoe Muller', 'Europe/London', 30);
    INSERT INTO patients (id, user_id, full_name, date_of_birth, phone_e164, time_zone) VALUES
      ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000003', 'Alice Jones', '1980-01-01', '+15550009001', '${ZONE}');
    INSERT INTO availability_rules (doctor_id, weekday, start_time, end_time) VALUES
      ('00000000-0000-4000-8000-0000000000d1', 1, '09:00', '12:00'),
      ('00000000-0000-4000-8000-0000000000d2', 1, '09:00', '12:00');
    INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, channel) VALUES
      ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000a1', '2026-12-07T14:20:00Z', '2026-12-07T14:40:00Z', 'sms');
    INSERT INTO appointments (doctor_id, patient_id, starts_at, ends_at, channel, status, cancelled_at) VALUES
      ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000a1', '2026-12-07T15:00:00Z', '2026-12-07T15:20:00Z', 'sms', 'cancelled', now());
  `);
  await createMigrator(t.db.sequelize).up();
});
afterAll(() => t.drop());

const PATEL = '00000000-0000-4000-8000-0000000000d1';

it('gives each zone the doctors work in a default location holding their hours and appointments', async () => {
  const locations = await q<{ name: string; time_zone: string }>('SELECT name, time_zone FROM locations ORDER BY time_zone');
  expect(locations).toEqual([
    { name: `Main clinic (${ZONE})`, time_zone: ZONE },
    { name: 'Main clinic (Europe/London)', time_zone: 'Europe/London' },
  ]);
  const orphans = await q<{ n: string }>(`SELECT (SELECT count(*) FROM availability_rules WHERE location_id IS NULL) + (SELECT count(*) FROM appointments WHERE location_id IS NULL) AS n`);
  expect(Number(orphans[0].n)).toBe(0);
});

it("gives each doctor a default visit type of their slot length, and existing appointments that type", async () => {
  const doctors = await q<{ full_name: string; visit: string; minutes: number }>(
    `SELECT d.full_name, v.name AS visit, v.duration_minutes AS minutes FROM doctors d JOIN visit_types v ON v.id = d.default_visit_type_id ORDER BY d.full_name`,
  );
  expect(doctors).toEqual([
    { full_name: 'Anika Patel', visit: 'Visit (20 min)', minutes: 20 },
    { full_name: 'Zoe Muller', visit: 'Visit (30 min)', minutes: 30 },
  ]);
  const untyped = await q<{ n: string }>('SELECT count(*) AS n FROM appointments WHERE visit_type_id IS NULL');
  expect(Number(untyped[0].n)).toBe(0);
});

it('offers the same free slots as before and books on them, the old appointment still blocking its time', async () => {
  const clock = new TestClock(Date.parse('2026-12-01T12:00:00Z'));
  const services = createServices({ db: t.db, locks: noSlotLock, now: clock.now, clinicTimezone: ZONE, settingsCacheMs: 0 });
  const slots = await services.availability.freeSlots(PATEL, ny('2026-12-07T00:00'), ny('2026-12-08T00:00'));
  const times = slots.map((s) => DateTime.fromMillis(s.start, { zone: ZONE }).toFormat('HH:mm'));
  // 20-minute steps from 09:00 to 11:40, less the booked 09:20 (the cancelled 10:00 is free again).
  expect(times).toEqual(['09:00', '09:40', '10:00', '10:20', '10:40', '11:00', '11:20', '11:40']);
  // The front desk books (the patient's own cap of one a day with a doctor does not apply to staff).
  const admin = { userId: '00000000-0000-4000-8000-000000000004', role: 'admin' as const };
  const booked = await services.booking.book(admin, { doctorId: PATEL, patientId: '00000000-0000-4000-8000-0000000000a1', startsAt: ny('2026-12-07T10:00'), channel: 'sms' });
  expect(booked.endsAt).toEqual(ny('2026-12-07T10:20'));
});

it('goes down and up again without losing an appointment', async () => {
  const before = await q<{ id: string; starts_at: Date; status: string }>('SELECT id, starts_at, status FROM appointments ORDER BY starts_at, id');
  await createMigrator(t.db.sequelize).down({ to: MIGRATION });
  const down = await q<{ id: string; starts_at: Date; status: string }>('SELECT id, starts_at, status FROM appointments ORDER BY starts_at, id');
  expect(down).toEqual(before);
  const columns = await q<{ n: string }>(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'appointments' AND column_name = 'occupied_from'`);
  expect(Number(columns[0].n)).toBe(0);
  await createMigrator(t.db.sequelize).up();
  expect(await q('SELECT id, starts_at, status FROM appointments ORDER BY starts_at, id')).toEqual(before);
  const located = await q<{ n: string }>('SELECT count(*) AS n FROM appointments WHERE location_id IS NOT NULL AND occupied_from = starts_at');
  expect(Number(located[0].n)).toBe(before.length);
});
