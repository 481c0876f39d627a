import { createHmac } from 'node:crypto';
import nock from 'nock';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { request, startApp, type HttpApp } from '../support/http-app';

const SECRET = 'slack-signing-secret-0123456789';
const TOKEN = 'xoxb-test-0000-fake';
let h: Harness;
let app: HttpApp;
let eventSeq = 0;

/** Signed exactly as Slack signs: v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>"). */
function signed(body: string, contentType: string, opts: { ts?: number; signature?: string | null; retry?: number } = {}): Record<string, string> {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': String(ts) };
  const sig = opts.signature === undefined ? `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}` : opts.signature;
  if (sig !== null) headers['x-slack-signature'] = sig;
  if (opts.retry) {
    headers['x-slack-retry-num'] = String(opts.retry);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return headers;
}

function dmEvent(user: string, text: string, eventId = `Ev${++eventSeq}`) {
  return JSON.stringify({
    token: 'legacy',
    team_id: 'T1',
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel_type: 'im', channel: `D${user}`, user, text, ts: `${Date.now() / 1000}` },
  });
}

const postEvent = (body: string, opts: Parameters<typeof signed>[2] = {}) => request(app.port, 'POST', '/slack/events', body, signed(body, 'application/json', opts));

type Post = { channel: string; text: string; thread?: string; blocks: Array<{ type: string; elements?: Array<{ value: string; text: { text: string } }> }> };

/**
 * The first post that fits, once it has come. A reply a slow earlier test is still sending may land
 * in this test's capture: only the post this test asked for, to its channel, counts.
 */
async function postThat(posts: Post[], fits: (p: Post) => boolean): Promise<Post> {
  await waitFor(() => posts.some(fits));
  return posts.find(fits)!;
}

/** Collects what the bot posts with chat.postMessage. */
function capturePosts() {
  const posts: Post[] = [];
  const scope = nock('https://slack.com')
    .persist()
    .post('/api/chat.postMessage', (body) => {
      posts.push({ channel: body.channel, text: body.text, thread: body.thread_ts, blocks: typeof body.blocks === 'string' ? JSON.parse(body.blocks) : body.blocks ?? [] });
      return true;
    })
    .reply(200, { ok: true, ts: '1.1' });
  return { posts, scope };
}


beforeAll(async () => {
  h = await createHarness('slack_adapter', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock('https://slack.com').post('/api/auth.test').reply(200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
  app = await startApp(h, { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN });
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await app.close();
  await h.close();
});
afterEach(() => nock.cleanAll());

describe('request verification', () => {
  it('answers Slack\'s URL check', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'ch4ll3nge', token: 'legacy' });
    const res = await postEvent(body);
    expect(res.status).toBe(200);
    expect(res.body).toContain('ch4ll3nge');
  });

  it('refuses a forged, a missing and a stale signature, and acts on none of them', async () => {
    const { posts } = capturePosts();
    const body = dmEvent('U0PATEL', 'today');
    expect((await postEvent(body, { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await postEvent(body, { signature: null })).status).toBe(401);
    // Six minutes old: outside the five-minute replay window.
    expect((await postEvent(body, { ts: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(posts).toEqual([]);
  });

  it('answers a signed but malformed body with 400, and logs that it was malformed, not what it held', async () => {
    const lines: string[] = [];
    nock('https://slack.com').post('/api/auth.test').reply(200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
    const logged = await startApp(h, { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN }, { logLines: lines });
    try {
      const body = '{"text": +15552017788 Priscilla}';
      const res = await request(logged.port, 'POST', '/slack/events', body, signed(body, 'application/json'));
      expect(res.status).toBe(400);
      // Timestamps are digits too: a secret like 555 must not be found in the clock.
      const all = lines.join('\n').replace(/"time":\d+/g, '"time":0');
      expect(all).toContain('Malformed request body');
      for (const secret of ['555', '2017788', 'Priscilla']) expect(all).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});

describe('a doctor in a direct message', () => {
  it('is linked by the confirmed email of their Slack profile, and gets their schedule', async () => {
    const { posts } = capturePosts();
    nock('https://slack.com')
      .post('/api/users.info', (b) => b.user === 'U0PATEL')
      .reply(200, { ok: true, user: { id: 'U0PATEL', is_email_confirmed: true, profile: { email: 'Anika.Patel@demo.clinic' } } });
    const res = await postEvent(dmEvent('U0PATEL', 'today'));
    expect(res.status).toBe(200);
    expect(await postThat(posts, (p) => p.channel === 'DU0PATEL')).toMatchObject({ channel: 'DU0PATEL', text: 'You have no appointments today.' });
    expect(await h.services.identity.actorFor('slack', 'U0PATEL')).toMatchObject({ role: 'doctor' });
    expect(await h.db.models.Audit.count({ where: { action: 'identity.link' } })).toBe(1);
  });

  it('tells an unknown user, or one whose email is not confirmed, to ask an admin for a link code', async () => {
    const { posts } = capturePosts();
    nock('https://slack.com')
      .post('/api/users.info')
      .reply(200, { ok: true, user: { id: 'U0STRANGER', is_email_confirmed: false, profile: { email: 'admin@demo.clinic' } } });
    await postEvent(dmEvent('U0STRANGER', 'hi'));
    expect((await postThat(posts, (p) => p.channel === 'DU0STRANGER')).text).toMatch(/ask a clinic admin for a link code/);
    expect(await h.services.identity.actorFor('slack', 'U0STRANGER')).toBeNull();
  });

  it('never makes an admin of someone by the email of their profile, even a confirmed one', async () => {
    const { posts } = capturePosts();
    nock('https://slack.com')
      .post('/api/users.info')
      .reply(200, { ok: true, user: { id: 'U0CLAIMS', is_email_confirmed: true, profile: { email: 'admin@demo.clinic' } } });
    await postEvent(dmEvent('U0CLAIMS', 'users list'));
    expect((await postThat(posts, (p) => p.channel === 'DU0CLAIMS')).text).toMatch(/ask a clinic admin for a link code/);
    expect(await h.services.identity.actorFor('slack', 'U0CLAIMS')).toBeNull();
    expect(await h.db.models.Audit.count({ where: { action: 'identity.link', outcome: 'denied' } })).toBeGreaterThan(0);
  });

  it('links a new admin by a one-time code an admin issued, once', async () => {
    const second = await h.db.models.User.create({ role: 'admin', email: 'second.admin@demo.clinic', displayName: 'Second Admin' });
    const { code } = await h.services.identity.issueLinkCode({ userId: (await h.db.models.User.findOne({ where: { email: 'admin@demo.clinic' } }))!.id, role: 'admin' }, 'second.admin@demo.clinic');
    const { posts } = capturePosts();
    await postEvent(dmEvent('U0SECOND', `link ${code.toLowerCase()}`));
    expect((await postThat(posts, (p) => p.channel === 'DU0SECOND')).text).toBe('Linked: you are Second Admin (admin) from now on. Say MENU to start.');
    expect(await h.services.identity.actorFor('slack', 'U0SECOND')).toMatchObject({ userId: second.id, role: 'admin' });
    // The same code again, from someone else: refused, and nobody linked.
    await postEvent(dmEvent('U0THIRD', `link ${code}`));
    await waitFor(() => posts.length > 1);
    expect(posts[1].text).toMatch(/ask a clinic admin for a link code/);
    expect(await h.services.identity.actorFor('slack', 'U0THIRD')).toBeNull();
  });

  it('acts once on an event Slack retries with the same event_id', async () => {
    const { posts } = capturePosts();
    const body = dmEvent('U0PATEL', 'tomorrow', 'EvRETRY1');
    await postEvent(body);
    await waitFor(() => posts.length === 1);
    const retry = await postEvent(body, { retry: 1 });
    expect(retry.status).toBe(200);
    // A later message, answered after the retry (turns of one conversation run in order): once its
    // reply is in, a duplicate answer to the retry would be too.
    await postEvent(dmEvent('U0PATEL', 'today', 'EvAFTERRETRY'));
    await waitFor(() => posts.some((p) => p.text === 'You have no appointments today.'));
    expect(posts.map((p) => p.text)).toEqual(['You have no appointments tomorrow.', 'You have no appointments today.']);
  });

  it('shows choices as buttons, acts on a press, and refuses the same press replayed', async () => {
    const { posts } = capturePosts();
    await postEvent(dmEvent('U0PATEL', 'menu'));
    await waitFor(() => posts.length === 1);
    const actions = posts[0].blocks.find((b) => b.type === 'actions')!;
    const weekly = actions.elements!.find((e) => e.text.text === 'Weekly hours')!;
    expect(weekly.value).toMatch(/^cc:\d+:5$/);

    const press = () => {
      const payload = JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0PATEL' },
        channel: { id: 'DU0PATEL' },
        team: { id: 'T1' },
        api_app_id: 'A1',
        token: 'legacy',
        trigger_id: 't1',
        container: { type: 'message' },
        actions: [{ type: 'button', action_id: 'cc_choice_4', block_id: 'b1', value: weekly.value, action_ts: '1' }],
      });
      const body = new URLSearchParams({ payload }).toString();
      return request(app.port, 'POST', '/slack/events', body, signed(body, 'application/x-www-form-urlencoded'));
    };
    expect((await press()).status).toBe(200);
    await waitFor(() => posts.length === 2);
    expect(posts[1].text).toMatch(/Your weekly hours: Mon-Fri 09:00-17:00/);

    expect((await press()).status).toBe(200);
    await waitFor(() => posts.length >= 3);
    expect(posts[2].text).toMatch(/That button is from an earlier message/);
    expect(await h.db.models.Audit.count({ where: { action: 'dialog.stale_button', outcome: 'denied' } })).toBe(1);
  });
});

describe('a mention in a channel', () => {
  function captureEphemeral() {
    const whispers: Array<{ channel: string; user: string; text: string }> = [];
    nock('https://slack.com')
      .persist()
      .post('/api/chat.postEphemeral', (b) => {
        whispers.push({ channel: b.channel, user: b.user, text: b.text });
        return true;
      })
      .reply(200, { ok: true, message_ts: '1.2' });
    return whispers;
  }
  const mention = (user: string, text: string) =>
    JSON.stringify({
      token: 'legacy',
      team_id: 'T1',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `EvMention${++eventSeq}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_mention', channel: 'C0WARD', user, text: `<@UBOT> ${text}`, ts: `17000000${eventSeq}.000100` },
    });

  it("never posts a patient's details in a channel: 'today' then '1' get only a private pointer to a DM", async () => {
    const chen = await h.db.models.User.findOne({ where: { email: 'mei.chen@demo.clinic' } });
    await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'slack', externalId: 'U0CHEN' }, defaults: { channel: 'slack', externalId: 'U0CHEN', userId: chen!.id } });
    const doctor = (await h.db.models.Doctor.findOne({ where: { userId: chen!.id } }))!;
    const patient = await insertPatient(h.db, { name: 'Priscilla Private', phone: '+15550400077', dateOfBirth: '1961-02-03', timeZone: 'America/Chicago' });
    // An appointment today (Monday 30 November, 10:00 in Chicago).
    await h.services.booking.book(patient, { doctorId: doctor.id, patientId: patient.patientId, startsAt: new Date('2026-11-30T16:00:00Z'), channel: 'sms' });
    const { posts } = capturePosts();
    const whispers = captureEphemeral();
    expect((await postEvent(mention('U0CHEN', 'today'))).status).toBe(200);
    expect((await postEvent(mention('U0CHEN', '1'))).status).toBe(200);
    await waitFor(() => whispers.length === 2);
    expect(whispers).toEqual([
      { channel: 'C0WARD', user: 'U0CHEN', text: expect.stringMatching(/only answer in a direct message/) },
      { channel: 'C0WARD', user: 'U0CHEN', text: expect.stringMatching(/only answer in a direct message/) },
    ]);
    expect(posts).toEqual([]);
    // In the doctor's DM the same words work, and name the patient there only.
    await postEvent(dmEvent('U0CHEN', 'today'));
    await waitFor(() => posts.length === 2);
    expect(posts.map((p) => p.channel)).toEqual(['DU0CHEN', 'DU0CHEN']);
    expect(JSON.stringify(posts[0])).toContain('Priscilla Private');
  });

  it('answers a button pressed outside a DM with the same private pointer, never the dialog', async () => {
    const { posts } = capturePosts();
    const whispers = captureEphemeral();
    const payload = JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0CHEN' },
      channel: { id: 'C0WARD' },
      team: { id: 'T1' },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: 't9',
      container: { type: 'message', thread_ts: '1.1' },
      actions: [{ type: 'button', action_id: 'cc_choice_0', block_id: 'b1', value: 'cc:1:1', action_ts: '1' }],
    });
    const body = new URLSearchParams({ payload }).toString();
    expect((await request(app.port, 'POST', '/slack/events', body, signed(body, 'application/x-www-form-urlencoded'))).status).toBe(200);
    await waitFor(() => whispers.length === 1);
    expect(whispers[0].text).toMatch(/only answer in a direct message/);
    expect(posts).toEqual([]);
  });
});

describe('notifications to staff', () => {
  it('reaches a doctor linked on Slack in a direct message', async () => {
    const { createStaffMessenger } = await import('../../src/reminders/staff-messenger');
    const chen = await h.db.models.User.findOne({ where: { email: 'mei.chen@demo.clinic' } });
    await h.db.models.ChannelIdentity.findOrCreate({ where: { channel: 'slack', externalId: 'U0CHEN' }, defaults: { channel: 'slack', externalId: 'U0CHEN', userId: chen!.id } });
    nock('https://slack.com').post('/api/conversations.open', (b) => b.users === 'U0CHEN').reply(200, { ok: true, channel: { id: 'D0CHENDM' } });
    const { posts } = capturePosts();
    const messenger = createStaffMessenger({ db: h.db, teams: null, slack: app.channels.slack });
    expect(await messenger.send(chen!.id, 'New booking: Alice Jones, Tue 1 Dec at 10:00 AM (30 min).')).toBe(true);
    expect(posts).toEqual([expect.objectContaining({ channel: 'D0CHENDM', text: 'New booking: Alice Jones, Tue 1 Dec at 10:00 AM (30 min).' })]);
    // Someone with no platform linked cannot be reached, and says so.
    const admin = await h.db.models.User.create({ role: 'admin', email: 'nolink@demo.clinic', displayName: 'No Link' });
    expect(await messenger.send(admin.id, 'hello')).toBe(false);
  });
});

describe('the /clinic slash-command', () => {
  const command = (user: string, text: string) => {
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: 'T1',
      channel_id: 'C0DESK',
      user_id: user,
      command: '/clinic',
      text,
      api_app_id: 'A1',
      response_url: 'https://hooks.slack.com/commands/T1/1/abc',
      trigger_id: 't2',
    }).toString();
    return request(app.port, 'POST', '/slack/events', body, signed(body, 'application/x-www-form-urlencoded'));
  };

  beforeAll(async () => {
    const admin = await h.db.models.User.findOne({ where: { email: 'admin@demo.clinic' } });
    await h.db.models.ChannelIdentity.create({ channel: 'slack', externalId: 'U0ADMIN', userId: admin!.id });
    await insertPatient(h.db, { name: 'Desk Booking', phone: '+15550400001', dateOfBirth: '1980-05-05', timeZone: 'America/New_York' });
  });

  function captureResponses() {
    const texts: string[] = [];
    nock('https://hooks.slack.com')
      .persist()
      .post('/commands/T1/1/abc', (b) => {
        texts.push(b.text);
        return true;
      })
      .reply(200, 'ok');
    return texts;
  }

  /** The DM the bot opens with whoever typed /clinic: where the answer goes. */
  function dmWith(user: string, channel: string) {
    nock('https://slack.com').persist().post('/api/conversations.open', (b) => b.users === user).reply(200, { ok: true, channel: { id: channel } });
  }

  it('books a patient at the front desk: the answer in the admin\'s DM, only a pointer in the channel', async () => {
    const texts = captureResponses();
    const { posts } = capturePosts();
    dmWith('U0ADMIN', 'D0ADMINDM');
    const res = await command('U0ADMIN', 'book +15550400001 "Anika Patel" 2026-12-03 11:00');
    // Acknowledged with an empty 200; the answer follows.
    expect(res.status).toBe(200);
    expect(await postThat(posts, (p) => p.channel === 'D0ADMINDM' && /^Booked/.test(p.text))).toMatchObject({ text: expect.stringMatching(/Booked Desk Booking with Dr Anika Patel on Thu 3 Dec, 11:00 AM/) });
    await waitFor(() => texts.length > 0);
    expect(texts).toEqual(["I've answered in our direct messages, where patient details stay private."]);
    const appts = await h.db.models.Appointment.findAll({ where: { channel: 'slack' } });
    expect(appts.map((a) => a.startsAt.toISOString())).toEqual(['2026-12-03T16:00:00.000Z']);
  });

  it('refuses a doctor, in the service layer, and audits it', async () => {
    const { posts } = capturePosts();
    captureResponses();
    dmWith('U0PATEL', 'D0PATELDM');
    await command('U0PATEL', 'users list');
    expect(await postThat(posts, (p) => p.channel === 'D0PATELDM')).toMatchObject({ channel: 'D0PATELDM', text: 'Only clinic admins can use /clinic commands.' });
    const doctor = await h.services.identity.actorFor('slack', 'U0PATEL');
    expect(await h.db.models.Audit.count({ where: { actorUserId: doctor!.userId, action: 'admin.command', outcome: 'denied' } })).toBe(1);
  });

  it('uploads the report CSV and chart to the admin\'s DM', async () => {
    captureResponses();
    const { posts } = capturePosts();
    dmWith('U0ADMIN', 'D0ADMINDM');
    const uploads: string[] = [];
    const completed: string[] = [];
    nock('https://slack.com')
      .persist()
      .post('/api/files.getUploadURLExternal', (b) => {
        uploads.push(String(b.filename));
        return true;
      })
      .reply(200, () => ({ ok: true, upload_url: `https://files.slack.com/upload/v1/${uploads.length}`, file_id: `F${uploads.length}` }))
      .post('/api/files.completeUploadExternal', (b) => {
        completed.push(JSON.stringify(b));
        return true;
      })
      .reply(200, { ok: true, files: [{ id: 'F1' }] });
    nock('https://files.slack.com').persist().post(/\/upload\/v1\/\d+/).reply(200, 'OK');
    await command('U0ADMIN', 'report 2026-11-30 2026-12-06 csv chart');
    expect((await postThat(posts, (p) => p.channel === 'D0ADMINDM' && /^Report/.test(p.text))).text).toMatch(/^Report 2026-11-30 to 2026-12-06/);
    await waitFor(() => completed.length === 2);
    expect(uploads.sort()).toEqual(['clinic-report-2026-11-30-2026-12-06.csv', 'utilization-2026-11-30-2026-12-06.png']);
    for (const c of completed) {
      expect(c).toContain('D0ADMINDM');
      expect(c).not.toContain('C0DESK');
    }
  });
});
