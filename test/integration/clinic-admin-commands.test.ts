import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Reply } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createHarness, type Harness } from '../support/harness';

/**
 * An admin runs the clinic model with /clinic: places, kinds of visit, a doctor's hours per place
 * and time off, and the bookings a change leaves outside the hours, moved or called off.
 */

let h: Harness;
let run: (actor: Actor, text: string) => Promise<Reply[]>;
let admin: Actor;
let patient: Actor & { patientId: string };
const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const text = async (actor: Actor, command: string) => (await run(actor, command)).map((r) => r.text).join('\n');

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('clinic_admin_commands', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  run = createAdminCommands(h.services);
  admin = (await h.services.identity.actorForEmail('admin@demo.clinic'))!;
  patient = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550210001', dateOfBirth: '1980-01-31', timeZone: NY });
});
afterAll(() => h.close());

it('adds and edits a location, and lists them', async () => {
  expect(await text(admin, 'locations add "Uptown Clinic" zone=America/New_York address="99 North Rd, Springfield" phone="+1 555 010 4000"')).toMatch(
    /^Added Uptown Clinic: 99 North Rd, Springfield; \+15550104000; America\/New_York\./,
  );
  expect(await text(admin, 'locations edit uptown address="101 North Rd, Springfield"')).toBe('Updated Uptown Clinic: 101 North Rd, Springfield; +15550104000; America/New_York.');
  const list = await text(admin, 'locations list');
  expect(list.split('\n').map((l) => l.split(':')[0])).toEqual(['Downtown Clinic', 'Eastside Clinic', 'London Bridge Clinic', 'Uptown Clinic']);
  expect(await text(admin, 'locations add "Nowhere" zone=Mars/Base')).toMatch(/not a time zone I know/);
  expect(await text(admin, 'locations add "No zone"')).toMatch(/^Usage: \/clinic locations add/);
});

it('adds visit types with buffers, offers them to a doctor on a grid, and sets intake questions', async () => {
  expect(await text(admin, 'visit-types add "Consultation" minutes=40 after=10 keywords="first visit, consult"')).toMatch(/^Added Consultation: 40 min \(\+10 min after\); words: first visit, consult/);
  expect(await text(admin, 'visit-types add "Quick check" minutes=15')).toMatch(/^Added Quick check: 15 min/);
  expect(await text(admin, 'visit-types offer "Anika Patel" "Consultation, Quick check" default="Quick check"')).toBe('Anika Patel offers Consultation, Quick check (usual).');
  expect(await text(admin, 'doctors grid "Anika Patel" 15')).toBe("Anika Patel's visits now start every 15 minutes.");
  expect(await text(admin, 'visit-types intake "Consultation" questions="Any allergies? | Who referred you?"')).toBe(
    'After booking a Consultation, patients are asked (each may be skipped):\n1. Any allergies?\n2. Who referred you?',
  );
  expect(await text(admin, 'visit-types list')).toMatch(/Consultation: 40 min \(\+10 min after\); words: first visit, consult; 2 intake question\(s\); offered by Anika Patel/);
  // The front desk books the longer kind: 40 minutes, and the next 10 blocked, so a quick check
  // on the 15-minute grid cannot start at 9:45 (it would run into the write-up time).
  const booked = await text(admin, 'book +15550210001 "Anika Patel" 2026-12-01 09:00 type="Consultation"');
  expect(booked).toMatch(/^Booked Alice Jones with Dr Anika Patel \(Consultation\) on Tue 1 Dec, 9:00 AM/);
  const slots = await h.services.availability.freeSlots((await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!.id, ny('2026-12-01T09:00'), ny('2026-12-01T10:30'));
  expect(slots.map((s) => DateTime.fromMillis(s.start, { zone: NY }).toFormat('HH:mm'))).toEqual(['10:00', '10:15']);
  expect(await text(admin, 'visit-types edit "Consultation" minutes=700')).toMatch(/Length must be 5 to 480 minutes/);
});

it('sets hours per location, refuses a doctor in two places at once, and lists the bookings left outside', async () => {
  expect(await text(admin, 'hours set "José Núñez" "Mon 10-18" at=Eastside')).toMatch(/overlap the doctor's hours at another location \(Mon 10:00-18:00 and 10:00-18:00\)/);
  await h.services.booking.book(admin, { doctorId: (await h.db.models.Doctor.findOne({ where: { fullName: 'José Núñez' } }))!.id, patientId: patient.patientId, startsAt: ny('2026-12-02T14:30'), channel: 'console' });
  // Wednesdays Downtown end at 13:00 now: Alice's 14:30 falls outside.
  const reply = await text(admin, 'hours set "José Núñez" "Mon 10-18, Wed 10-13" at=Downtown');
  expect(reply).toMatch(/^José Núñez's hours at Downtown Clinic are now Mon 10:00-18:00; Wed 10:00-13:00\.\n1 booked appointment is now outside these hours and stays booked until you decide:\n {2}([0-9a-f]{8}) Wed 2 Dec, 2:30 PM Alice Jones\nMove one: \/clinic move/);
  const ref = /\n {2}([0-9a-f]{8}) Wed/.exec(reply)![1];
  expect(await text(admin, 'hours show "José Núñez"')).toBe('José Núñez (America/New_York):\n  Downtown Clinic: Mon 10:00-18:00; Wed 10:00-13:00\n  Eastside Clinic: Fri 10:00-18:00');
  // Moved into the new hours; the old time is free again and the new one is the patient's.
  expect(await text(admin, `move ${ref} 2026-12-02 11:30`)).toMatch(/^Moved to Wed 2 Dec, 11:30 AM \(America\/New_York\) with Dr José Núñez; the patient is told\./);
  expect(await h.services.availability.bookingsOutsideHours(admin, (await h.db.models.Doctor.findOne({ where: { fullName: 'José Núñez' } }))!.id)).toEqual([]);
});

it('adds, lists and removes a doctor time off, naming the bookings it clashes with', async () => {
  const okafor = (await h.db.models.Doctor.findOne({ where: { fullName: 'James Okafor' } }))!;
  await h.services.booking.book(admin, { doctorId: okafor.id, patientId: patient.patientId, startsAt: ny('2026-12-03T09:00'), channel: 'console' });
  const added = await text(admin, 'timeoff add "James Okafor" 2026-12-03 2026-12-04 reason="conference"');
  expect(added).toMatch(/^Blocked Thu 3 Dec, 12:00 AM to Sat 5 Dec, 12:00 AM for James Okafor \(ref [0-9a-f]{8}\)\. 1 booked appointment in it stay booked until you decide:\n {2}[0-9a-f]{8} Thu 3 Dec, 9:00 AM Alice Jones/);
  const ref = /\(ref ([0-9a-f]{8})\)/.exec(added)![1];
  expect(await text(admin, 'timeoff list "James Okafor"')).toMatch(new RegExp(`James Okafor's time off ahead:\\n {2}${ref} Thu 3 Dec, 12:00 AM to Sat 5 Dec, 12:00 AM \\(conference\\)`));
  expect(await text(admin, `timeoff remove "James Okafor" ${ref}`)).toMatch(/^Removed James Okafor's time off/);
  expect(await text(admin, 'timeoff list "James Okafor"')).toBe('James Okafor has no time off ahead.');
});

it('reactivates a deactivated staff account', async () => {
  expect(await text(admin, 'users deactivate mei.chen@demo.clinic')).toMatch(/deactivated/);
  expect(await h.services.identity.actorForEmail('mei.chen@demo.clinic')).toBeNull();
  expect(await text(admin, 'users reactivate mei.chen@demo.clinic')).toBe('mei.chen@demo.clinic is active again and can use the bot.');
  expect((await h.services.identity.actorForEmail('mei.chen@demo.clinic'))?.role).toBe('doctor');
});

it('refuses every new command to a doctor, and audits the refusal', async () => {
  const doctor = (await h.services.identity.actorForEmail('anika.patel@demo.clinic'))!;
  for (const c of ['locations add "X" zone=UTC', 'visit-types add "Y" minutes=10', 'hours set "Anika Patel" "Mon 9-17"', 'timeoff list "Anika Patel"', 'users reactivate a@b.c', 'move abcdef12 2026-12-02 10:00']) {
    expect(await text(doctor, c)).toBe('Only clinic admins can use /clinic commands.');
  }
  expect(await h.db.models.Audit.count({ where: { actorUserId: doctor.userId, outcome: 'denied', action: 'admin.command' } })).toBe(6);
});

it('reports appointments per location and per kind of visit, in text and CSV', async () => {
  const [reply] = await run(admin, 'report 2026-11-30 2026-12-31 csv');
  // Dr Núñez's visit moved within Downtown (the first time counts as cancelled); Dr Patel's
  // consultation and Dr Okafor's visit are at no named place.
  expect(reply.text).toMatch(/^By location: No named place 2, Downtown Clinic 1 \(\+1 cancelled\)$/m);
  expect(reply.text).toMatch(/^By kind of visit: .*Consultation 1 \(40 min\)/m);
  expect(reply.text).toMatch(/^By kind of visit: .*Visit \(45 min\) 1 \(45 min\) \+1 cancelled/m);
  const csv = reply.files![0].data.toString();
  expect(csv).toContain('location,Downtown Clinic,appointments,1\r\nlocation,Downtown Clinic,cancelled,1\r\n');
  expect(csv).toContain('visit_type,Consultation,minutes,40\r\n');
});
