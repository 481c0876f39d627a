import { DateTime } from 'luxon';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Actor } from '../../src/domain/actor';
import { BookingLimitError } from '../../src/domain/errors';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { processNotification } from '../../src/reminders/notifications';
import { createLogger } from '../../src/logging';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

/**
 * Abuse limits and the date-of-birth check, as an attacker with a handful of phones would meet them.
 */
const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const START = '2026-11-30T13:00:00Z';
let h: Harness;
let chat: Chat;
let admin: Actor;
let patel: Actor & { doctorId: string };
let chen: Actor & { doctorId: string };
let seq = 0;

async function patient(dob = '1990-05-06') {
  const phone = `+1555071${String(seq++).padStart(4, '0')}`;
  return { ...(await insertPatient(h.db, { name: `Pat ${seq}`, phone, dateOfBirth: dob, timeZone: NY })), phone };
}

async function transcript(sender: string, lines: Array<[string, RegExp]>) {
  for (const [said, expected] of lines) {
    const reply = await chat.say(sender, said);
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}

beforeAll(async () => {
  h = await createHarness('abuse', { now: START });
  admin = await insertAdmin(h.db, { name: 'Admin', email: 'admin@abuse.test' });
  const hours = [{ weekdays: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '17:00' }];
  patel = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: NY, hours });
  chen = await insertDoctor(h.db, { name: 'Mei Chen', timeZone: NY, hours });
  chat = createChat(h);
});
afterAll(() => h.close());
beforeEach(() => h.clock.set(START));

describe('how much one patient may hold', () => {
  const book = (p: Actor & { patientId: string }, doctor: string, iso: string) =>
    h.services.booking.book(p, { doctorId: doctor, patientId: p.patientId, startsAt: ny(iso), channel: 'sms' });

  it('stops a patient at 3 upcoming appointments and 1 per doctor a day, and audits the refusal', async () => {
    const p = await patient();
    await book(p, patel.doctorId, '2026-12-01T10:00');
    await expect(book(p, patel.doctorId, '2026-12-01T14:00')).rejects.toMatchObject({ limit: 'doctor-day', max: 1 });
    await book(p, chen.doctorId, '2026-12-01T14:00');
    await book(p, patel.doctorId, '2026-12-02T10:00');
    await expect(book(p, chen.doctorId, '2026-12-05T10:00')).rejects.toEqual(new BookingLimitError('upcoming', 3));
    expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId, status: 'booked' } })).toBe(3);
    expect(await h.db.models.Audit.count({ where: { action: 'appointment.book', outcome: 'denied', patientId: p.patientId } })).toBe(2);
    // The front desk is not capped.
    await expect(h.services.booking.book(admin, { doctorId: chen.doctorId, patientId: p.patientId, startsAt: ny('2026-12-05T10:00'), channel: 'console' })).resolves.toMatchObject({ status: 'booked' });
  });

  it('holds to the cap when one number sends ten bookings at the same moment', async () => {
    const p = await patient();
    const days = Array.from({ length: 10 }, (_, i) => DateTime.fromISO('2026-12-07T10:00', { zone: NY }).plus({ days: i }).toISO()!.slice(0, 16));
    const results = await Promise.allSettled(days.map((d, i) => book(p, i % 2 ? patel.doctorId : chen.doctorId, d)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof BookingLimitError)).toBe(true);
  });

  it('follows the clinic when an admin raises the cap', async () => {
    const p = await patient();
    await h.services.settings.update(admin, 'maxUpcomingPerPatient', 4);
    for (const d of ['2026-12-08', '2026-12-09', '2026-12-10', '2026-12-11']) await book(p, patel.doctorId, `${d}T11:00`);
    await expect(book(p, patel.doctorId, '2026-12-12T11:00')).rejects.toBeInstanceOf(BookingLimitError);
    await h.services.settings.update(admin, 'maxUpcomingPerPatient', 3);
  });

  it('tells the patient in plain words, over the conversation', async () => {
    const p = await patient();
    await book(p, patel.doctorId, '2026-12-01T09:00');
    await transcript(p.phone, [
      ['book dr anika patel', /Free times with Dr Anika Patel:/],
      // Told at once, before a YES that could not book.
      ['Dec 1 3pm', /^You already have an appointment with this doctor that day\. Reply MENU to see it, or choose another day\./],
    ]);
  });
});

describe('registration throttle', () => {
  it('lets at most 5 numbers of one block register a day, then answers the 6th kindly and keeps nothing', async () => {
    for (let i = 0; i < 5; i++) expect(await chat.say(`+1555077000${i}`, 'hi')).toMatch(/what is your full name/i);
    expect(await chat.say('+15550770005', 'hi')).toBe("Sorry, we can't sign up new numbers by text right now. Please call the clinic, or try again later.");
    // Another block is not affected; a number already registering carries on.
    expect(await chat.say('+15550880001', 'hi')).toMatch(/what is your full name/i);
    expect(await chat.say('+15550770000', 'Jo Lee')).toMatch(/What is your date of birth/);
    expect((await h.redis.keys(`${h.prefix}:*`)).join(' ')).not.toMatch(/555077/);
  });

  it('lets at most registrationsPerHour numbers start across the clinic', async () => {
    await h.services.settings.update(admin, 'registrationsPerHour', 2);
    try {
      expect(await chat.say('+15550990001', 'hi')).toMatch(/what is your full name/i);
      expect(await chat.say('+15550991001', 'hi')).toMatch(/what is your full name/i);
      expect(await chat.say('+15550992001', 'hi')).toMatch(/can't sign up new numbers by text right now/);
    } finally {
      await h.services.settings.update(admin, 'registrationsPerHour', 30);
    }
  });

  it('keeps a name and date of birth given before consent only as long as the conversation stays alive', async () => {
    const phone = '+15550660001';
    await transcript(phone, [
      ['hi', /full name/],
      ['Una Consented', /date of birth/],
      ['01/02/1970', /Can we text you/],
    ]);
    const [key] = await h.redis.keys(`${h.prefix}:conv:*`).then((keys) => Promise.all(keys.map(async (k) => [k, await h.redis.get(k)] as const))).then((all) => all.filter(([, v]) => v?.includes('Una Consented')).map(([k]) => k));
    const ttl = await h.redis.ttl(key);
    // The idle time (30 minutes), not the day a registered patient's conversation is kept.
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30 * 60);
    await transcript(phone, [['yes', /You're all set/]]);
    expect(await h.redis.ttl(key)).toBeGreaterThan(3600);
  });
});

describe('the date-of-birth check', () => {
  it('locks after 10 misses in a week until staff clear it, tells the patient, and refuses even the right date meanwhile', async () => {
    const p = await patient('1984-04-04');
    // Seven misses earlier this week (the audit log is where misses are counted).
    await h.db.sequelize.query(
      `INSERT INTO audit_log (at, actor_user_id, actor_role, channel, action, outcome, patient_id, subject_type, subject_id)
       SELECT now() - make_interval(hours => 12 * g), :user, 'patient', 'sms', 'patient.verify', 'denied', :patient, 'patient', :patient::text FROM generate_series(1, 7) g`,
      { replacements: { user: p.userId, patient: p.patientId } },
    );
    await transcript(p.phone, [
      ['2', /date of birth/],
      ['01/01/1984', /doesn't match our records\. Please try again/],
      ['01/02/1984', /doesn't match our records\. Please try again/],
      ['01/03/1984', /access to your appointments by text is locked after too many wrong dates of birth\. Please call the clinic to unlock it/],
      ['2', /locked/],
    ]);
    expect((await h.db.models.Patient.findByPk(p.patientId))!.verificationLockedAt).not.toBeNull();
    // The right answer does not open it, and is not even compared.
    expect(await h.services.patients.checkDateOfBirth(p, '1984-04-04')).toBe('locked');
    // Staff clear it; the misses before that no longer count.
    const commands = createAdminCommands(h.services);
    const [unlocked] = await commands(admin, 'patients unlock +1 555 071 ' + p.phone.slice(-4));
    expect(unlocked.text).toBe('Unlocked: that patient can confirm their date of birth by text again.');
    await transcript(p.phone, [
      ['2', /date of birth/],
      ['04/04/1984', /You have no upcoming appointments/],
    ]);
    expect(await h.db.models.Audit.count({ where: { action: 'patient.verify_unlocked', patientId: p.patientId } })).toBe(1);
  });

  it("says nothing of the patient's appointments before the check", async () => {
    const p = await patient('1970-03-03');
    await h.services.booking.book(p, { doctorId: chen.doctorId, patientId: p.patientId, startsAt: ny('2026-12-03T10:00'), channel: 'sms' });
    // Another doctor at the very time the patient is booked: before the check, no "you already have".
    // Their own time is simply not offered, in the words used for a time someone else has.
    await transcript(p.phone, [['book dr anika patel', /Free times with Dr Anika Patel:/]]);
    const reply = await chat.say(p.phone, 'Dec 3 10am');
    expect(reply).toMatch(/^10:00 AM on Thu 3 Dec is not free\. Nearest free times:\n1 Thu 3 Dec, 9:00 AM\n2 Thu 3 Dec, 9:30 AM\n3 Thu 3 Dec, 10:30 AM/);
    expect(reply).not.toMatch(/already have|you have/i);
  });
});

describe('an alert to admins when bookings from new numbers spike', () => {
  it('queues one alert in the hour the count reaches the setting, and it reaches every admin', async () => {
    const queued: Array<{ kind: string; count?: number }> = [];
    const { createOutboxRelay } = await import('../../src/reminders/outbox-relay');
    const logger = createLogger('silent', { write: () => undefined });
    await h.services.settings.update(admin, 'newNumberBookingAlert', 3);
    const relay = createOutboxRelay({
      db: h.db,
      scheduler: { schedule: async () => 0, unschedule: async () => undefined, reconcile: async () => 0 },
      notifications: { add: async (_n: string, job: { kind: string; count?: number }) => void queued.push(job) } as never,
      redis: h.redis,
      redisPrefix: h.prefix,
      settings: h.services.settings,
      now: h.clock.now,
      logger,
    });
    await relay.drain();
    queued.length = 0;
    for (let i = 0; i < 4; i++) {
      const p = await patient();
      // Registered just now, by the service's clock.
      await h.db.sequelize.query('UPDATE patients SET created_at = :at WHERE id = :id', { replacements: { at: new Date(h.clock.now() - 3600_000), id: p.patientId } });
      await h.services.booking.book(p, { doctorId: patel.doctorId, patientId: p.patientId, startsAt: ny(`2026-12-2${i}T10:00`), channel: 'sms' });
    }
    await relay.drain();
    expect(queued.filter((j) => j.kind === 'admin-alert')).toEqual([expect.objectContaining({ kind: 'admin-alert', count: 3 })]);
    const sent: Array<[string, string]> = [];
    const result = await processNotification(
      { db: h.db, settings: h.services.settings, audit: h.services.audit, sms: null, staff: { send: async (id, text) => (sent.push([id, text]), true) }, clinicName: 'Demo', now: h.clock.now, logger },
      { data: { kind: 'admin-alert', hour: 1, count: 3 } },
    );
    expect(result).toBe('alerted 1');
    expect(sent).toEqual([[admin.userId, expect.stringMatching(/^Alert: 3 bookings in the last hour came from phone numbers that registered today/)]]);
    await h.services.settings.update(admin, 'newNumberBookingAlert', 10);
  });
});
