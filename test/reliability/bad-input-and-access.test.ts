import Redis from 'ioredis';
import { createHmac, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { FakePlatforms, Instance, SLACK_SECRET, freePort, get, instanceEnv, messages, request, sms, textsIn, type Reply } from './support';

const NY = 'America/New_York';
let tdb: TestDatabase;
let app: Instance;
let platforms: FakePlatforms;
let bAppointment: string;
const prefix = scopedName('rel_input');
const A = '+15550920001';
const B = '+15550920002';
const statuses: Array<{ what: string; status: number }> = [];

const JUNK: Array<[string, string]> = [
  ['empty', ''],
  ['10 KB', 'x'.repeat(10 * 1024)],
  ['emoji', '😀🩺🎉 book 🏥'],
  ['right-to-left', 'أريد حجز موعد مع الطبيب'],
  ['control characters', '\u0000\u0001\u0007\u001b[2J\u0008\r\n\t'],
  ['SQL-looking', "'; DROP TABLE appointments; -- OR 1=1"],
  ['impossible date', 'Feb 30 10am'],
  ['time in a DST gap', 'Mar 14 2027 2:30am'],
  ['a uuid', '00000000-0000-4000-8000-000000000000'],
];

function slackSigned(body: string, contentType: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

function record(what: string, res: Reply): Reply {
  statuses.push({ what, status: res.status });
  return res;
}

beforeAll(async () => {
  tdb = await createTestDatabase('rel_input');
  const { User, Doctor, AvailabilityRule, Patient, ChannelIdentity, Appointment } = tdb.db.models;
  const du = await User.create({ role: 'doctor', email: 'in.put@demo.clinic', displayName: 'In Put' });
  const doctor = await Doctor.create({ userId: du.id, fullName: 'In Put', timeZone: NY, slotMinutes: 30 });
  await AvailabilityRule.bulkCreate([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ doctorId: doctor.id, weekday, startTime: '09:00', endTime: '17:00', validFrom: null, validTo: null })));
  await ChannelIdentity.create({ channel: 'slack', externalId: 'U0INPUT', userId: du.id });
  await ChannelIdentity.create({ channel: 'teams', externalId: 'aad-input', userId: du.id });
  const admin = await User.create({ role: 'admin', email: 'ad.min@demo.clinic', displayName: 'Ad Min' });
  await ChannelIdentity.create({ channel: 'slack', externalId: 'U0ADMIN', userId: admin.id });
  for (const [phone, name] of [[A, 'Alice Attacker'], [B, 'Bea Victim']]) {
    const u = await User.create({ role: 'patient', email: null, displayName: name });
    await Patient.create({ userId: u.id, fullName: name, dateOfBirth: '1980-01-01', phoneE164: phone, timeZone: NY });
    await ChannelIdentity.create({ channel: 'sms', externalId: phone, userId: u.id });
  }
  const bea = (await Patient.findOne({ where: { phoneE164: B } }))!;
  const startsAt = DateTime.now().setZone(NY).plus({ days: 3 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  bAppointment = (await Appointment.create({ doctorId: doctor.id, patientId: bea.id, startsAt: startsAt.toJSDate(), endsAt: startsAt.plus({ minutes: 30 }).toJSDate(), reason: 'private', channel: 'sms', createdBy: null })).id;
  // Slack's API and the Teams connector, played locally, so the replies on those channels can be read.
  platforms = new FakePlatforms();
  await platforms.start();
  app = new Instance(await freePort(), {
    ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }),
    REPORTS_API_TOKEN: 'reports-token-0123456789abcdefghij',
    // The Teams route exists (for the Emulator, on this machine only), so its parsing is attacked too.
    TEAMS_EMULATOR_OPEN: 'true',
    SLACK_API_URL: `${platforms.url}/api/`,
  });
  await app.start();
});

afterAll(async () => {
  await app?.stop();
  await platforms?.stop();
  await tdb?.drop();
  // The service ran on the shared Redis: what it kept there goes with this file.
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

/** What a user must never be shown: an error's insides. */
const LEAK = /Error|undefined|null|\[object|stack|sequelize|NaN/i;
let said = 0;

/** A doctor's Slack DM, signed as Slack signs it; resolves to the texts of the reply posted for it. */
async function slackSays(user: string, text: string): Promise<string[]> {
  const channel = `DJ${++said}`;
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: 'T1',
    api_app_id: 'A1',
    event_id: `Ev${randomBytes(6).toString('hex')}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel_type: 'im', channel, user, text, ts: `${Date.now() / 1000}` },
  });
  expect(record('slack dm', await request(app.port, 'POST', '/slack/events', body, slackSigned(body, 'application/json'))).status).toBe(200);
  const replies = await platforms.waitFor((c) => c.path.endsWith('/chat.postMessage') && c.body.channel === channel);
  return replies.flatMap((c) => textsIn(c.body));
}

/** `/clinic <text>` from a Slack user; resolves to the texts sent to the command's response URL. */
async function clinicSays(user: string, text: string): Promise<string[]> {
  const respondTo = `/respond/${++said}`;
  const form = new URLSearchParams({ token: 't', command: '/clinic', text, user_id: user, channel_id: 'C1', team_id: 'T1', api_app_id: 'A1', response_url: `${platforms.url}${respondTo}`, trigger_id: 't' }).toString();
  expect(record('slack /clinic', await request(app.port, 'POST', '/slack/events', form, slackSigned(form, 'application/x-www-form-urlencoded'))).status).toBe(200);
  return (await platforms.waitFor((c) => c.path === respondTo)).flatMap((c) => textsIn(c.body));
}

describe('bad input on every endpoint', () => {
  it('SMS: junk at every step of a conversation, from a patient and from a stranger, always a polite 200', async () => {
    for (const [kind, junk] of JUNK) {
      for (const step of ['menu', 'book dr in put', '1']) {
        await sms(app.port, A, step);
        const res = record(`sms ${kind}`, await sms(app.port, A, junk));
        expect(res.status).toBe(200);
        expect(messages(res.body)).not.toMatch(/Error|undefined|null|\[object|stack|sequelize/i);
      }
      const stranger = record(`sms stranger ${kind}`, await sms(app.port, `+1555093${String(JUNK.findIndex(([k]) => k === kind)).padStart(4, '0')}`, junk));
      expect(stranger.status).toBe(200);
    }
  });

  // Every junk text at every step of a doctor's conversation, on Slack and on Teams, and in every
  // part of an admin's /clinic command: each one answered, in words, with nothing of an error in it.
  const DOCTOR_STEPS = [[], ['menu'], ['menu', '4'], ['menu', '5'], ['menu', '6']];

  it('Slack: junk at every step of a doctor\'s conversation, each answered politely', async () => {
    for (const [kind, junk] of JUNK) {
      for (const steps of DOCTOR_STEPS) {
        for (const step of steps) expect((await slackSays('U0INPUT', step)).length).toBeGreaterThan(0);
        const reply = await slackSays('U0INPUT', junk);
        expect([kind, steps.join(' > '), reply.length > 0]).toEqual([kind, steps.join(' > '), true]);
        expect(reply.join('\n')).not.toMatch(LEAK);
      }
    }
  });

  it('Slack /clinic: junk in every part of an admin\'s command, each answered with a reason', async () => {
    for (const [kind, junk] of JUNK) {
      for (const command of [junk, `book ${A} "In Put" ${junk}`, `report ${junk} 2026-12-01`, `appointments "In Put" ${junk}`, `settings set ${junk} ${junk}`, `patients find ${junk}`]) {
        const reply = await clinicSays('U0ADMIN', command);
        expect([kind, command.slice(0, 30), reply.length > 0]).toEqual([kind, command.slice(0, 30), true]);
        expect(reply.join('\n')).not.toMatch(LEAK);
      }
    }
  });

  // Teams' junk-at-every-step runs in test/integration/teams-adapter.test.ts: Teams now answers only
  // authenticated activities, and a separate process cannot be given the Bot Framework's keys by nock.

  it('SMS: malformed, oversized and mistyped bodies are refused with a 4xx', async () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['malformed JSON', '{"From": "+1555', { 'content-type': 'application/json', 'x-twilio-signature': 'x' }],
      ['wrong content type', 'From=+15550920001&Body=hi', { 'content-type': 'text/plain', 'x-twilio-signature': 'x' }],
      ['no body', '', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['100 KB form', `Body=${'a'.repeat(100 * 1024)}`, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' }],
    ];
    for (const [what, body, headers] of cases) {
      const res = record(`sms ${what}`, await request(app.port, 'POST', '/sms', body, headers));
      expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
    }
  });

  it('Slack: malformed JSON, wrong content types and huge text are refused or handled, never a 500', async () => {
    const bodies: Array<[string, string, string]> = [
      ['malformed JSON', '{"type": "event_callback", "event": ', 'application/json'],
      ['wrong content type', 'hello', 'text/plain'],
      ['empty', '', 'application/json'],
      ['interactive payload that is not JSON', 'payload=%7B%22type%22%3A%20block_actions', 'application/x-www-form-urlencoded'],
      ['a button whose value is not ours', new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0INPUT' }, channel: { id: 'D1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: 't', actions: [{ type: 'button', action_id: 'cc_choice_0', value: '\u0000; DROP TABLE x', action_ts: '1' }] }) }).toString(), 'application/x-www-form-urlencoded'],
      ['10 KB DM', JSON.stringify({ type: 'event_callback', event_id: 'EvBig', event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U0INPUT', text: 'x'.repeat(10240), ts: '1.1' } }), 'application/json'],
      ['emoji and control characters', JSON.stringify({ type: 'event_callback', event_id: 'EvOdd', event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U0INPUT', text: '😀\u0000\u001b', ts: '1.2' } }), 'application/json'],
    ];
    for (const [what, body, type] of bodies) {
      const res = record(`slack ${what}`, await request(app.port, 'POST', '/slack/events', body, slackSigned(body, type)));
      expect([what, res.status < 500]).toEqual([what, true]);
    }
  });

  it('Teams: malformed JSON, wrong content type and non-activities get a 400', async () => {
    for (const [what, body, type] of [
      ['malformed JSON', '{"type": "message", ', 'application/json'],
      ['wrong content type', 'type=message', 'application/x-www-form-urlencoded'],
      ['an array', '[1, 2]', 'application/json'],
      ['empty', '', 'application/json'],
    ]) {
      const res = record(`teams ${what}`, await request(app.port, 'POST', '/api/messages', body, { 'content-type': type }));
      expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
    }
  });

  it('the reports API, file links, health and unknown routes answer 2xx or 4xx', async () => {
    const auth = { authorization: 'Bearer reports-token-0123456789abcdefghij' };
    for (const path of ['/api/reports?from=2026-02-30&to=2026-03-01', `/api/reports?from=${encodeURIComponent("' OR 1=1 --")}&to=x`, '/api/reports?from=%F0%9F%98%80&to=2026-01-01', `/api/reports?from=${'9'.repeat(5000)}&to=1`]) {
      const res = record(`reports ${path.slice(0, 40)}`, await request(app.port, 'GET', path, '', auth));
      expect(res.status).toBe(400);
    }
    for (const path of ['/files/not-a-token/x.csv', `/files/${'A'.repeat(40)}/x.csv`, '/healthz?x=%00', '/nope', '/sms']) {
      const res = record(`GET ${path}`, await get(app.port, path));
      expect([path, res.status < 500]).toEqual([path, true]);
    }
  });

  it('refuses forged, missing and replayed signatures', async () => {
    // Twilio: forged or missing, 403; replayed (the same MessageSid), answered with nothing.
    const forged = await request(app.port, 'POST', '/sms', 'From=%2B15550920001&Body=hi&MessageSid=SMxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'Zm9yZ2Vk' });
    expect(forged.status).toBe(403);
    const sid = `SM${randomBytes(16).toString('hex')}`;
    expect(messages((await sms(app.port, A, 'menu', sid)).body)).toMatch(/What would you like/);
    expect(messages((await sms(app.port, A, 'menu', sid)).body)).toBe('');
    // Slack: forged, missing and stale.
    const body = JSON.stringify({ type: 'event_callback', event_id: 'EvX', event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U0INPUT', text: 'today', ts: '1.3' } });
    expect((await request(app.port, 'POST', '/slack/events', body, { 'content-type': 'application/json', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=00' })).status).toBe(401);
    expect((await request(app.port, 'POST', '/slack/events', body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await request(app.port, 'POST', '/slack/events', body, slackSigned(body, 'application/json', Math.floor(Date.now() / 1000) - 600))).status).toBe(401);
  });

  it('answered nothing with a 500, and the service is still up', async () => {
    expect(statuses.filter((s) => s.status >= 500 || s.status === 0)).toEqual([]);
    expect(app.alive()).toBe(true);
    expect((await get(app.port, '/healthz')).status).toBe(200);
  });
});

describe('patient A after patient B\'s appointment', () => {
  const bStatus = async () =>
    (await tdb.db.sequelize.query<{ status: string }>('SELECT status FROM appointments WHERE id = :id', { replacements: { id: bAppointment }, type: QueryTypes.SELECT }))[0].status;

  it('cannot reach it by any path over SMS: ids, references and words lead nowhere', async () => {
    const ref = bAppointment.slice(0, 8);
    for (const attempt of ['menu', '2', '01/01/1980', bAppointment, `cancel ${bAppointment}`, '3', '1', 'X', 'C', `/clinic cancel ${ref}`, `mark ${ref} no-show`, 'R', 'yes']) {
      const res = await sms(app.port, A, attempt);
      expect(res.status).toBe(200);
      expect(messages(res.body)).not.toMatch(/Bea|Victim/);
    }
    expect(await bStatus()).toBe('booked');
  });

  it('a doctor\'s replayed Slack button is refused and audited, and /clinic from a doctor too', async () => {
    const seqOf = async () => {
      const [row] = await tdb.db.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'dialog.stale_button'`, { type: QueryTypes.SELECT });
      return Number(row.n);
    };
    // A button press whose turn is long gone (turn 0 after this user has spoken), carrying B's id as its value.
    const dm = JSON.stringify({ type: 'event_callback', event_id: `Ev${randomBytes(4).toString('hex')}`, event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U0INPUT', text: 'menu', ts: '1.4' } });
    await request(app.port, 'POST', '/slack/events', dm, slackSigned(dm, 'application/json'));
    await new Promise((r) => setTimeout(r, 300));
    const payload = JSON.stringify({ type: 'block_actions', user: { id: 'U0INPUT' }, channel: { id: 'D1' }, team: { id: 'T1' }, api_app_id: 'A1', container: { type: 'message' }, token: 't', trigger_id: 't', actions: [{ type: 'button', action_id: 'cc_choice_0', value: `cc:0:${bAppointment}`, action_ts: '1' }] });
    const form = new URLSearchParams({ payload }).toString();
    for (let i = 0; i < 2; i++) expect((await request(app.port, 'POST', '/slack/events', form, slackSigned(form, 'application/x-www-form-urlencoded'))).status).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await seqOf()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await seqOf()).toBe(2);

    const command = new URLSearchParams({ token: 't', command: '/clinic', text: `cancel ${bAppointment.slice(0, 8)}`, user_id: 'U0INPUT', channel_id: 'C1', team_id: 'T1', api_app_id: 'A1', response_url: 'http://127.0.0.1:9/r', trigger_id: 't' }).toString();
    expect((await request(app.port, 'POST', '/slack/events', command, slackSigned(command, 'application/x-www-form-urlencoded'))).status).toBe(200);
    const deadline2 = Date.now() + 5000;
    let denied = 0;
    while (denied === 0 && Date.now() < deadline2) {
      const [row] = await tdb.db.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'admin.command' AND outcome = 'denied'`, { type: QueryTypes.SELECT });
      denied = Number(row.n);
      if (!denied) await new Promise((r) => setTimeout(r, 100));
    }
    expect(denied).toBe(1);
    expect(await bStatus()).toBe('booked');
  });
});
