import { ValidationError } from '../../src/domain/errors';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('patients', { now: '2026-12-01T12:00:00Z' });
});
afterAll(() => h.close());

describe('patient registration', () => {
  it('creates the user, the patient and the SMS identity together, and the number then resolves to them', async () => {
    const p = await h.services.patients.register({ phone: '+1 (555) 010-2030', fullName: ' Maria  Garcia ', dateOfBirth: '1988-04-12', timeZone: 'America/New_York' });
    expect(p).toMatchObject({ fullName: 'Maria Garcia', phoneE164: '+15550102030', dateOfBirth: '1988-04-12', smsOptOut: false });
    const actor = await h.services.identity.actorFor('sms', '+15550102030');
    expect(actor).toMatchObject({ role: 'patient', patientId: p.id, channel: 'sms' });
    expect(await h.db.models.Audit.count({ where: { action: 'patient.register', patientId: p.id } })).toBe(1);
  });

  it('refuses a number that is already registered, writing nothing', async () => {
    const users = await h.db.models.User.count();
    await expect(h.services.patients.register({ phone: '+15550102030', fullName: 'Someone Else', dateOfBirth: '1990-01-01', timeZone: 'America/New_York' })).rejects.toThrow(/already registered/);
    expect(await h.db.models.User.count()).toBe(users);
  });

  it.each([
    ['an impossible date of birth', { dateOfBirth: '1990-02-30' }],
    ['a date of birth in the future', { dateOfBirth: '2030-01-01' }],
    ['a name with no letters', { fullName: '!!!' }],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }],
    ['a phone number too short', { phone: '123' }],
  ])('refuses %s with a clear message and writes nothing', async (_what, change) => {
    const users = await h.db.models.User.count();
    const input = { phone: '+15550109999', fullName: 'Test Person', dateOfBirth: '1990-01-01', timeZone: 'America/New_York', ...change };
    await expect(h.services.patients.register(input)).rejects.toBeInstanceOf(ValidationError);
    expect(await h.db.models.User.count()).toBe(users);
  });

  it('lets a patient change their own name, date of birth and time zone, audited', async () => {
    const actor = (await h.services.identity.actorFor('sms', '+15550102030'))!;
    const p = await h.services.patients.updateProfile(actor, actor.patientId!, { fullName: 'María García', dateOfBirth: '1988-04-13', timeZone: 'Europe/Madrid' });
    expect(p).toMatchObject({ fullName: 'María García', dateOfBirth: '1988-04-13', timeZone: 'Europe/Madrid' });
    const audit = await h.db.models.Audit.findOne({ where: { action: 'patient.update', patientId: actor.patientId! } });
    expect(audit!.details).toEqual({ fields: 'fullName,dateOfBirth,timeZone' });
    await expect(h.services.patients.updateProfile(actor, actor.patientId!, {})).rejects.toThrow(/Nothing to change/);
  });
});

describe('clinic settings', () => {
  it('validates each setting and refuses unknown ones', async () => {
    const admin = { userId: (await h.db.models.User.create({ role: 'admin', email: 'admin@x', displayName: 'Admin' })).id, role: 'admin' as const };
    await expect(h.services.settings.update(admin, 'timeZone', 'Mars/Olympus')).rejects.toBeInstanceOf(ValidationError);
    await expect(h.services.settings.update(admin, 'quietHours', { start: '9pm', end: '08:00' })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.services.settings.update(admin, 'colour', 'blue')).rejects.toThrow(/no setting called colour/);
    const s = await h.services.settings.update(admin, 'reminderOffsetsMinutes', [2880, 60]);
    expect(s.reminderOffsetsMinutes).toEqual([2880, 60]);
    expect(s.minNoticeMinutes).toBe(60);
  });
});
