import { seedDemoClinic } from '../../src/db/seed';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let chat: Chat;
const NEW = '+15550009999';

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('dialog_patient', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  chat = createChat(h);
});
afterAll(() => h.close());

async function transcript(sender: string, lines: Array<[string, RegExp]>) {
  for (const [said, expected] of lines) {
    const reply = await chat.say(sender, said);
    try {
      expect(reply).toMatch(expected);
    } catch (err) {
      throw new Error(`after "${said}" expected ${expected} but the bot said:\n${reply}`);
    }
  }
}

describe('a new patient', () => {
  it('registers, then books a skin doctor for tomorrow afternoon', async () => {
    await transcript(NEW, [
      ['hi', /Welcome to Demo Clinic.*what is your full name/s],
      ['Jane Q Public', /Thanks, Jane\. What is your date of birth/],
      ['04/12/1988', /Can we text you about your appointments.*YES.*NO/s],
      ['yes', /You're all set, Jane!.*1 Book an appointment/s],
      ['1', /Which doctor or kind of doctor/],
      ['skin doctor', /I found these doctors.*1 Dr Anika Patel \(Dermatology\).*2 Dr Carlos Ortega/s],
      ['1', /Next free times with Dr Anika Patel.*1 Mon 30 Nov, 9:00 AM/s],
      ['tomorrow afternoon', /Free times then:\n1 Tue 1 Dec, 12:00 PM\n2 Tue 1 Dec, 12:30 PM\n3 Tue 1 Dec, 1:00 PM/],
      ['2', /Book Dr Anika Patel on Tue 1 Dec, 12:30 PM\? Reply YES/],
      ['yes', /Booked: Dr Anika Patel on Tue 1 Dec, 12:30 PM\. We'll text you a reminder/],
    ]);
    const patient = await h.db.models.Patient.findOne({ where: { phoneE164: NEW } });
    expect(patient).toMatchObject({ fullName: 'Jane Q Public', dateOfBirth: '1988-04-12', timeZone: 'America/New_York' });
    const appts = await h.db.models.Appointment.findAll({ where: { patientId: patient!.id } });
    expect(appts.map((a) => [a.startsAt.toISOString(), a.status, a.channel])).toEqual([['2026-12-01T17:30:00.000Z', 'booked', 'sms']]);
  });

  it('kept every reply within three SMS segments', () => {
    expect(chat.maxSegments).toBeLessThanOrEqual(3);
  });
});
