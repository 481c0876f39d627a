import { DateTime } from 'luxon';
import { seedDemoClinic } from '../../src/db/seed';
import { insertPatient } from '../../src/db/records';
import { processReminder } from '../../src/reminders/reminder-worker';
import { createLogger } from '../../src/logging';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

/**
 * Locations and kinds of visit as a patient meets them by text, on the demo clinic: Dr Rahman sees
 * new patients for 40 minutes, follow-ups for 20 and video visits, at London Bridge Clinic; Dr
 * Núñez works Mondays and Wednesdays Downtown and Fridays at Eastside.
 */

let h: Harness;
let chat: Chat;
// Monday 30 November 2026, 08:00 in New York (13:00 in London).
const START = '2026-11-30T13:00:00Z';
const LONDON = 'Europe/London';

beforeAll(async () => {
  h = await createHarness('clinic_model_dialog', { now: START });
  await seedDemoClinic(h.db);
  chat = createChat(h, { clinicPhone: '+1 555 010 0000' });
});
afterAll(() => h.close());

async function transcript(sender: string, lines: Array<[string, RegExp]>) {
  for (const [said, expected] of lines) {
    const reply = await chat.say(sender, said);
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}

let seq = 0;
async function patient(zone = LONDON) {
  const phone = `+1555040${String(seq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name: `Pat Model${seq}`, phone, dateOfBirth: '1990-05-06', timeZone: zone })), phone };
}

it('asks the kind of visit only of a doctor with several, books its length at its place, and takes the reason', async () => {
  const p = await patient();
  await transcript(p.phone, [
    ['I need to see Dr Rahman tomorrow', /^What kind of visit with Dr Aisha Rahman\?\n1 Follow-up \(20 min\)\n2 New patient visit \(40 min\)\n3 Video visit \(20 min\)/],
    ['2', /^Free times with Dr Aisha Rahman:\n1 Tue 1 Dec, 8:30 AM\n2 Tue 1 Dec, 8:40 AM\n3 Tue 1 Dec, 8:50 AM/],
    ['1', /^Book Dr Aisha Rahman \(New patient visit\) on Tue 1 Dec, 8:30 AM at London Bridge Clinic\? Reply YES or NO\.$/],
    ['yes', /^Booked: Dr Aisha Rahman on Tue 1 Dec, 8:30 AM at London Bridge Clinic, 5 Tooley St, London\. .*reason for your visit/],
    ['sore throat for two weeks', /^Are you taking any medicines\? If so, which\? \(Optional: reply SKIP to leave it\.\)$/],
    ['skip', /^Thanks, Dr Aisha Rahman will see your answers\./],
  ]);
  const [appt] = await h.db.models.Appointment.findAll({ where: { patientId: p.patientId } });
  expect(DateTime.fromJSDate(appt.endsAt, { zone: LONDON }).toFormat('HH:mm')).toBe('09:10');
  expect(appt.reason).toBe('sore throat for two weeks');
  // The doctor sees the reason and the kind of visit with the appointment.
  const rahman = (await h.db.models.Doctor.findOne({ where: { fullName: 'Aisha Rahman' } }))!;
  const [entry] = await h.services.appointments.schedule({ userId: rahman.userId!, role: 'doctor', doctorId: rahman.id }, rahman.id, appt.startsAt, appt.endsAt);
  expect([entry.reason, entry.visitName, entry.locationName]).toEqual(['sore throat for two weeks', 'New patient visit', 'London Bridge Clinic']);
  // The reason is in no audit entry.
  const audit = await h.db.sequelize.query(`SELECT details::text AS d FROM audit_log WHERE details::text LIKE '%throat%'`);
  expect(audit[0]).toEqual([]);
});

it('reads the kind of visit from the first message, and a video visit gets its link', async () => {
  const p = await patient();
  await transcript(p.phone, [
    ['video visit with Dr Rahman on Wednesday at 9', /^Book Dr Aisha Rahman \(Video visit\) on Wed 2 Dec, 9:00 AM at London Bridge Clinic\? Reply YES or NO\.$/],
    ['yes', /^Booked: Dr Aisha Rahman on Wed 2 Dec, 9:00 AM by video: https:\/\/video\.demo\.clinic\/[A-Za-z0-9_-]{16}\./],
  ]);
});

it('the reason is optional: a request after booking is read as a request', async () => {
  const p = await patient();
  await transcript(p.phone, [
    ['follow-up with Dr Rahman on Thursday at 10', /^Book Dr Aisha Rahman \(Follow-up\) on Thu 3 Dec, 10:00 AM at London Bridge Clinic\?/],
    ['yes', /^Booked: .*reason for your visit/],
    ['my appointments', /reply with your date of birth/],
    ['1990-05-06', /^Your upcoming appointments:\n1 Thu 3 Dec, 10:00 AM, Dr Aisha Rahman/],
  ]);
  const [appt] = await h.db.models.Appointment.findAll({ where: { patientId: p.patientId } });
  expect(appt.reason).toBeNull();
});

it('offers only the location asked for', async () => {
  const p = await patient('America/New_York');
  await transcript(p.phone, [
    // Dr Núñez is at Eastside on Fridays only.
    ['cardiology at eastside', /^Free times with Dr José Núñez:\n1 Fri 4 Dec, 10:00 AM\n2 Fri 4 Dec, 10:45 AM\n3 Fri 4 Dec, 11:30 AM/],
    ['1', /^Book Dr José Núñez on Fri 4 Dec, 10:00 AM at Eastside Clinic\? Reply YES or NO\.$/],
    ['yes', /^Booked: Dr José Núñez on Fri 4 Dec, 10:00 AM at Eastside Clinic, 400 East Ave, Springfield\./],
  ]);
});

it('the reminder gives the address and the phone of the place', async () => {
  const p = await patient('America/New_York');
  const nunez = (await h.db.models.Doctor.findOne({ where: { fullName: 'José Núñez' } }))!;
  const appt = await h.services.booking.book(p, { doctorId: nunez.id, patientId: p.patientId, startsAt: DateTime.fromISO('2026-12-02T11:30', { zone: 'America/New_York' }).toJSDate(), channel: 'sms' });
  const sent: string[] = [];
  await processReminder(
    { db: h.db, settings: h.services.settings, sms: { send: async (_to, body) => (sent.push(body), 'sent') }, clinicName: 'Demo Clinic', now: h.clock.now, logger: createLogger('silent') },
    { data: { appointmentId: appt.id, offsetMinutes: 1440 } },
  );
  expect(sent).toEqual([
    'Hi Pat, a reminder of your appointment at Demo Clinic on Wed 2 Dec at 11:30 AM at Downtown Clinic, 12 Main St, Springfield (tel. +15550102000). Reply C to confirm, R to change it or X to call it off.',
  ]);
});

it('"call the clinic" gives the clinic number', async () => {
  const p = await patient();
  // Nothing at all for weeks: Dr Hughes is away.
  const hughes = (await h.db.models.Doctor.findOne({ where: { fullName: 'Oliver Hughes' } }))!;
  await h.services.availability.addTimeOff({ userId: null, role: 'admin' } as never, hughes.id, { startsAt: new Date('2026-11-30T00:00:00Z'), endsAt: new Date('2027-03-01T00:00:00Z') });
  await transcript(p.phone, [['Dr Hughes', /Reply WAITLIST to be texted if a time opens, or call the clinic at \+1 555 010 0000\./]]);
});

it('a doctor at two places sets the hours of one, and calls off what the change leaves outside', async () => {
  const p = await patient('America/New_York');
  const nunez = (await h.db.models.Doctor.findOne({ where: { fullName: 'José Núñez' } }))!;
  const appt = await h.services.booking.book(p, { doctorId: nunez.id, patientId: p.patientId, startsAt: DateTime.fromISO('2026-12-04T15:15', { zone: 'America/New_York' }).toJSDate(), channel: 'sms' });
  const doctor = 'jose.nunez@demo.clinic';
  const say = async (text: string) => chat.say(doctor, text, 'console');
  expect(await say('hours Mon 9-12')).toMatch(/You work at Downtown Clinic and Eastside Clinic\. Say where, like 'Mon 09:00-12:00 at Downtown Clinic'/);
  expect(await say('Fri 10-14 at Eastside')).toMatch(/^Set your weekly hours at Eastside Clinic to Fri 10:00-14:00\? Booked appointments stay booked\./);
  expect(await say('yes')).toMatch(
    /^Done\. Your weekly hours at Eastside Clinic are now Fri 10:00-14:00\. 1 booked appointment is now outside them: Fri 4 Dec, 3:15 PM Pat M\.\n1 Call them off \(the patients are told\)\n2 Keep them/,
  );
  expect(await say('1')).toBe('Called off 1 appointment. The patients will be told.');
  expect((await h.db.models.Appointment.findByPk(appt.id))!.status).toBe('cancelled');
  // Downtown's Mondays and Wednesdays are untouched.
  const hours = await h.services.availability.weeklyHours({ userId: nunez.userId!, role: 'doctor', doctorId: nunez.id }, nunez.id);
  expect(hours.map((r) => `${r.weekday} ${r.start}-${r.end}`)).toEqual(['1 10:00-18:00', '3 10:00-18:00', '5 10:00-14:00']);
});

