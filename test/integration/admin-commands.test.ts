import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Reply } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createChat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let run: (actor: Actor, text: string) => Promise<Reply[]>;
let admin: Actor;
let patient: Actor & { patientId: string };
let doctor: Actor;
const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const text = async (actor: Actor, command: string) => (await run(actor, command)).map((r) => [r.text, ...(r.card ? [r.card.title, ...r.card.lines] : [])].join('\n')).join('\n');

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('admin_commands', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  run = createAdminCommands(h.services);
  admin = (await h.services.identity.actorForEmail('admin@demo.clinic'))!;
  doctor = (await h.services.identity.actorForEmail('anika.patel@demo.clinic'))!;
  patient = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550200001', dateOfBirth: '1980-01-31', timeZone: NY });
});
afterAll(() => h.close());

describe('help and refusals', () => {
  it('lists every command', async () => {
    const help = await text(admin, 'help');
    for (const c of ['doctors add', 'specialties rename', 'users link', 'patients find', 'settings history', 'report', 'mark', 'audit']) expect(help).toContain(c);
  });

  it.each([
    ['a patient', () => patient],
    ['a doctor', () => doctor],
  ])('refuses %s on every command, and audits each refusal', async (_who, who) => {
    const actor = who();
    const commands = ['help', 'doctors list', 'doctors add "X Y" zone=Europe/London', 'users list', 'patients find +15550200001', 'settings set minNoticeMinutes 0', 'report 2026-11-01 2026-11-30', 'audit'];
    for (const c of commands) expect(await text(actor, c)).toBe('Only clinic admins can use /clinic commands.');
    const denied = await h.db.models.Audit.count({ where: { actorUserId: actor.userId, outcome: 'denied' } });
    expect(denied).toBe(commands.length);
    expect(await h.db.models.Doctor.count({ where: { fullName: 'X Y' } })).toBe(0);
    expect((await h.services.settings.get()).minNoticeMinutes).toBe(60);
  });

  it.each([
    ['doctors add', /Usage: \/clinic doctors add "<name>" zone=/],
    ['doctors add "No Zone"', /Usage: \/clinic doctors add/],
    ['doctors add "Bad Slot" zone=Europe/London slot=ten', /slot must be a whole number of minutes\. Usage/],
    ['doctors edit "Anika Patel"', /Usage: \/clinic doctors edit/],
    ['specialties rename Dermatology', /Usage: \/clinic specialties rename/],
    ['users link discord U1 a@b.c', /Usage: \/clinic users link slack\|teams/],
    ['users role admin@demo.clinic king', /Usage: \/clinic users role/],
    ['settings set minNoticeMinutes', /Usage: \/clinic settings set/],
    ['report 2026-11-01', /Usage: \/clinic report/],
    ['report 2026-02-30 2026-03-01', /Usage: \/clinic report/],
    ['appointments "Anika Patel"', /Usage: \/clinic appointments/],
    ['mark abc', /Usage: \/clinic mark/],
    ['audit lots', /count must be 1 to 100\. Usage: \/clinic audit/],
    ['frobnicate', /I don't know the command "frobnicate"/],
  ])('answers bad arguments "%s" with the usage line', async (command, expected) => {
    expect(await text(admin, command)).toMatch(expected);
  });

  it('answers a command of control characters, or of 10 KB, with the command list; audits only "unknown"', async () => {
    const before = await h.db.models.Audit.count({ where: { action: 'admin.command', actorUserId: admin.userId } });
    const nul = await text(admin, '\u0000\u0001\u001b[2J reboot\u0000');
    expect(nul).toMatch(/^I don't know the command "\[2J reboot"\.\nClinic commands:/);
    const huge = await text(admin, 'x'.repeat(10_240));
    expect(huge).toMatch(/^I don't know the command "x{40}…"\./);
    // A NUL inside quotes reaches the services as a plain space.
    expect(await text(admin, 'patients find "+1555\u00000299999"')).not.toMatch(/went wrong/);
    const audited = await h.db.models.Audit.findAll({ where: { action: 'admin.command', actorUserId: admin.userId }, order: [['id', 'ASC']] });
    expect(audited.length).toBe(before + 3);
    expect(audited.slice(-3, -1).map((a) => (a.details as { command?: string }).command)).toEqual(['unknown', 'unknown']);
  });

  it('keeps an audit entry whose detail holds a NUL (PostgreSQL jsonb cannot), without the NUL', async () => {
    await h.services.audit.record(admin, { action: 'test.nul_detail', outcome: 'allowed', details: { note: 'before\u0000after' } });
    const entry = await h.db.models.Audit.findOne({ where: { action: 'test.nul_detail' } });
    expect(entry?.details).toEqual({ note: 'beforeafter' });
  });
});

describe('doctors and specialties', () => {
  it('adds, lists, edits, assigns and finds a doctor by part of the name', async () => {
    expect(await text(admin, 'doctors add "Lena Fischer" zone=Europe/Berlin slot=20 specialties="Dermatology, Allergy" email=lena@demo.clinic')).toMatch(
      /Added Lena Fischer: Allergy, Dermatology; Europe\/Berlin; 20 min slots/,
    );
    expect(await text(admin, 'doctors list')).toMatch(/Lena Fischer: Allergy, Dermatology/);
    expect(await text(admin, 'doctors edit fischer slot=25 zone=Europe/Vienna')).toMatch(/Updated Lena Fischer: .*Europe\/Vienna; 25 min slots/);
    expect(await text(admin, 'doctors edit patel slot=25')).toMatch(/could be Anika Patel or Rahul Patel/);
    expect(await text(admin, 'doctors edit "Nobody Here" slot=25')).toMatch(/couldn't find a doctor called "Nobody Here"/);
    expect(await text(admin, 'doctors add "Dup" zone=Europe/Berlin email=lena@demo.clinic')).toMatch(/already has an account/);
    expect(await text(admin, 'doctors add "Bad Zone" zone=Mars/Olympus')).toMatch(/not a time zone I know/);
  });

  it('adds, renames, assigns and unassigns specialties', async () => {
    expect(await text(admin, 'specialties add "Sleep Medicine" keywords="sleep, insomnia"')).toMatch(/Added the specialty Sleep Medicine/);
    expect(await text(admin, 'specialties add "sleep medicine"')).toMatch(/already exists/);
    expect(await text(admin, 'specialties rename "Sleep Medicine" "Sleep Clinic"')).toMatch(/Renamed Sleep Medicine to Sleep Clinic/);
    expect(await text(admin, 'specialties assign "Lena Fischer" "Sleep Clinic"')).toMatch(/Lena Fischer: Allergy, Dermatology, Sleep Clinic/);
    expect(await text(admin, 'specialties list')).toMatch(/Sleep Clinic \(1 doctors\): sleep, insomnia/);
    // Patients find the doctor by the specialty's everyday words.
    expect((await h.services.doctors.search('insomnia')).map((m) => m.doctor.fullName)).toEqual(['Lena Fischer']);
    // Admins extend the words patients use; the chat reads them (knee pain reached Orthopedics the same way).
    expect(await text(admin, 'specialties keywords "Sleep Clinic" add="snoring, cant sleep" remove="sleep"')).toMatch(/^Sleep Clinic is found by: insomnia, snoring, cant sleep\./);
    const chat = createChat(h);
    const p = await insertPatient(h.db, { name: 'Snore Ing', phone: '+15550200777', dateOfBirth: '1970-01-01', timeZone: NY });
    expect(p.role).toBe('patient');
    expect(await chat.say('+15550200777', 'snoring')).toMatch(/^(Free times with Dr Lena Fischer:|Dr Lena Fischer has nothing free soon)/);
    expect(await text(admin, 'specialties keywords "Sleep Clinic"')).toMatch(/Usage: \/clinic specialties keywords/);
    expect(await h.db.models.Audit.count({ where: { action: 'admin.specialties.keywords' } })).toBe(1);
    expect(await text(admin, 'specialties unassign "Lena Fischer" "Sleep Clinic"')).toMatch(/Lena Fischer: Allergy, Dermatology\./);
    expect(await text(admin, 'specialties assign "Lena Fischer" "Astrology"')).toMatch(/couldn't find the specialty Astrology/);
  });

  it('deactivates a doctor, lists the future appointments, and cancels them on request', async () => {
    const nunez = (await h.db.models.Doctor.findOne({ where: { fullName: 'José Núñez' } }))!;
    const appt = await h.services.booking.book(patient, { doctorId: nunez.id, patientId: patient.patientId, startsAt: ny('2026-12-02T10:00'), channel: 'sms' });
    const cancelled: string[] = [];
    const off = h.services.events.subscribe((e) => {
      if (e.type === 'cancelled') cancelled.push(e.appointment.id);
    });
    expect(await text(admin, 'doctors deactivate nunez')).toMatch(/José Núñez is deactivated and takes no new bookings\. 1 future appointments stay booked:\n  Wed 2 Dec, 10:00 AM\nTo cancel them/);
    expect((await h.services.doctors.search('cardiology')).length).toBe(0);
    expect(await text(admin, 'doctors deactivate nunez cancel')).toMatch(/Cancelled 1 future appointments; the patients are notified/);
    expect((await h.db.models.Appointment.findByPk(appt.id))!.status).toBe('cancelled');
    expect(cancelled).toEqual([appt.id]);
    expect(await text(admin, 'doctors activate nunez')).toMatch(/takes bookings again/);
    off();
  });
});

describe('users and patients', () => {
  it('links a Slack user to a doctor, who is then known on Slack', async () => {
    expect(await text(admin, 'users link slack U0LENA lena@demo.clinic')).toMatch(/Linked slack user U0LENA to Lena Fischer \(doctor\)/);
    expect(await h.services.identity.actorFor('slack', 'U0LENA')).toMatchObject({ role: 'doctor' });
    expect(await text(admin, 'users list doctor')).toMatch(/Lena Fischer <lena@demo\.clinic> doctor; linked slack:U0LENA/);
    expect(await text(admin, 'users link teams 29:abc nobody@demo.clinic')).toMatch(/couldn't find no account with the email|No account with the email/i);
  });

  it('changes a role and deactivates an account, but not the admin\'s own', async () => {
    expect(await text(admin, 'users role lena@demo.clinic admin')).toMatch(/lena@demo\.clinic is now an admin/);
    expect((await h.services.identity.actorFor('slack', 'U0LENA'))!.role).toBe('admin');
    expect(await text(admin, 'users role admin@demo.clinic doctor')).toMatch(/cannot remove your own admin role/);
    expect(await text(admin, 'users deactivate lena@demo.clinic')).toMatch(/is deactivated/);
    expect(await h.services.identity.actorFor('slack', 'U0LENA')).toBeNull();
    expect(await text(admin, 'users deactivate admin@demo.clinic')).toMatch(/cannot deactivate yourself/);
  });

  it('finds a patient by phone, and the look-up is audited with the patient', async () => {
    expect(await text(admin, 'patients find (555) 020-0001')).toMatch(/Patient found[\s\S]*Alice Jones[\s\S]*Date of birth: 1980-01-31/);
    expect(await text(admin, 'patients find +15559999999')).toMatch(/No patient has that phone number/);
    expect(await text(admin, 'patients find 12')).toMatch(/does not look like a phone number/);
    const audit = await h.db.models.Audit.findAll({ where: { action: 'admin.patients.find', outcome: 'allowed', patientId: patient.patientId } });
    expect(audit).toHaveLength(1);
  });
});

describe('settings', () => {
  it('shows, sets with validation, and keeps the history of changes', async () => {
    expect(await text(admin, 'settings show')).toMatch(/minNoticeMinutes: 60[\s\S]*quietHours: 21:00-08:00/);
    expect(await text(admin, 'settings set minNoticeMinutes 120')).toMatch(/minNoticeMinutes is now 120/);
    expect(await text(admin, 'settings set reminderOffsetsMinutes 48h,2h')).toMatch(/reminderOffsetsMinutes is now 2880,120/);
    expect(await text(admin, 'settings set quietHours 22:00-07:30')).toMatch(/quietHours is now 22:00-07:30/);
    expect(await text(admin, 'settings set timeZone Mars/Olympus')).toMatch(/timeZone must be an IANA time zone/);
    expect(await text(admin, 'settings set minNoticeMinutes -5')).toMatch(/minNoticeMinutes/);
    expect(await text(admin, 'settings set colour blue')).toMatch(/There is no setting called colour/);
    expect(await text(admin, 'settings history minNoticeMinutes')).toMatch(/minNoticeMinutes: 60 -> 120/);
    expect(await text(admin, 'settings history')).toMatch(/quietHours: 21:00-08:00 -> 22:00-07:30[\s\S]*reminderOffsetsMinutes: 1440,120 -> 2880,120[\s\S]*minNoticeMinutes: 60 -> 120/);
    await text(admin, 'settings set minNoticeMinutes 60');
  });
});

describe('linking staff', () => {
  it('issues a one-time link code for an admin, which links exactly one platform account', async () => {
    await h.db.models.User.create({ role: 'admin', email: 'new.admin@demo.clinic', displayName: 'New Admin' });
    const reply = await text(admin, 'users code new.admin@demo.clinic');
    const code = /one use within 24 hours: (\S+)/.exec(reply)![1];
    expect(reply).toMatch(/^Link code for New Admin \(admin\)/);
    expect(await h.services.identity.redeemLinkCode('teams', 'aad-new-admin', code)).toMatchObject({ role: 'admin' });
    expect(await h.services.identity.redeemLinkCode('teams', 'aad-other', code)).toBeNull();
    // Not for patients, not by a doctor.
    expect(await text(admin, 'users code nobody@demo.clinic')).toMatch(/couldn't find an account with the email nobody@demo.clinic/);
    expect(await text(doctor, 'users code new.admin@demo.clinic')).toBe('Only clinic admins can use /clinic commands.');
  });

  it('expires a code after 24 hours', async () => {
    await h.db.models.User.create({ role: 'doctor', email: 'late.doc@demo.clinic', displayName: 'Late Doc' });
    const code = /one use within 24 hours: (\S+)/.exec(await text(admin, 'users code late.doc@demo.clinic'))![1];
    h.clock.advance(24 * 3600_000 + 1000);
    expect(await h.services.identity.redeemLinkCode('slack', 'U0LATE', code)).toBeNull();
    h.clock.set('2026-11-30T13:00:00Z');
  });
});

describe('appointments, outcomes and the audit trail', () => {
  it('lists a doctor\'s day with references, and marks completed or no-show once started', async () => {
    const okafor = (await h.db.models.Doctor.findOne({ where: { fullName: 'James Okafor' } }))!;
    const a = await h.services.booking.book(patient, { doctorId: okafor.id, patientId: patient.patientId, startsAt: ny('2026-12-01T09:00'), channel: 'sms' });
    const listing = await text(admin, 'appointments "James Okafor" 2026-12-01');
    expect(listing).toContain(`${a.id.slice(0, 8)} Tue 1 Dec, 9:00 AM Alice Jones (booked)`);
    expect(await text(admin, `mark ${a.id.slice(0, 8)} completed`)).toMatch(/has not started yet/);
    h.clock.set('2026-12-01T14:30:00Z');
    expect(await text(admin, `mark ${a.id.slice(0, 8)} no-show`)).toMatch(/was a no-show/);
    expect(await text(admin, `mark ${a.id.slice(0, 8)} completed`)).toMatch(/was completed/);
    expect((await h.db.models.Appointment.findByPk(a.id))!.status).toBe('completed');
    expect(await text(admin, 'mark ffffffff completed')).toMatch(/couldn't find the appointment ffffffff/);
    h.clock.set('2026-11-30T13:00:00Z');
  });

  it('shows recent audit entries, newest first, without patient data', async () => {
    const audit = await text(admin, 'audit 5');
    const lines = audit.split('\n');
    expect(lines).toHaveLength(5);
    // Times in the clinic's zone; staff named; patients never.
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d Clinic Admin \(admin\) admin\.(audit\.read|command) allowed/);
    expect(audit).not.toMatch(/Alice|\+1555/);
  });

  it("answers 'who looked at this patient's record this month' in one command, and records that look too", async () => {
    const watched = await insertPatient(h.db, { name: 'Wanda Watched', phone: '+15550200055', dateOfBirth: '1977-07-07', timeZone: NY });
    const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
    await h.services.booking.book(watched, { doctorId: patel.id, patientId: watched.patientId, startsAt: ny('2026-12-02T10:00'), channel: 'sms' });
    // The doctor opens the record; another patient's record is read too, and must not be listed.
    await h.services.patients.get(doctor, watched.patientId);
    await h.services.patients.get(admin, patient.patientId);
    const zone = (await h.services.settings.get()).timeZone;
    const month = DateTime.now().setZone(zone).toFormat('yyyy-LL');
    const lastDay = DateTime.now().setZone(zone).endOf('month').toFormat('dd');
    const answer = await text(admin, `audit patient=+15550200055 action=patient.read from=${month}-01 to=${month}-${lastDay}`);
    expect(answer.split('\n')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d Anika Patel \(doctor\) patient\.read allowed patient:/)]);
    // The same patient, every action of the family 'appointment': the booking.
    expect(await text(admin, 'audit patient=+15550200055 action=appointment')).toMatch(/\(patient\) appointment\.book allowed|patient appointment\.book allowed/);
    // By a user, by email.
    expect(await text(admin, 'audit user=anika.patel@demo.clinic action=patient')).toMatch(/Anika Patel \(doctor\) patient\.read allowed/);
    // A range with nothing in it, and bad filters with a reason.
    expect(await text(admin, 'audit patient=+15550200055 from=2020-01-01 to=2020-01-31')).toBe('No audit entries match.');
    expect(await text(admin, 'audit from=2026-02-30')).toMatch(/from must be a date like 2026-11-01/);
    expect(await text(admin, 'audit patient=+15559999999')).toMatch(/couldn't find a patient with that phone number/);
    // Reading the trail about a patient is itself recorded against that patient.
    expect(await h.db.models.Audit.count({ where: { action: 'admin.audit.read', patientId: watched.patientId, actorUserId: admin.userId } })).toBe(3);
  });

  it('keeps the audit trail append-only: the database refuses to change or delete an entry', async () => {
    await expect(h.db.sequelize.query("UPDATE audit_log SET outcome = 'allowed' WHERE outcome = 'denied'")).rejects.toThrow(/audit_log is append-only: UPDATE refused/);
    await expect(h.db.sequelize.query('DELETE FROM audit_log')).rejects.toThrow(/audit_log is append-only: DELETE refused/);
    await expect(h.db.sequelize.query('TRUNCATE audit_log')).rejects.toThrow(/audit_log is append-only: TRUNCATE refused/);
    expect(await h.db.models.Audit.count()).toBeGreaterThan(0);
  });
});

describe('reports', () => {
  it('reports a week as a message, a CSV and a PNG chart', async () => {
    const doctorId = async (name: string) => (await h.db.models.Doctor.findOne({ where: { fullName: name } }))!.id;
    const [patel, chen] = [await doctorId('Anika Patel'), await doctorId('Mei Chen')];
    const p = await insertPatient(h.db, { name: 'Report Person', phone: '+15550200077', dateOfBirth: '1970-01-01', timeZone: NY });
    const book = (doctor: string, at: Date, channel = 'sms') => h.services.booking.book(p, { doctorId: doctor, patientId: p.patientId, startsAt: at, channel });
    // Monday 7 December, 07:00 in New York: four bookings made that week (more than a patient may
    // hold by text at once; the caps are not what this tests).
    h.clock.set('2026-12-07T12:00:00Z');
    await h.services.settings.update(admin, 'maxUpcomingPerPatient', 10);
    const completed = await book(patel, ny('2026-12-07T10:00'));
    const cancelled = await book(patel, ny('2026-12-08T10:00'), 'console');
    const missed = await book(chen, DateTime.fromISO('2026-12-09T10:00', { zone: 'America/Chicago' }).toJSDate());
    await book(patel, ny('2026-12-10T11:00'));
    await h.services.booking.cancel(p, cancelled.id);
    h.clock.set('2026-12-12T12:00:00Z');
    await h.services.booking.recordOutcome(admin, completed.id, 'completed');
    await h.services.booking.recordOutcome(admin, missed.id, 'no_show');

    const [reply] = await run(admin, 'report 2026-12-07 2026-12-13 csv chart');
    h.clock.set('2026-11-30T13:00:00Z');
    await h.services.settings.update(admin, 'maxUpcomingPerPatient', 3);
    expect(reply.text).toMatch(/^Report 2026-12-07 to 2026-12-13 \(America\/New_York\)/);
    expect(reply.text).toMatch(/Appointments: 4 \(booked 1, completed 1, cancelled 1, no-show 1\)/);
    // 1 of 4 cancelled; 1 no-show of the 2 that have happened.
    expect(reply.text).toMatch(/Cancellation rate 25%, no-show rate 50%/);
    // Two 30-minute appointments of 5 x 8 offered hours.
    expect(reply.text).toMatch(/Anika Patel: 2 seen or booked, 2\.5% of 2400 offered minutes used, 1 cancelled, 0 no-show/);
    expect(reply.text).toMatch(/Mei Chen: 1 seen or booked, .* 0 cancelled, 1 no-show/);
    expect(reply.text).toMatch(/By specialty: Dermatology 2, General Practice 1, Pediatrics 1/);
    expect(reply.text).toMatch(/Bookings by channel: sms 3, console 1/);
    expect(reply.text).toMatch(/Busiest hours: Mon 10:00 \(1\)/);

    const csv = reply.files!.find((f) => f.contentType === 'text/csv')!.data.toString();
    expect(csv.split('\r\n')[0]).toBe('section,name,metric,value');
    expect(csv).toContain('totals,clinic,noShow,1');
    expect(csv).toContain('doctor,Anika Patel,offeredMinutes,2400');
    const png = reply.files!.find((f) => f.contentType === 'image/png')!.data;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2000);
  });

  it('refuses a reversed or too long range', async () => {
    expect(await text(admin, 'report 2026-12-13 2026-12-07')).toMatch(/must end on or after its start/);
    expect(await text(admin, 'report 2025-01-01 2026-12-31')).toMatch(/at most 366 days/);
  });
});

describe('as chat text', () => {
  it('an admin types the same commands in the console chat', async () => {
    const chat = createChat(h);
    expect(await chat.say('admin@demo.clinic', 'hi', 'console')).toMatch(/Type a clinic command/);
    expect(await chat.say('admin@demo.clinic', 'help', 'console')).toMatch(/Clinic commands:/);
    expect(await chat.say('admin@demo.clinic', '/clinic doctors list', 'console')).toMatch(/Anika Patel: Dermatology/);
    expect(await chat.say('admin@demo.clinic', 'settings show', 'console')).toMatch(/bookingHorizonDays: 60/);
  });
});

describe('front-desk booking', () => {
  it('books a patient by phone into a doctor\'s local time, offers alternatives when taken, and cancels by reference', async () => {
    const p = await insertPatient(h.db, { name: 'Desk Patient', phone: '+15550200099', dateOfBirth: '1970-01-01', timeZone: NY });
    const booked = await text(admin, 'book +15550200099 "Zoë Müller" 2026-12-02 09:00 reason="follow-up"');
    // Dr Müller works in London: 09:00 there.
    expect(booked).toMatch(/Booked Desk Patient with Dr Zoë Müller on Wed 2 Dec, 9:00 AM \(Europe\/London\)\. Reference ([0-9a-f]{8})\./);
    const ref = /Reference ([0-9a-f]{8})/.exec(booked)![1];
    const row = (await h.db.models.Appointment.findAll({ where: { patientId: p.patientId } }))[0];
    expect([row.startsAt.toISOString(), row.reason, row.createdBy]).toEqual(['2026-12-02T09:00:00.000Z', 'follow-up', admin.userId]);
    expect(await text(admin, 'book +15550200001 "Zoë Müller" 2026-12-02 09:00')).toMatch(/just been taken\. Nearest free times with Dr Zoë Müller: Wed 2 Dec, 9:30 AM/);
    expect(await text(admin, 'book +15550209999 "Zoë Müller" 2026-12-02 10:00')).toMatch(/No patient has that phone number/);
    expect(await text(admin, 'book +15550200099 "Zoë Müller" 2026-12-02 9am')).toMatch(/Usage: \/clinic book/);
    expect(await text(admin, `cancel ${ref}`)).toMatch(/Cancelled the appointment of Wed 2 Dec, 4:00 AM; the patient is notified/);
    expect((await h.db.models.Appointment.findByPk(row.id))!.status).toBe('cancelled');
    expect(await text(patient, `cancel ${ref}`)).toBe('Only clinic admins can use /clinic commands.');
  });
});
