import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { insertDoctor, insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createRedlockSlotLock } from '../../src/locks/slot-lock';
import { createServices } from '../../src/services';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import { createChat, type Chat } from '../support/dialog-harness';
import { deadRedis } from '../support/dead-redis';
import { createHarness, type Harness } from '../support/harness';
import { SlotTakenError } from '../../src/domain/errors';

let h: Harness;
let chat: Chat;
const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();

// Monday 30 November 2026, 08:00 in New York.
const START = '2026-11-30T13:00:00Z';

beforeAll(async () => {
  h = await createHarness('dialog_patient', { now: START });
  await seedDemoClinic(h.db);
  chat = createChat(h);
});
afterAll(() => h.close());
beforeEach(() => h.clock.set(START));

/** Plays a table of [what the patient texts, what the reply must say]. */
async function transcript(sender: string, lines: Array<[string, RegExp]>, c: Chat = chat) {
  for (const [said, expected] of lines) {
    const reply = await c.say(sender, said);
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}

let phoneSeq = 0;
async function patient(name = 'Pat Test', dob = '1990-05-06'): Promise<Actor & { patientId: string; phone: string }> {
  const phone = `+1555030${String(phoneSeq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name, phone, dateOfBirth: dob, timeZone: NY })), phone };
}
// Real appointments: a time held while the patient answered is not one.
const appointmentsOf = (patientId: string) => h.db.models.Appointment.findAll({ where: { patientId, status: ['booked', 'cancelled', 'completed', 'no_show'] }, order: [['createdAt', 'ASC']] });

describe('registration', () => {
  it('registers a new number, then books a skin doctor for tomorrow afternoon', async () => {
    const phone = '+15550009999';
    await transcript(phone, [
      ['hi', /Welcome to Demo Clinic.*What is your full name/s],
      ['Jane Q Public', /Thanks, Jane\. What is your date of birth/],
      ['04/12/1988', /Can we text you about your appointments.*YES.*NO/s],
      ['yes', /You're all set, Jane!.*1 Book an appointment/s],
      ['1', /Which doctor or kind of doctor/],
      // The earliest times of either dermatologist; then the afternoon asked for, both doctors' times.
      ['skin doctor', /^Free times with Dr Anika Patel:\n1 Mon 30 Nov, 9:00 AM/],
      ['tomorrow afternoon', /^Free times:\n1 Tue 1 Dec, 12:00 PM, Dr Anika Patel\n2 Tue 1 Dec, 12:00 PM, Dr Carlos Ortega\n3 Tue 1 Dec, 12:30 PM, Dr Anika Patel/],
      ['2', /Book Dr Carlos Ortega on Tue 1 Dec, 12:00 PM\? Reply YES/],
      ['yes', /Booked: Dr Carlos Ortega on Tue 1 Dec, 12:00 PM\. We'll text you a reminder/],
    ]);
    const p = await h.db.models.Patient.findOne({ where: { phoneE164: phone } });
    expect(p).toMatchObject({ fullName: 'Jane Q Public', dateOfBirth: '1988-04-12', timeZone: NY });
    const appts = await appointmentsOf(p!.id);
    expect(appts.map((a) => [a.startsAt.toISOString(), a.status, a.channel])).toEqual([['2026-12-01T17:00:00.000Z', 'booked', 'sms']]);
  });

  it('re-asks on bad answers at every step, and stores nothing when consent is refused', async () => {
    const phone = '+15550008888';
    await transcript(phone, [
      ['hello', /What is your full name/],
      ['!!!', /^Please give your name in letters.*What is your full name\?$/s],
      ['Sam Doe', /What is your date of birth/],
      ['the day I was born', /couldn't read that date/],
      ['02/30/1990', /couldn't read that date/],
      ['01/01/2090', /does not look right/],
      ['12 March 1975', /Can we text you/],
      ['maybe', /Please reply YES to agree to texts, or NO/],
      ['no', /we won't text you/],
    ]);
    expect(await h.db.models.Patient.count({ where: { phoneE164: phone } })).toBe(0);
  });

  it('registers on the console channel too, and is known by the phone from the next message on', async () => {
    const phone = '+15550007777';
    for (const [said, expected] of [
      ['hi', /What is your full name/],
      ['Console Person', /date of birth/],
      ['1990-01-01', /Can we text you/],
      ['yes', /You're all set/],
      ['heart', /Free times with Dr José Núñez:/],
    ] as Array<[string, RegExp]>) {
      const reply = await chat.say(phone, said, 'console');
      if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
    }
    expect(await h.services.identity.actorFor('sms', phone)).toMatchObject({ role: 'patient' });
  });

  it('refuses a platform user nobody has linked, politely', async () => {
    const { replies } = await chat.engine.handle({ channel: 'slack', conversation: 'direct', senderId: 'U0UNKNOWN', text: 'hi' });
    expect(replies.map((r) => r.text).join(' ')).toMatch(/ask a clinic admin to link it/);
  });
});

describe('booking', () => {
  it('finds doctors by name, specialty word or with a typo, and re-asks when it finds none', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['1', /Which doctor/],
      ['xyzzy', /couldn't find a doctor for that\. We have Cardiology, Dermatology/],
      ['dermatolgy', /^Free times with Dr Anika Patel:\n1 Mon 30 Nov, 9:00 AM/],
      ['9', /^Please reply with a number from 1 to 3\.\nFree times/],
      ['MENU', /What would you like to do/],
      ['Dr Patel', /1 Dr Anika Patel \(Dermatology\).*2 Dr Rahul Patel \(Orthopedics\)/s],
      ['MENU', /What would you like/],
      // A single match goes straight to its times.
      ['heart', /^Free times with Dr José Núñez:/],
    ]);
  });

  it('books the exact time asked for without offering a list', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['book dr anika patel', /^Free times with Dr Anika Patel:/],
      ['next Tue 3pm', /Book Dr Anika Patel on Tue 8 Dec, 3:00 PM\?/],
      ['YES', /Booked: Dr Anika Patel on Tue 8 Dec, 3:00 PM/],
    ]);
    expect((await appointmentsOf(p.patientId)).map((a) => a.startsAt.toISOString())).toEqual(['2026-12-08T20:00:00.000Z']);
  });

  it('reads "Dec 5", "after 5" and impossible dates in the patient\'s zone', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['dermatology', /^Free times with Dr Anika Patel:/],
      // (12:00 went to the first test's patient.)
      ['no, Dr Ortega', /^Free times with Dr Carlos Ortega:\n1 Tue 1 Dec, 12:30 PM/],
      // Saturday 5 December: Dr Ortega works Saturday mornings.
      ['Dec 5', /^Free times with Dr Carlos Ortega:\n1 Sat 5 Dec, 9:00 AM\n2 Sat 5 Dec, 9:30 AM\n3 Sat 5 Dec, 10:00 AM/],
      // Not that Saturday: he works until 8 pm on Tuesdays and Thursdays.
      ['after 5', /^Nothing is free on Sat 5 Dec then\. Other days:\n1 Tue 8 Dec, 5:00 PM\n2 Tue 8 Dec, 5:30 PM\n3 Tue 8 Dec, 6:00 PM/],
      ['Feb 30', /^I couldn't read that as a day or time/],
      // Nothing on a Sunday: the nearest times either side of it.
      ['sunday', /^Nothing is free on Sun 6 Dec\. Nearest free times:\n1 Sat 5 Dec, 12:00 PM\n2 Sat 5 Dec, 12:30 PM\n3 Tue 8 Dec, 12:00 PM/],
    ]);
  });

  it('holds the time asked about for five minutes; after that it may be taken, and the late YES is offered the nearest', async () => {
    const p = await patient('Late Comer');
    const rival = await patient('Quick Rival');
    await transcript(p.phone, [
      ['Dr Anika Patel', /^Free times with Dr Anika Patel:\n1 Mon 30 Nov, 9:00 AM/],
      ['Dec 2 10am', /^Book Dr Anika Patel on Wed 2 Dec, 10:00 AM\?/],
    ]);
    const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
    const rivalBooks = () => h.services.booking.book(rival, { doctorId: patel.id, patientId: rival.patientId, startsAt: ny('2026-12-02T10:00'), channel: 'sms' });
    // While the patient decides, the time is theirs: not offered, and refused as taken.
    await expect(rivalBooks()).rejects.toBeInstanceOf(SlotTakenError);
    const offered = await h.services.availability.freeSlots(patel.id, ny('2026-12-02T09:00'), ny('2026-12-02T11:00'));
    expect(offered.map((s) => new Date(s.start).toISOString())).not.toContain(ny('2026-12-02T10:00').toISOString());
    // Six minutes later the hold is over: the rival gets it.
    h.clock.advance(6 * 60_000);
    await rivalBooks();
    await transcript(p.phone, [
      // 9:30 and 10:30 are nearest; 9:00 and 11:00 tie, and the earlier wins.
      ['yes', /^Sorry, that time was just taken\. Nearest free times:\n1 Wed 2 Dec, 9:00 AM\n2 Wed 2 Dec, 9:30 AM\n3 Wed 2 Dec, 10:30 AM/],
      ['3', /Book Dr Anika Patel on Wed 2 Dec, 10:30 AM\?/],
      ['yes', /Booked: Dr Anika Patel on Wed 2 Dec, 10:30 AM/],
    ]);
    expect((await appointmentsOf(p.patientId)).map((a) => a.startsAt.toISOString())).toEqual(['2026-12-02T15:30:00.000Z']);
  });

  it('NO at confirmation goes back to the times, and BACK steps back', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['heart', /^Free times with Dr José Núñez:/],
      ['1', /^Book Dr José Núñez on .*\?/],
      ['no', /^Free times with Dr José Núñez:/],
      ['back', /Book Dr José Núñez on/],
      ['back', /^Free times with Dr José Núñez:/],
      ['exit', /OK, I stopped that\..*What would you like to do/s],
    ]);
    expect(await appointmentsOf(p.patientId)).toHaveLength(0);
  });
});

describe('seeing and changing appointments', () => {
  let p: Awaited<ReturnType<typeof patient>>;
  let apptId: string;

  beforeAll(async () => {
    p = await patient('Val Idated', '1970-07-08');
    const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
    apptId = (await h.services.booking.book(p, { doctorId: patel.id, patientId: p.patientId, startsAt: ny('2026-12-03T11:00'), channel: 'sms' })).id;
  });

  it('asks for the date of birth before the first listing, then lists', async () => {
    await transcript(p.phone, [
      ['2', /please reply with your date of birth/],
      ['not a date', /Please send your date of birth like/],
      ['07/08/1970', /Your upcoming appointments:\n1 Thu 3 Dec, 11:00 AM, Dr Anika Patel/],
      ['menu', /What would you like/],
      // Verified once per conversation.
      ['2', /Your upcoming appointments/],
    ]);
  });

  it('reschedules one: the old time is freed and the new one booked', async () => {
    await transcript(p.phone, [
      // The last test left this conversation at the list, where '3' would pick an item.
      ['menu', /What would you like/],
      // One appointment: straight to it.
      ['3', /^Thu 3 Dec, 11:00 AM with Dr Anika Patel\. Reply R to move it or X to call it off\.$/],
      ['R', /^Free times with Dr Anika Patel:/],
      ['Dec 4 2pm', /Move your appointment with Dr Anika Patel to Fri 4 Dec, 2:00 PM\?/],
      ['yes', /Moved: Dr Anika Patel on Fri 4 Dec, 2:00 PM/],
    ]);
    const rows = await appointmentsOf(p.patientId);
    expect(rows.map((r) => [r.status, r.startsAt.toISOString()])).toEqual([
      ['cancelled', '2026-12-03T16:00:00.000Z'],
      ['booked', '2026-12-04T19:00:00.000Z'],
    ]);
    expect(rows[1].rescheduledFrom).toBe(apptId);
  });

  it('cancels one after a YES', async () => {
    await transcript(p.phone, [
      ['3', /^Fri 4 Dec, 2:00 PM with Dr Anika Patel\. Reply R to move it or X to call it off\.$/],
      ['X', /^Call off your appointment on Fri 4 Dec, 2:00 PM with Dr Anika Patel\? Reply YES or NO\.$/],
      ['what', /^Please reply YES to call it off or NO to keep it\.$/],
      ['yes', /^Done: your appointment on Fri 4 Dec, 2:00 PM with Dr Anika Patel is called off/],
      ['2', /no upcoming appointments/],
      ['4', /Your recent appointments:\n.*Dr Anika Patel \(called off\)/s],
    ]);
    expect((await appointmentsOf(p.patientId)).every((a) => a.status === 'cancelled')).toBe(true);
  });

  it('locks date-of-birth checks after three wrong tries, across conversations', async () => {
    const q = await patient('Care Ful', '1980-01-02');
    await transcript(q.phone, [
      ['2', /date of birth/],
      ['01/01/1980', /doesn't match our records\. Please try again/],
      ['01/03/1980', /doesn't match our records\. Please try again/],
      ['01/04/1980', /checks are paused for 15 minutes/],
      ['2', /checks are paused for 15 minutes/],
    ]);
    // Even the right answer, from a fresh conversation, waits out the pause.
    await h.redis.del(...(await h.redis.keys(`${h.prefix}:conv:*`)));
    await transcript(q.phone, [['2', /checks are paused/]]);
    const denied = await h.db.models.Audit.count({ where: { action: 'patient.verify', outcome: 'denied', patientId: q.patientId } });
    expect(denied).toBe(3);
  });
});

describe('details', () => {
  it('changes name, date of birth and time zone; times then show in the new zone', async () => {
    const p = await patient('Old Name', '1991-02-03');
    await transcript(p.phone, [
      ['5', /date of birth/],
      ['1991-02-03', /Your details: Old Name, times shown in America\/New_York/],
      ['1', /What is your full name/],
      ['New Name', /your name is now New Name/],
      ['5', /Your details: New Name/],
      ['2', /correct date of birth/],
      ['31/31/1991', /Please send your date of birth/],
      ['03/02/1991', /date of birth is updated/],
      ['5', /Your details/],
      ['3', /Which time zone/],
      ['Atlantis', /don't know that time zone/],
      ['London', /show times in Europe\/London/],
      ['heart', /^Free times with Dr José Núñez:/],
    ]);
    expect(await h.db.models.Patient.findByPk(p.patientId)).toMatchObject({ fullName: 'New Name', dateOfBirth: '1991-03-02', timeZone: 'Europe/London' });
    // Dr Núñez starts at 10:00 in New York, which is 15:00 in London.
    expect(chat.last.map((r) => r.choices?.map((c) => c.label)).flat()[0]).toMatch(/3:00 PM|3:45 PM|4:30 PM/);
  });
});

describe('the conversation itself', () => {
  it('answers HELP at any step, then repeats the question', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['1', /Which doctor/],
      ['help', /^Tell me the kind of doctor.*\nWhich doctor or kind of doctor\?/s],
    ]);
  });

  it('starts over after 30 idle minutes, with a friendly word', async () => {
    const p = await patient();
    await transcript(p.phone, [['1', /Which doctor/]]);
    h.clock.advance(31 * 60_000);
    await transcript(p.phone, [['heart', /^Welcome back! It's been a while.*Free times with Dr José Núñez:/s]]);
  });

  it('survives a restart of the service in the middle of a conversation', async () => {
    const p = await patient();
    await transcript(p.phone, [
      ['heart', /^Free times with Dr José Núñez:/],
      ['1', /^Book Dr José Núñez on/],
    ]);
    const restarted = createChat(h);
    await transcript(p.phone, [['yes', /Booked: Dr José Núñez/]], restarted);
    expect(await appointmentsOf(p.patientId)).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['10 KB', 'a'.repeat(10_000)],
    ['emoji', '😀🎉🩺'],
    ['right-to-left', 'أريد موعدا'],
    ['control characters', '\u0000\u0007\u001b[31m1\u0008'],
    ['SQL-looking', "1'; DROP TABLE appointments; --"],
  ])('meets %s input at every step with a re-prompt, never an error', async (_kind, junk) => {
    const p = await patient();
    const steps = ['', '1', 'heart', '1'];
    for (const step of steps) {
      if (step) await chat.say(p.phone, step);
      const reply = await chat.say(p.phone, junk);
      expect(reply).not.toMatch(/something went wrong|Error|undefined|\[object/);
      expect(reply.length).toBeGreaterThan(0);
    }
    expect(await appointmentsOf(p.patientId)).toHaveLength(0);
  });

  it('says "try again shortly" when Redis is down for the booking lock, and keeps the place', async () => {
    const p = await patient();
    const dead = deadRedis();
    const services = createServices({ db: h.db, locks: createRedlockSlotLock(dead, { prefix: h.prefix, ttlMs: 5000 }), now: h.clock.now, clinicTimezone: NY, settingsCacheMs: 0 });
    const broken = createChat(h, { services });
    await transcript(p.phone, [
      ['heart', /^Free times/],
      ['1', /^Book Dr José Núñez/],
      ['yes', /busy right now\. Please try again in a minute/],
    ], broken);
    dead.disconnect();
    expect(await appointmentsOf(p.patientId)).toHaveLength(0);
  });

  it('keeps every reply to a patient within three SMS segments', () => {
    expect(chat.maxSegments).toBeLessThanOrEqual(3);
  });
});

describe('a doctor who is not in the search', () => {
  it('is not offered once deactivated', async () => {
    await insertDoctor(h.db, { name: 'Gone Away', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }] });
    await h.db.models.Doctor.update({ active: false }, { where: { fullName: 'Gone Away' } });
    const p = await patient();
    await transcript(p.phone, [['Dr Gone Away', /couldn't find a doctor|Sorry, I didn't understand/]]);
  });
});

describe('two messages at the same moment', () => {
  it('are answered one after the other, and neither turn is lost', async () => {
    const p = await patient();
    // Ten texts arrive together (two instances, say): each turn must see the one before it.
    await Promise.all(Array.from({ length: 10 }, () => chat.engine.handle({ channel: 'sms', conversation: 'direct', senderId: p.phone, text: 'menu' })));
    const state = await createRedisConversationStore(h.redis, h.prefix).load('sms', p.phone);
    expect(state!.seq).toBe(10);
  });
});
