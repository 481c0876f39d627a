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

describe('without app credentials (open, for the Emulator)', () => {
  let app: HttpApp;
  beforeAll(async () => {
    app = await startApp(h, {});
    const admin = await h.db.models.User.findOne({ where: { email: 'admin@demo.clinic' } });
    await h.db.models.ChannelIdentity.create({ channel: 'teams', externalId: 'aad-admin', userId: admin!.id });
    await insertPatient(h.db, { name: 'Teams Booking', phone: '+15550500001', dateOfBirth: '1985-03-03', timeZone: 'America/New_York' });
  });
  afterAll(() => app.close());

  it('books a patient at the front desk: a whole booking over Teams', async () => {
    const sent = captureConnector();
    const res = await post(app, teamsMessage({ from: '29:admin', aad: 'aad-admin', text: 'book +15550500001 "Mei Chen" 2026-12-03 10:00', serviceUrl: SERVICE_URL }));
    expect(res.status).toBe(200);
    await waitFor(() => sent.length > 0);
    expect(sent[0].body.text).toMatch(/Booked Teams Booking with Dr Mei Chen on Thu 3 Dec, 10:00 AM \(America\/Chicago\)/);
    const rows = await h.db.models.Appointment.findAll({ where: { channel: 'teams' } });
    expect(rows.map((r) => r.startsAt.toISOString())).toEqual(['2026-12-03T16:00:00.000Z']);
  });

  it('sends a report with the chart inline and the CSV as a short-lived download link', async () => {
    const sent = captureConnector();
    const res = await post(app, teamsMessage({ from: '29:admin', aad: 'aad-admin', text: 'report 2026-11-30 2026-12-06 csv chart', serviceUrl: SERVICE_URL }));
    expect(res.status).toBe(200);
    await waitFor(() => sent.length >= 2);
    expect(sent[0].body.text).toMatch(/^Report 2026-11-30 to 2026-12-06/);
    const attachments = (sent[1].body.attachments ?? []) as Array<{ contentType: string; contentUrl?: string; content?: { buttons?: Array<{ value: string }> } }>;
    const png = attachments.find((a) => a.contentType === 'image/png')!;
    expect(Buffer.from(png.contentUrl!.replace(/^data:image\/png;base64,/, ''), 'base64').subarray(1, 4).toString()).toBe('PNG');
    const link = attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.hero')!.content!.buttons![0].value;
    // PUBLIC_BASE_URL is the default here; the path is what this server serves.
    const path = new URL(link).pathname;
    const download = await request(app.port, 'GET', path);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('text/csv');
    expect(download.body.split('\r\n')[0]).toBe('section,name,metric,value');
    expect((await request(app.port, 'GET', path.replace(/\/files\/[^/]+/, '/files/' + 'x'.repeat(32)))).status).toBe(404);
  });

  it('does not link anyone by email in open mode, where the caller picks the service URL', async () => {
    const sent = captureConnector();
    await post(app, teamsMessage({ from: '29:who', aad: 'aad-who', text: 'hi', serviceUrl: SERVICE_URL }));
    await waitFor(() => sent.length > 0);
    expect(sent[0].body.text).toMatch(/ask a clinic admin to link your Teams account/);
    expect(await h.services.identity.actorFor('teams', 'aad-who')).toBeNull();
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
  const env = { MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: 'app-password-123' };
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
