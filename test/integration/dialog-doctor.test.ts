import { DateTime } from 'luxon';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import type { AppointmentEvent } from '../../src/services/events';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let chat: Chat;
const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const PATEL = 'anika.patel@demo.clinic';
let patelId: string;
const events: AppointmentEvent[] = [];

async function transcript(sender: string, lines: Array<[string, RegExp]>, channel: 'console' | 'slack' = 'console') {
  for (const [said, expected] of lines) {
    const reply = await chat.say(sender, said, channel);
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('dialog_doctor', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  chat = createChat(h);
  patelId = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!.id;
  const alice = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550100001', dateOfBirth: '1980-01-31', timeZone: NY });
  const bob = await insertPatient(h.db, { name: 'Bob Smith', phone: '+15550100002', dateOfBirth: '1975-06-15', timeZone: NY });
  const book = (p: typeof alice, iso: string) =>
    h.services.booking.book(p, { doctorId: patelId, patientId: p.patientId, startsAt: ny(iso), channel: 'sms', reason: 'rash on arm' });
  await book(alice, '2026-11-30T10:00');
  await book(bob, '2026-11-30T14:30');
  await book(alice, '2026-12-04T14:00');
  await book(bob, '2026-12-04T15:30');
  h.services.events.subscribe((e) => {
    events.push(e);
  });
});
afterAll(() => h.close());

describe('a doctor on the console channel', () => {
  it('sees today\'s schedule and a patient\'s details, and that read is audited', async () => {
    await transcript(PATEL, [
      ['hello', /What would you like\?\n1 Today's schedule/],
      ['today', /Your appointments today:\n1 Mon 30 Nov, 10:00 AM Alice Jones \(30 min\)\n2 Mon 30 Nov, 2:30 PM Bob Smith \(30 min\)/],
      ['2', /Bob Smith[\s\S]*Date of birth: 15 Jun 1975[\s\S]*Phone: \+15550100002[\s\S]*Reason given: rash on arm/],
    ]);
    const audit = await h.db.models.Audit.findAll({ where: { action: 'patient.read', outcome: 'allowed' } });
    expect(audit).toHaveLength(1);
  });

  it('asks for a schedule by date, and says so when a day is empty', async () => {
    await transcript(PATEL, [
      ['schedule Dec 4', /Your appointments on Fri 4 Dec:\n1 Fri 4 Dec, 2:00 PM Alice Jones/],
      ['menu', /What would you like/],
      ['schedule Dec 1', /^You have no appointments tomorrow\.$/],
      ['4', /Which date\?/],
      ['someday', /couldn't read that date/],
      ['friday', /Your appointments on Fri 4 Dec/],
      ['menu', /What would you like/],
      // A day alone, straight from the menu.
      ['Dec 4', /Your appointments on Fri 4 Dec/],
    ]);
  });

  it('sets weekly hours in words, after a confirmation', async () => {
    await transcript(PATEL, [
      ['menu', /What would you like/],
      ['5', /Your weekly hours: Mon-Fri 09:00-17:00\. Send new hours/],
      ['whenever', /couldn't read those hours/],
      ['Mon-Thu 9-5, Sat 10am-1pm', /Set your weekly hours to Mon-Thu 09:00-17:00; Sat 10:00-13:00\?/],
      ['yes', /Your weekly hours are now Mon-Thu 09:00-17:00; Sat 10:00-13:00/],
    ]);
    const rules = await h.services.availability.weeklyHours({ userId: 'x', role: 'admin' }, patelId);
    expect(rules.map((r) => `${r.weekday} ${r.start}-${r.end}`)).toEqual(['1 09:00-17:00', '2 09:00-17:00', '3 09:00-17:00', '4 09:00-17:00', '6 10:00-13:00']);
  });

  it('blocks time off that clashes with bookings, cancels them on request, and the patients are told', async () => {
    events.length = 0;
    await transcript(PATEL, [
      ['off Friday 2-5pm', /Block Fri 4 Dec, 2:00 PM - 5:00 PM\? It clashes with 2 booked appointments: Fri 4 Dec, 2:00 PM Alice J\.; Fri 4 Dec, 3:30 PM Bob S\.\.\n1 Block it and call them off \(the patients are told\)/],
      ['7', /Please reply 1, 2 or 3/],
      ['1', /Blocked Fri 4 Dec, 2:00 PM - 5:00 PM and called off 2 appointments\. The patients will be told\./],
    ]);
    const off = await h.db.models.TimeOff.findAll({ where: { doctorId: patelId } });
    expect(off.map((o) => [o.startsAt.toISOString(), o.endsAt.toISOString()])).toEqual([['2026-12-04T19:00:00.000Z', '2026-12-04T22:00:00.000Z']]);
    const friday = await h.db.models.Appointment.findAll({ where: { doctorId: patelId, cancelReason: 'the doctor is unavailable' } });
    expect(friday).toHaveLength(2);
    // Cancellation events carry them to the patients' notifications.
    expect(events.filter((e) => e.type === 'cancelled')).toHaveLength(2);
  });

  it('blocks a vacation across whole days, or leaves it on NO', async () => {
    await transcript(PATEL, [
      // The year is named where it is not this one.
      ['vacation Dec 20 to Jan 2', /^Block Sun 20 Dec to Sat 2 Jan 2027\? Reply YES or NO\.$/],
      ['no', /nothing changed/],
      ['vacation Dec 20 to Jan 2', /Block Sun 20 Dec to Sat 2 Jan 2027\?/],
      ['yes', /Blocked Sun 20 Dec to Sat 2 Jan 2027\./],
      ['off someday', /When are you off\? For example 'Friday 2-5pm'/],
      ['friday 3pm', /Please give an end time too/],
    ]);
    const vacation = await h.db.models.TimeOff.findOne({ where: { doctorId: patelId, reason: 'vacation' } });
    expect([vacation!.startsAt.toISOString(), vacation!.endsAt.toISOString()]).toEqual(['2026-12-20T05:00:00.000Z', '2027-01-03T05:00:00.000Z']);
  });
});

describe('a doctor on Slack', () => {
  it('is known once their Slack user is linked, and speaks the same language', async () => {
    const user = await h.db.models.User.findOne({ where: { email: 'mei.chen@demo.clinic' } });
    await h.db.models.ChannelIdentity.create({ channel: 'slack', externalId: 'U0MEICHEN', userId: user!.id });
    await transcript('U0MEICHEN', [['tomorrow', /You have no appointments tomorrow/]], 'slack');
  });
});
