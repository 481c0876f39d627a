import nock from 'nock';
import twilio from 'twilio';
import { DateTime } from 'luxon';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { request, startApp, type HttpApp } from '../support/http-app';

const AUTH_TOKEN = 'test_auth_token_0123456789abcdef';
const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const PUBLIC = 'https://bot.example-clinic.test';
const FROM_NUMBER = '+15550001111';
let h: Harness;
let app: HttpApp;
let sidSeq = 0;

const env = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_FROM_NUMBER: FROM_NUMBER, PUBLIC_BASE_URL: PUBLIC, RATE_LIMIT_PER_MINUTE: '20' };
// This file's main app answers the carrier keywords itself (Twilio's replies off); the default is tested below.
const serviceEnv = { ...env, SMS_KEYWORD_REPLIES: 'service', CLINIC_PHONE: '+1 555 010 0000' };
// nock 14 and twilio's keep-alive agent do not mix (the mocked reply never ends): keep-alive off in tests.
const twilioClient = () => twilio(ACCOUNT_SID, AUTH_TOKEN, { keepAlive: false });

function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** An inbound SMS signed exactly as Twilio signs it: the public URL and the form params. */
async function text(from: string, body: string, opts: { sid?: string; signature?: string | null; port?: number; extra?: Record<string, string> } = {}) {
  const params = { MessageSid: opts.sid ?? `SM${String(++sidSeq).padStart(32, '0')}`, AccountSid: ACCOUNT_SID, From: from, To: FROM_NUMBER, Body: body, NumMedia: '0', ...opts.extra };
  const signature = opts.signature === undefined ? twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params) : opts.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  return request(opts.port ?? app.port, 'POST', '/sms', form(params), headers);
}

/** The <Message> bodies of a TwiML reply. */
function messages(xml: string): string[] {
  return [...xml.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((m) => m[1].replace(/&apos;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"'));
}

beforeAll(async () => {
  h = await createHarness('sms_adapter', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  app = await startApp(h, serviceEnv, { twilioClient: twilioClient() });
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await app.close();
  await h.close();
});
afterEach(() => nock.cleanAll());

describe('signatures', () => {
  it('refuses a forged, a missing and a stale-URL signature with 403', async () => {
    expect((await text('+15550300001', 'hi', { signature: 'Zm9yZ2Vk' })).status).toBe(403);
    expect((await text('+15550300001', 'hi', { signature: null })).status).toBe(403);
    // Signed for another URL (a proxy forwarding under a different name): refused.
    const params = { MessageSid: 'SM'.padEnd(34, '9'), AccountSid: ACCOUNT_SID, From: '+15550300001', To: FROM_NUMBER, Body: 'hi', NumMedia: '0' };
    const wrongUrl = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'http://localhost:3978/sms', params);
    const res = await request(app.port, 'POST', '/sms', form(params), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': wrongUrl });
    expect(res.status).toBe(403);
    expect(await h.db.models.Patient.count({ where: { phoneE164: '+15550300001' } })).toBe(0);
  });

  it('refuses a body that is not a Twilio form, signed or not, with 4xx', async () => {
    const res = await request(app.port, 'POST', '/sms', '{"From": 1}', { 'content-type': 'application/json', 'x-twilio-signature': 'x' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('a whole booking by SMS, end to end over HTTP', () => {
  it('registers, books and gets TwiML replies', async () => {
    const phone = '+15550300002';
    const say = async (body: string) => {
      const res = await text(phone, body);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/xml/);
      return messages(res.body).join('\n---\n');
    };
    expect(await say('Hello')).toMatch(/Welcome to Demo Clinic/);
    expect(await say('Sam Rivera')).toMatch(/date of birth/);
    expect(await say('05/06/1990')).toMatch(/Can we text you/);
    expect(await say('YES')).toMatch(/You're all set, Sam!/);
    expect(await say('heart')).toMatch(/Free times with Dr José Nuñez:/);
    expect(await say('Dec 2 10am')).toMatch(/Book Dr José Nuñez on Wed 2 Dec, 10:00 AM at Downtown Clinic\?/);
    expect(await say('yes')).toMatch(/Booked: Dr José Nuñez on Wed 2 Dec, 10:00 AM at Downtown Clinic, 12 Main St, Springfield\./);
    const patient = await h.db.models.Patient.findOne({ where: { phoneE164: phone } });
    const appts = await h.db.models.Appointment.findAll({ where: { patientId: patient!.id } });
    expect(appts.map((a) => [a.startsAt.toISOString(), a.channel])).toEqual([[DateTime.fromISO('2026-12-02T10:00', { zone: 'America/New_York' }).toUTC().toISO(), 'sms']]);
  });
});

describe('Twilio retries and carrier keywords', () => {
  it('answers a repeated MessageSid once, and does nothing the second time', async () => {
    const phone = '+15550300003';
    const first = await text(phone, 'hi', { sid: 'SM'.padEnd(34, '7') });
    const second = await text(phone, 'hi', { sid: 'SM'.padEnd(34, '7') });
    expect(messages(first.body)).toHaveLength(1);
    expect(second.status).toBe(200);
    expect(messages(second.body)).toEqual([]);
  });

  it('records STOP and every one of its synonyms with one confirmation, then START subscribes again', async () => {
    const p = await insertPatient(h.db, { name: 'Opt Out', phone: '+15550300004', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
    for (const word of ['STOP', 'stopall', 'Unsubscribe', 'CANCEL', 'end', 'QUIT', 'revoke', 'OptOut']) {
      await h.db.models.Patient.update({ smsOptOut: false }, { where: { id: p.patientId } });
      const res = await text('+15550300004', word);
      expect(messages(res.body)).toEqual([expect.stringMatching(/^Demo Clinic: you'll get no more texts\. Reply START to resume\.$/)]);
      expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(true);
    }
    // While opted out, nothing is answered.
    expect(messages((await text('+15550300004', 'menu')).body)).toEqual([]);
    const start = await text('+15550300004', 'START');
    expect(messages(start.body)[0]).toMatch(/subscribed to Demo Clinic texts again/);
    expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(false);
    expect(await h.db.models.Audit.count({ where: { action: 'patient.sms_opt_out', patientId: p.patientId } })).toBe(8);
  });

  it('tells a patient with appointments ahead, in the one confirmation, that they stay booked without reminders and how to call one off', async () => {
    const p = await insertPatient(h.db, { name: 'Has Bookings', phone: '+15550300024', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
    const patel = (await h.db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
    for (const at of ['2026-12-02T10:00', '2026-12-03T10:00']) {
      await h.services.booking.book(p, { doctorId: patel.id, patientId: p.patientId, startsAt: DateTime.fromISO(at, { zone: 'America/New_York' }).toJSDate(), channel: 'sms' });
    }
    const [confirmation, ...more] = messages((await text('+15550300024', 'cancel')).body);
    expect(more).toEqual([]);
    expect(confirmation).toBe("Demo Clinic: you'll get no more texts. Your 2 appointments ahead stay booked, without reminders; to call one off, call +1 555 010 0000. Reply START to resume.");
    // Opting out is not calling anything off.
    expect(await h.db.models.Appointment.count({ where: { patientId: p.patientId, status: 'booked' } })).toBe(2);
  });

  it('stays silent on the keywords Twilio answered itself (Advanced Opt-Out sends OptOutType), and still records them', async () => {
    const p = await insertPatient(h.db, { name: 'Advanced Optout', phone: '+15550300025', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
    expect(messages((await text('+15550300025', 'STOP', { extra: { OptOutType: 'STOP' } })).body)).toEqual([]);
    expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(true);
    expect(messages((await text('+15550300025', 'START', { extra: { OptOutType: 'START' } })).body)).toEqual([]);
    expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(false);
    expect(messages((await text('+15550300025', 'HELP', { extra: { OptOutType: 'HELP' } })).body)).toEqual([]);
  });

  it('answers HELP with what carriers require', async () => {
    const [reply] = messages((await text('+15550300005', 'HELP')).body);
    expect(reply).toMatch(/Demo Clinic: appointment booking by text.*call the clinic at \+1 555 010 0000.*Msg & data rates may apply.*STOP to opt out/s);
  });

  it('counts HELP against the limit too: 25 HELPs in a row get 20 answers and one request to slow down', async () => {
    const answers: string[][] = [];
    for (let i = 0; i < 25; i++) answers.push(messages((await text('+15550300016', 'HELP')).body));
    expect(answers.filter((a) => a.length && /appointment booking by text/.test(a[0]))).toHaveLength(20);
    expect(answers[20]).toEqual([expect.stringMatching(/faster than I can answer/)]);
    expect(answers.slice(21)).toEqual([[], [], [], []]);
    // STOP still works past the limit: carriers require it.
    expect((await text('+15550300016', 'STOP')).status).toBe(200);
  });

  it('asks a flooding sender to slow down once, then stays quiet', async () => {
    const phone = '+15550300006';
    const bodies: string[][] = [];
    for (let i = 0; i < 23; i++) bodies.push(messages((await text(phone, 'menu')).body));
    expect(bodies.slice(0, 20).every((b) => b.length > 0 && !/faster than I can answer/.test(b.join()))).toBe(true);
    expect(bodies[20]).toEqual([expect.stringMatching(/faster than I can answer/)]);
    expect(bodies[21]).toEqual([]);
    expect(bodies[22]).toEqual([]);
  });
});

describe('carrier keywords left to Twilio (the default)', () => {
  it('records STOP, START and HELP and sends nothing, so the patient never gets two confirmations', async () => {
    const plain = await startApp(h, env, { twilioClient: twilioClient() });
    try {
      const p = await insertPatient(h.db, { name: 'Twilio Answers', phone: '+15550300026', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
      expect(messages((await text('+15550300026', 'Stop', { port: plain.port })).body)).toEqual([]);
      expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(true);
      expect(messages((await text('+15550300026', 'unstop', { port: plain.port })).body)).toEqual([]);
      expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(false);
      expect(messages((await text('+15550300026', 'help', { port: plain.port })).body)).toEqual([]);
      // Everything else is the conversation's, as ever.
      expect(messages((await text('+15550300026', 'menu', { port: plain.port })).body).join()).toMatch(/What would you like to do/);
    } finally {
      await plain.close();
    }
  });
});

describe('long and late replies', () => {
  it('splits a reply over three segments at line breaks', async () => {
    const { smsBodies } = await import('../../adapters/sms/render');
    const long = Array.from({ length: 12 }, (_, i) => `${i + 1} A fairly long line describing choice number ${i + 1} in detail`).join('\n');
    const bodies = smsBodies([{ text: long }]);
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.join('\n')).toBe(long);
    for (const b of bodies) expect(b.length).toBeLessThanOrEqual(459);
  });

  it('answers empty TwiML at once and texts the reply through the Messages API when the dialog is slow', async () => {
    const slow = await startApp(h, env, { twilioClient: twilioClient(), smsReplyBudgetMs: 0 });
    const sent: string[] = [];
    const scope = nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, (body) => {
        sent.push(String(body.Body));
        return body.To === '+15550300007' && body.From === FROM_NUMBER;
      })
      .reply(201, { sid: 'SM'.padEnd(34, '1'), status: 'queued' });
    const res = await text('+15550300007', 'hi', { port: slow.port });
    expect(messages(res.body)).toEqual([]);
    await waitFor(() => scope.isDone());
    expect(sent[0]).toMatch(/Welcome to Demo Clinic/);
    await slow.close();
  });
});

describe('sending texts', () => {
  it('records an opt-out when Twilio refuses a send with 21610, and does not retry', async () => {
    const p = await insertPatient(h.db, { name: 'Carrier Stop', phone: '+15550300008', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
    const scope = nock('https://api.twilio.com')
      .post(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`)
      .once()
      .reply(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 });
    expect(await app.channels.sms!.send('+15550300008', 'Reminder: Tue 1 Dec, 10:00 AM')).toBe('opted-out');
    expect(scope.isDone()).toBe(true);
    expect((await h.db.models.Patient.findByPk(p.patientId))!.smsOptOut).toBe(true);
    // Once opted out, no request is even made.
    expect(await app.channels.sms!.send('+15550300008', 'again')).toBe('opted-out');
  });

  it('never texts a number that is not a registered patient', async () => {
    expect(await app.channels.sms!.send('+15559990000', 'hello')).toBe('not-registered');
  });
});


describe('logs', () => {
  it('carry ids and outcomes, never the phone number, the name, the date of birth or the message text', async () => {
    const lines: string[] = [];
    const logged = await startApp(h, env, { twilioClient: twilioClient(), logLines: lines });
    const phone = '+15550300099';
    for (const body of ['hello there', 'Priscilla Quartermaine', '07/08/1966', 'YES', 'heart', 'STOP']) await text(phone, body, { port: logged.port });
    await logged.close();
    // Timestamps are digits too: a secret like 555 must not be found in the clock.
    const all = lines.join('\n').replace(/"time":\d+/g, '"time":0');
    expect(lines.length).toBeGreaterThan(5);
    expect(all).toMatch(/"messageSid":"SM/);
    for (const secret of [phone, '5550300099', 'Priscilla', 'Quartermaine', '1966', 'hello there']) expect(all).not.toContain(secret);
  });

  it('never carry the reason for a visit or an intake answer', async () => {
    const lines: string[] = [];
    const logged = await startApp(h, env, { twilioClient: twilioClient(), logLines: lines });
    const p = await insertPatient(h.db, { name: 'Rita Reason', phone: '+15550300097', dateOfBirth: '1970-03-03', timeZone: 'Europe/London' });
    const say = async (body: string) => messages((await text('+15550300097', body, { port: logged.port })).body).join('\n');
    await say('new patient visit with Dr Rahman on Friday at 11');
    expect(await say('yes')).toMatch(/reason for your visit/);
    expect(await say('recurring tinnitus in left ear')).toMatch(/Are you taking any medicines/);
    expect(await say('sertraline 50mg')).toMatch(/will see your answers/);
    await logged.close();
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join('\n')).not.toMatch(/tinnitus|sertraline/);
    const [appt] = await h.db.models.Appointment.findAll({ where: { patientId: p.patientId } });
    expect([appt.reason, appt.intake]).toEqual(['recurring tinnitus in left ear', [{ question: 'Are you taking any medicines? If so, which?', answer: 'sertraline 50mg' }]]);
  });

  it('record a refused webhook with its source address, and never the request itself', async () => {
    const lines: string[] = [];
    const logged = await startApp(h, env, { twilioClient: twilioClient(), logLines: lines });
    await text('+15550300098', 'Secret Name', { signature: 'Zm9yZ2Vk', port: logged.port });
    // restify's own logging of a 404 on /files used to write the whole request, headers and all.
    await request(logged.port, 'GET', '/files/x/y', '', { authorization: 'Bearer very-secret-token', cookie: 'session=abc' });
    // Whatever restify itself logs goes through the service's logger, cut down to method and route.
    const before = lines.length;
    logged.server.log.warn(
      { req: { method: 'GET', headers: { authorization: 'Bearer very-secret-token' }, getRoute: () => ({ path: '/files/:token/:name' }) }, value: { headers: { cookie: 'session=abc' } } },
      'Discarded returned value from async handler',
    );
    expect(lines.length).toBe(before + 1);
    expect(JSON.parse(lines[before])).toMatchObject({ component: 'restify', req: { method: 'GET', route: '/files/:token/:name' }, value: '[not logged]' });
    await logged.close();
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'sms webhook refused')!;
    expect(refused).toMatchObject({ reason: 'bad signature', source: expect.stringMatching(/127\.0\.0\.1/) });
    // Timestamps are digits too: a secret like 555 must not be found in the clock.
    const all = lines.join('\n').replace(/"time":\d+/g, '"time":0');
    for (const secret of ['5550300098', 'Secret Name', 'very-secret-token', 'session=abc', 'x-twilio-signature']) expect(all).not.toContain(secret);
  });
});
