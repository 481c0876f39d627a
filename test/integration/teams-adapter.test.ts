import nock from 'nock';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { publishBotFrameworkKeys, teamsMessage, type BotFrameworkKeys } from '../support/botframework';
import { createHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { request, startApp, type HttpApp } from '../support/http-app';

const SERVICE_URL = 'https://smba.trafficmanager.net/teams/';
const APP_ID = '11111111-2222-3333-4444-555555555555';
let h: Harness;

type Sent = { path: string; body: { text?: string; attachments?: Array<{ contentType: string; content?: { actions?: Array<{ title: string; data: { cc: string } }> } }> }; auth?: string };

/** Captures every activity the bot sends to the Bot Connector at the service URL. */
function captureConnector(): Sent[] {
  const sent: Sent[] = [];
  nock('https://smba.trafficmanager.net')
    .persist()
    .post(/\/teams\/v3\/conversations\/.+\/activities(\/.+)?/)
    .reply(function (uri, body) {
      sent.push({ path: uri, body: body as Sent['body'], auth: this.req.headers.authorization as string | undefined });
      return [200, { id: `sent-${sent.length}` }];
    });
  return sent;
}


const post = (app: HttpApp, activity: unknown, auth?: string) =>
  request(app.port, 'POST', '/api/messages', JSON.stringify(activity), { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) });

beforeAll(async () => {
  h = await createHarness('teams_adapter', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await h.close();
});
afterEach(() => nock.cleanAll());

describe('without app credentials', () => {
  it('is off: with NODE_ENV unset (production), a forged activity reaches nobody and changes nothing', async () => {
    const app = await startApp(h, {});
    try {
      const admin = await h.db.models.User.findOne({ where: { email: 'admin@demo.clinic' } });
      await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'teams', externalId: 'aad-admin' }, defaults: { channel: 'teams', externalId: 'aad-admin', userId: admin!.id } });
      const evil = nock('https://evil.example').persist().post(/.*/).reply(200, {});
      const auditBefore = await h.db.models.Audit.count();
      // The probe as found: an admin's aadObjectId and an attacker's serviceUrl, no Authorization.
      const res = await post(app, teamsMessage({ from: '29:admin', aad: 'aad-admin', text: 'patients find +15551234567', serviceUrl: 'https://evil.example/' }));
      expect(res.status).toBe(404);
      await new Promise((r) => setTimeout(r, 100));
      expect(evil.isDone()).toBe(false);
      expect(await h.db.models.ConversationReference.count()).toBe(0);
      expect(await h.db.models.Audit.count()).toBe(auditBefore);
    } finally {
      await app.close();
    }
  });

  it('refuses the Emulator open mode in production, by configuration', async () => {
    await expect(startApp(h, { TEAMS_EMULATOR_OPEN: 'true' })).rejects.toThrow(/TEAMS_EMULATOR_OPEN: the unauthenticated Emulator mode is never allowed with NODE_ENV=production/);
  });
});

describe('the Emulator open mode (TEAMS_EMULATOR_OPEN, development only)', () => {
  let app: HttpApp;
  const EMULATOR = 'http://localhost:3979';
  beforeAll(async () => {
    app = await startApp(h, { NODE_ENV: 'development', TEAMS_EMULATOR_OPEN: 'true' });
  });
  afterAll(() => app.close());

  it('answers an Emulator on this machine, acting for no one, even given a linked admin\'s id', async () => {
    const sent: string[] = [];
    nock(EMULATOR)
      .persist()
      .post(/\/v3\/conversations\/.+\/activities/)
      .reply(function (_uri, body) {
        sent.push((body as { text: string }).text);
        return [200, { id: 'x' }];
      });
    const res = await post(app, teamsMessage({ from: '29:admin', aad: 'aad-admin', text: 'patients find +15551234567', serviceUrl: `${EMULATOR}/` }));
    expect(res.status).toBe(200);
    await waitFor(() => sent.length > 0);
    expect(sent).toEqual([expect.stringMatching(/open mode for the Bot Framework Emulator: messages are not authenticated, so it acts for no one/)]);
    expect(await h.db.models.ConversationReference.count()).toBe(0);
  });

  it('refuses any service URL that is not on this machine, and sends it nothing', async () => {
    const evil = nock('https://evil.example').persist().post(/.*/).reply(200, {});
    const res = await post(app, teamsMessage({ from: '29:admin', aad: 'aad-admin', text: 'menu', serviceUrl: 'https://evil.example/' }));
    expect(res.status).toBe(403);
    await new Promise((r) => setTimeout(r, 50));
    expect(evil.isDone()).toBe(false);
  });

  it('refuses a body that is not an activity with 400, never 500', async () => {
    for (const body of ['not json', '{"nope":1}', '[]', '']) {
      const res = await request(app.port, 'POST', '/api/messages', body, { 'content-type': 'application/json' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });
});

describe('with app credentials: Bot Framework authentication', () => {
  let app: HttpApp;
  let keys: BotFrameworkKeys;
  const env = { MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: 'app-password-123', TEAMS_ALLOWED_TENANTS: 'tenant-1' };
  /** The bot's own token for calling the Bot Connector (MSAL, client credentials). */
  function issueBotToken() {
    nock('https://login.microsoftonline.com')
      .persist()
      .get(/.*/)
      .reply(200, (uri: string) =>
        uri.includes('discovery/instance')
          ? { tenant_discovery_endpoint: 'https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration', 'api-version': '1.1', metadata: [] }
          : {
              token_endpoint: 'https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token',
              issuer: 'https://login.microsoftonline.com/botframework.com/v2.0',
              authorization_endpoint: 'https://login.microsoftonline.com/botframework.com/oauth2/v2.0/authorize',
              jwks_uri: 'https://login.microsoftonline.com/botframework.com/discovery/v2.0/keys',
              end_session_endpoint: 'https://login.microsoftonline.com/botframework.com/oauth2/v2.0/logout',
            },
      )
      .post('/botframework.com/oauth2/v2.0/token')
      .query(true)
      .reply(200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'bot-access-token' });
  }

  beforeAll(async () => {
    // Published once: botbuilder caches the signing keys for the whole process.
    keys = publishBotFrameworkKeys();
    app = await startApp(h, env);
    const admin = await h.db.models.User.findOne({ where: { email: 'admin@demo.clinic' } });
    await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'teams', externalId: 'aad-admin' }, defaults: { channel: 'teams', externalId: 'aad-admin', userId: admin!.id } });
    await insertPatient(h.db, { name: 'Teams Booking', phone: '+15550500001', dateOfBirth: '1985-03-03', timeZone: 'America/New_York' });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    keys.publish();
    issueBotToken();
  });

  const activity = (text: string, from = '29:patel', aad = 'aad-patel') => teamsMessage({ from, aad, text, serviceUrl: SERVICE_URL });
  const validToken = () => `Bearer ${keys.sign({ aud: APP_ID, serviceurl: SERVICE_URL })}`;

  it('refuses a missing, forged, expired, wrong-audience or wrong-service-URL token with 401', async () => {
    const sent = captureConnector();
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      undefined,
      'Bearer not-a-jwt',
      `Bearer ${keys.sign({ aud: APP_ID, serviceurl: SERVICE_URL }, { key: keys.strangerKey })}`,
      `Bearer ${keys.sign({ aud: APP_ID, serviceurl: SERVICE_URL, exp: now - 3600, nbf: now - 7200 })}`,
      `Bearer ${keys.sign({ aud: 'someone-else', serviceurl: SERVICE_URL })}`,
      `Bearer ${keys.sign({ aud: APP_ID, serviceurl: 'https://evil.example/' })}`,
    ];
    for (const auth of bad) expect((await post(app, activity('today'), auth)).status).toBe(401);
    expect(sent).toEqual([]);
  });

  it('links a doctor by the email of their Teams profile, answers with its own bearer token, and keeps the conversation for later', async () => {
    const sent = captureConnector();
    nock('https://smba.trafficmanager.net')
      .get(/\/teams\/v3\/conversations\/.+\/members\/.+/)
      .reply(200, { id: '29:patel', name: 'Anika Patel', aadObjectId: 'aad-patel', email: 'anika.patel@demo.clinic', userPrincipalName: 'anika.patel@demo.clinic' });
    const res = await post(app, activity('menu'), validToken());
    expect(res.status).toBe(200);
    await waitFor(() => sent.length > 0);
    expect(sent[0].auth).toBe('Bearer bot-access-token');
    // Choices arrive as an Adaptive Card whose buttons carry the conversation turn.
    const card = sent[0].body.attachments!.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')!;
    const today = card.content!.actions!.find((a) => a.title === "Today's schedule")!;
    expect(today.data.cc).toMatch(/^cc:\d+:1$/);

    // Pressing it.
    const press = teamsMessage({ from: '29:patel', aad: 'aad-patel', value: { cc: today.data.cc }, serviceUrl: SERVICE_URL });
    expect((await post(app, press, validToken())).status).toBe(200);
    await waitFor(() => sent.length > 1);
    expect(sent[1].body.text).toBe('You have no appointments today.');

    // A proactive message reaches the same conversation without their message first.
    const doctor = (await h.services.identity.actorFor('teams', 'aad-patel'))!;
    expect(await app.channels.teams!.sendToUser(doctor.userId, [{ text: 'New booking: Tue 1 Dec, 10:00 AM' }])).toBe(true);
    await waitFor(() => sent.length > 2);
    expect(sent[2].body.text).toBe('New booking: Tue 1 Dec, 10:00 AM');
    expect(decodeURIComponent(sent[2].path)).toContain('/v3/conversations/a:conv-29:patel/activities');
  });

  it('books a patient at the front desk: a whole booking over Teams', async () => {
    const sent = captureConnector();
    const res = await post(app, activity('book +15550500001 "Mei Chen" 2026-12-03 10:00', '29:admin', 'aad-admin'), validToken());
    expect(res.status).toBe(200);
    await waitFor(() => sent.length > 0);
    expect(sent[0].body.text).toMatch(/Booked Teams Booking with Dr Mei Chen on Thu 3 Dec, 10:00 AM \(America\/Chicago\)/);
    const rows = await h.db.models.Appointment.findAll({ where: { channel: 'teams' } });
    expect(rows.map((r) => r.startsAt.toISOString())).toEqual(['2026-12-03T16:00:00.000Z']);
  });

  it('sends a report with the chart inline and the CSV as a short-lived download link', async () => {
    const sent = captureConnector();
    const res = await post(app, activity('report 2026-11-30 2026-12-06 csv chart', '29:admin', 'aad-admin'), validToken());
    expect(res.status).toBe(200);
    await waitFor(() => sent.length >= 2);
    expect(sent[0].body.text).toMatch(/^Report 2026-11-30 to 2026-12-06/);
    const attachments = (sent[1].body.attachments ?? []) as Array<{ contentType: string; contentUrl?: string; content?: { buttons?: Array<{ value: string }> } }>;
    const png = attachments.find((a) => a.contentType === 'image/png')!;
    expect(Buffer.from(png.contentUrl!.replace(/^data:image\/png;base64,/, ''), 'base64').subarray(1, 4).toString()).toBe('PNG');
    const link = attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.hero')!.content!.buttons![0].value;
    const path = new URL(link).pathname;
    const download = await request(app.port, 'GET', path);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('text/csv');
    expect(download.body.split('\r\n')[0]).toBe('section,name,metric,value');
    expect((await request(app.port, 'GET', path.replace(/\/files\/[^/]+/, '/files/' + 'x'.repeat(32)))).status).toBe(404);
  });

  it('refuses an activity from a tenant that is not allowed, acting on nothing', async () => {
    const sent = captureConnector();
    const foreign = { ...activity('today'), conversation: { id: 'a:conv-x', conversationType: 'personal', tenantId: 'tenant-evil' }, channelData: { tenant: { id: 'tenant-evil' } } };
    expect((await post(app, foreign, validToken())).status).toBe(403);
    const none = { ...activity('today'), conversation: { id: 'a:conv-y', conversationType: 'personal' }, channelData: {} };
    expect((await post(app, none, validToken())).status).toBe(403);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
  });

  it('in a group chat or channel, says to message it directly, shows nothing and keeps no conversation', async () => {
    const sent = captureConnector();
    const doctor = (await h.services.identity.actorFor('teams', 'aad-patel'))!;
    await h.db.models.ConversationReference.destroy({ where: { userId: doctor.userId } });
    const group = { ...activity('today'), conversation: { id: '19:group-chat', conversationType: 'groupChat', tenantId: 'tenant-1' } };
    expect((await post(app, group, validToken())).status).toBe(200);
    await waitFor(() => sent.length > 0);
    expect(sent.map((s) => s.body.text)).toEqual(['To keep patient details private I only work in a personal chat. Please message me directly.']);
    expect(await h.db.models.ConversationReference.count({ where: { userId: doctor.userId } })).toBe(0);
  });

  it('never makes an admin of someone by the email of their Teams profile', async () => {
    const sent = captureConnector();
    nock('https://smba.trafficmanager.net')
      .get(/\/teams\/v3\/conversations\/.+\/members\/.+/)
      .reply(200, { id: '29:claims', name: 'Claims Admin', aadObjectId: 'aad-claims', email: 'admin@demo.clinic', userPrincipalName: 'admin@demo.clinic' });
    await post(app, activity('users list', '29:claims', 'aad-claims'), validToken());
    await waitFor(() => sent.length > 0);
    expect(sent[0].body.text).toMatch(/ask a clinic admin for a link code/);
    expect(await h.services.identity.actorFor('teams', 'aad-claims')).toBeNull();
  });

  it("shows a patient's name in a card as text, never as a link", async () => {
    const sent = captureConnector();
    const chen = await h.db.models.User.findOne({ where: { email: 'mei.chen@demo.clinic' } });
    await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'teams', externalId: 'aad-chen' }, defaults: { channel: 'teams', externalId: 'aad-chen', userId: chen!.id } });
    const doctorId = (await h.db.models.Doctor.findOne({ where: { userId: chen!.id } }))!.id;
    const evilName = '[Open chart](https://evil.example/login)';
    const p = await insertPatient(h.db, { name: evilName, phone: '+15550500009', dateOfBirth: '1980-01-01', timeZone: 'America/Chicago' });
    // Monday 30 November, 11:00 in Chicago: today for the doctor.
    await h.services.booking.book(p, { doctorId, patientId: p.patientId, startsAt: new Date('2026-11-30T17:00:00Z'), channel: 'sms' });
    await post(app, activity('today', '29:chen', 'aad-chen'), validToken());
    await waitFor(() => sent.length >= 2);
    const first = sent[0].body.attachments!.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')!;
    await post(app, teamsMessage({ from: '29:chen', aad: 'aad-chen', value: { cc: first.content!.actions![0].data.cc }, serviceUrl: SERVICE_URL }), validToken());
    await waitFor(() => sent.length >= 3);
    const card = sent[2].body.attachments!.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')!.content as unknown as { body: unknown[] };
    const json = JSON.stringify(card.body);
    expect(json).toContain(evilName.replace(/"/g, '\\"'));
    // Every text in the card is a TextRun (never read as Markdown); no TextBlock or FactSet at all.
    const types = new Set<string>();
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        if (typeof o.type === 'string') types.add(o.type);
        Object.values(o).forEach(walk);
      }
    };
    walk(card.body);
    expect([...types].sort()).toEqual(['RichTextBlock', 'TextRun']);
  });

  it("answers junk at every step of a doctor's conversation politely, with nothing of an error in it", async () => {
    const JUNK = ['', 'x'.repeat(10 * 1024), '😀🩺🎉 book 🏥', 'أريد حجز موعد', '\u0000\u0001\u0007\u001b[2J\r\n\t', "'; DROP TABLE appointments; --", 'Feb 30 10am', 'Mar 14 2027 2:30am', '00000000-0000-4000-8000-000000000000'];
    const STEPS = [[], ['menu'], ['menu', '4'], ['menu', '5'], ['menu', '6']];
    // Well over the 20 messages a minute one person may send: this test is not about the limit.
    const junkApp = await startApp(h, { ...env, RATE_LIMIT_PER_MINUTE: '1000' });
    const okafor = await h.db.models.User.findOne({ where: { email: 'james.okafor@demo.clinic' } });
    await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'teams', externalId: 'aad-okafor' }, defaults: { channel: 'teams', externalId: 'aad-okafor', userId: okafor!.id } });
    const says = async (text: string) => {
      const sent = captureConnector();
      expect((await post(junkApp, activity(text, '29:okafor', 'aad-okafor'), validToken())).status).toBe(200);
      await waitFor(() => sent.length > 0);
      nock.cleanAll();
      keys.publish();
      issueBotToken();
      return sent.map((x) => x.body.text ?? '').join('\n');
    };
    for (const junk of JUNK) {
      for (const steps of STEPS) {
        for (const step of steps) await says(step);
        const reply = await says(junk);
        expect(reply.length).toBeGreaterThan(0);
        expect(reply).not.toMatch(/Error|undefined|null|\[object|stack|sequelize|NaN/i);
      }
    }
    await junkApp.close();
  });

  it('answers within the time limit and sends a slow result proactively', async () => {
    const slow = await startApp(h, env, { teamsReplyBudgetMs: 0 });
    const sent = captureConnector();
    expect((await post(slow, activity('tomorrow'), validToken())).status).toBe(200);
    await waitFor(() => sent.length >= 2);
    expect(sent[0].body.text).toBe('Working on it, one moment...');
    expect(sent[1].body.text).toBe('You have no appointments tomorrow.');
    await slow.close();
  });
});
