/**
 * npm run bench:http: the service as its own process, loaded over HTTP with autocannon, in
 * realistic conversations: patients texting the SMS webhook (signed as Twilio signs), and doctors
 * messaging on Slack (signed as Slack signs). Slack's Web API is a stand-in on this machine. Prints
 * requests/s, p50/p99 latency and the service's peak memory. All traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import twilio from 'twilio';
import { seedDemoClinic } from '../src/db/seed';
import { BENCH_REDIS_URL, createBenchDatabase, machine } from './support';

const REDIS_URL = BENCH_REDIS_URL;
const DURATION = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SLACK_RATE = Number(process.env.BENCH_SLACK_RATE ?? 300);
const WARMUP = 3;
const PATIENTS = 3000;
const AUTH_TOKEN = 'bench_auth_token_0123456789abcdef';
const ACCOUNT_SID = `AC${'d'.repeat(32)}`;
const PUBLIC = 'https://bot.bench.test';
const SLACK_SECRET = 'bench-slack-secret-0123456789';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

/** Slack's Web API, played on this machine: every call succeeds at once. */
function fakeSlack(): Promise<{ port: number; close: () => void; calls: () => number }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ts: '1.1', channel: { id: 'D0BENCH' }, user_id: 'UBOT', bot_id: 'BBOT' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close(), calls: () => calls })));
}

function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function waitHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (r) => resolve(r.statusCode === 200)).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the service did not start');
}

function report(name: string, r: autocannon.Result): void {
  const non2xx = r.non2xx + r.errors + r.timeouts;
  console.log(
    `${name.padEnd(34)} ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
      `${r.requests.total} requests, ${non2xx} not 2xx or failed (target >= 300 req/s, p99 < 200 ms)`,
  );
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('http', 5);
  const { url, sequelize, db } = bench;
  await seedDemoClinic(db);
  // Patients already registered (registration is four texts; the load is about what follows).
  const users = await db.models.User.bulkCreate(Array.from({ length: PATIENTS }, (_, i) => ({ role: 'patient' as const, email: null, displayName: `B${i}` })));
  const phones = users.map((_, i) => `+1555${String(8_000_000 + i)}`);
  await db.models.Patient.bulkCreate(users.map((u2, i) => ({ userId: u2.id, fullName: `Bench ${i}`, dateOfBirth: '1990-01-01', phoneE164: phones[i], timeZone: 'America/New_York' })));
  await sequelize.query(`INSERT INTO channel_identities (channel, external_id, user_id) SELECT 'sms', phone_e164, user_id FROM patients ON CONFLICT DO NOTHING`);
  // 2,000 doctors on Slack: each sends about a dozen messages a minute, under the per-user limit.
  const docUsers = await db.models.User.bulkCreate(Array.from({ length: 2000 }, (_, i) => ({ role: 'doctor' as const, email: null, displayName: `Doc ${i}` })));
  await db.models.Doctor.bulkCreate(docUsers.map((d, i) => ({ userId: d.id, fullName: `Slack Doctor ${i}`, timeZone: 'America/New_York', slotMinutes: 30 })));
  const slackUsers = docUsers.map((_, i) => `U0BENCH${i}`);
  await db.models.ChannelIdentity.bulkCreate(docUsers.map((d, i) => ({ channel: 'slack', externalId: slackUsers[i], userId: d.id })));

  const slack = await fakeSlack();
  const port = await freePort();
  const app = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', path.join(__dirname, '../src/main.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: url,
      REDIS_URL,
      REDIS_PREFIX: `cc_bench_http_${randomBytes(3).toString('hex')}`,
      PUBLIC_BASE_URL: PUBLIC,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_FROM_NUMBER: '+15550001111',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-fake-bench',
      SLACK_API_URL: `http://127.0.0.1:${slack.port}/api/`,
      LOG_LEVEL: 'error',
      CLINIC_NAME: 'Bench Clinic',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitHealthy(port);
    console.log('Clinic Concierge HTTP benchmark');
    console.log(machine());
    console.log(`load: autocannon, ${CONNECTIONS} connections, ${DURATION} s per scenario; the service is one process; PostgreSQL, Redis and the load share the machine`);

    // Patients: each connection plays one patient at a time through a whole booking, then the next.
    const script = ['hi', 'heart', '1', 'yes', 'menu'];
    // One conversation shown, so a reader can see what the load is made of.
    for (const text of script) {
      const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, AccountSid: ACCOUNT_SID, From: phones[phones.length - 1], To: '+15550001111', Body: text, NumMedia: '0' };
      const reply = await new Promise<string>((resolve) => {
        const body = new URLSearchParams(params).toString();
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/sms', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params) } }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        });
        req.end(body);
      });
      console.log(`  patient: ${text.padEnd(6)} bot: ${reply.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 110)}`);
    }
    // autocannon keeps a connection's context until its list of requests wraps round, so the list
    // is one whole conversation: step 0 takes the next patient, the others speak as them.
    let nextPatient = 0;
    const smsRun = (duration: number) => autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      duration,
      requests: script.map((text, step) => ({
        method: 'POST' as const,
        path: '/sms',
        setupRequest: (req: autocannon.Request, ctx: object) => {
          const context = ctx as { phone?: string };
          if (step === 0 || !context.phone) context.phone = phones[nextPatient++ % phones.length];
          const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, AccountSid: ACCOUNT_SID, From: context.phone, To: '+15550001111', Body: text, NumMedia: '0' };
          return {
            ...req,
            body: new URLSearchParams(params).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params) },
          };
        },
      })),
    });
    // A short warm-up, not reported: connection pools filled, code paths compiled.
    await smsRun(WARMUP);
    const smsResult = await smsRun(DURATION);
    report('SMS webhook, patient conversations', smsResult);

    // Doctors: direct messages asking for their schedule, the menu, a day. Slack is acknowledged at
    // once and answered afterwards, so acks alone would measure nothing: the events come at a fixed
    // rate, and what counts is that every one is answered (a reply posted) and how fast.
    const words = ['today', 'menu', 'tomorrow', 'this week', 'schedule Dec 5'];
    let n = 0;
    const slackRun = (duration: number) => autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      duration,
      overallRate: SLACK_RATE,
      requests: [
        {
          method: 'POST',
          path: '/slack/events',
          setupRequest: (req) => {
            const k = n++;
            const body = JSON.stringify({
              type: 'event_callback',
              team_id: 'T1',
              api_app_id: 'A1',
              event_id: `Ev${randomBytes(8).toString('hex')}`,
              event_time: Math.floor(Date.now() / 1000),
              event: { type: 'message', channel_type: 'im', channel: 'D0BENCH', user: slackUsers[k % slackUsers.length], text: words[k % words.length], ts: `${Date.now() / 1000}` },
            });
            const ts = Math.floor(Date.now() / 1000);
            return {
              ...req,
              body,
              headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}` },
            };
          },
        },
      ],
    });
    await slackRun(WARMUP);
    await new Promise((r) => setTimeout(r, 2000));
    const before = slack.calls();
    const slackStart = Date.now();
    const slackResult = await slackRun(DURATION);
    report(`Slack events at ${SLACK_RATE}/s, doctor messages`, slackResult);
    // Every acknowledged event must be answered: wait for the replies to stop coming.
    let last = -1;
    while (slack.calls() !== last) {
      last = slack.calls();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const replies = slack.calls() - before;
    console.log(`Slack replies posted: ${replies} for ${slackResult.requests.total} events, ${Math.round(replies / ((Date.now() - 1000 - slackStart) / 1000))} replies/s`);
    console.log(`peak memory of the service process (VmHWM): ${peakRssMiB(app.pid!)} MiB`);
    const booked = await db.models.Appointment.count({ where: { status: 'booked' } });
    console.log(`appointments booked in the SMS scenario and its warm-up: ${booked - 1} (conversations end booked, or told the time was just taken)`);
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
    slack.close();
    await bench.drop();
  }
}

main().catch((err) => {
  console.error(`benchmark failed: ${String(err?.message ?? err).slice(0, 500)}`);
  process.exit(1);
});
