/**
 * npm run bench:http: the service as its own process, loaded over HTTP in realistic conversations:
 * patients texting the SMS webhook (signed as Twilio signs; autocannon, as fast as it is answered),
 * and doctors messaging on Slack (signed as Slack signs; a constant arrival rate, bench/open-loop.ts).
 * Slack's Web API is a stand-in in a process of its own. Prints requests/s, p50/p99 latency of
 * answers and acknowledgements, and the service's peak memory. All traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import twilio from 'twilio';
import { seedDemoClinic } from '../src/db/seed';
import { bareRestify, ratio } from './limits';
import { openLoop, percentile } from './open-loop';
import { BENCH_REDIS_URL, benchPrefix, cleanUpBench, clearBenchKeys, cpuPerRequest, cpuSnapshot, createBenchDatabase, freePort, machine, peakRssMiB, waitHealthy, stopProcess } from './support';

const REDIS_URL = BENCH_REDIS_URL;
const DURATION = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SLACK_RATE = Number(process.env.BENCH_SLACK_RATE ?? 300);
const WARMUP = 3;
/** HTTP processes of the service (WEB_CONCURRENCY): one per core by default, as a deployment on this machine would run. */
const WEB_PROCESSES = Number(process.env.BENCH_WEB_CONCURRENCY ?? 1);
/** Which scenarios to run: "sms", "slack" or both (the default), comma-separated. */
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'sms,slack').split(',').map((x) => x.trim()));
const PATIENTS = 3000;
const AUTH_TOKEN = 'bench_auth_token_0123456789abcdef';
const ACCOUNT_SID = `AC${'d'.repeat(32)}`;
const PUBLIC = 'https://bot.bench.test';
const SLACK_SECRET = 'bench-slack-secret-0123456789';
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** The service's own counters (GET /metrics): what the load turned into, by outcome. */
async function counters(port: number, names: string[]): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, (r) => {
        let b = '';
        r.on('data', (c) => (b += c));
        r.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const name = line.split(/[{ ]/)[0];
    if (names.includes(name)) out.set(line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** "booked 120, slot-taken 340" from two readings of the same counters, labels shortened. */
function outcomeDiff(before: Map<string, number>, after: Map<string, number>, name: string, label: string): string {
  const parts: string[] = [];
  for (const [k, v] of after) {
    if (!k.startsWith(name)) continue;
    const d = v - (before.get(k) ?? 0);
    const l = new RegExp(`${label}="([^"]*)"`).exec(k)?.[1] ?? k;
    if (d > 0) parts.push(`${l} ${d}`);
  }
  return parts.join(', ') || 'none';
}


/** Slack's Web API stand-in (bench/fake-slack-api.ts), started as a process of its own. */
async function fakeSlack(): Promise<{ port: number; close: () => void; calls: () => Promise<number>; replies: () => Promise<Array<[string, number]>> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fake-slack-api.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', () => reject(new Error('the Slack API stand-in did not start')));
  });
  const get = <T>(what: string) =>
    new Promise<T>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: what, agent: false }, (r) => {
          let b = '';
          r.on('data', (c) => (b += c));
          r.on('end', () => resolve(JSON.parse(b) as T));
        })
        .on('error', reject);
    });
  return {
    port,
    calls: async () => (await get<{ calls: number }>('/calls')).calls,
    replies: () => get<Array<[string, number]>>('/replies'),
    close: () => child.kill('SIGTERM'),
  };
}



/**
 * For each event sent, the time until the first reply posted in its channel after it. A doctor
 * sends again only seconds later, so the first reply after an event is the answer to it.
 */
function answerTimes(sent: Array<[string, number]>, replies: Array<[string, number]>): number[] {
  const byChannel = new Map<string, number[]>();
  for (const [channel, at] of replies) {
    const list = byChannel.get(channel) ?? [];
    list.push(at);
    byChannel.set(channel, list);
  }
  const times: number[] = [];
  for (const [channel, at] of sent) {
    const reply = byChannel.get(channel)?.find((r) => r >= at);
    if (reply !== undefined) times.push(reply - at);
  }
  return times;
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(1) : String(Math.round(ms)));

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
  const app = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', path.join(__dirname, '../app/main.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: url,
      REDIS_URL,
      REDIS_PREFIX: benchPrefix('http'),
      PUBLIC_BASE_URL: PUBLIC,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_FROM_NUMBER: '+15550001111',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-fake-bench',
      SLACK_API_URL: `http://127.0.0.1:${slack.port}/api/`,
      LOG_LEVEL: 'error',
      CLINIC_NAME: 'Bench Clinic',
      WEB_CONCURRENCY: String(WEB_PROCESSES),
      METRICS_TOKEN,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitHealthy(port);
    console.log('Clinic Concierge HTTP benchmark');
    console.log(machine());
    console.log(`load: ${DURATION} s per scenario after a ${WARMUP} s warm-up; SMS: autocannon, ${CONNECTIONS} connections, as fast as answered; Slack: ${SLACK_RATE} events/s at a constant rate over up to ${CONNECTIONS} connections; the service is one process; PostgreSQL, Redis, the load and the Slack API stand-in share the machine`);

    // Patients: each connection plays one patient at a time through a whole booking, then the next.
    // BENCH_SMS_SCRIPT=menu,menu (say) loads one step alone, to see what it costs.
    const script = process.env.BENCH_SMS_SCRIPT ? process.env.BENCH_SMS_SCRIPT.split(',') : ['hi', 'heart', '1', 'yes', 'menu'];
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
    if (SCENARIOS.has('sms')) {
      await smsRun(WARMUP);
      const watched = ['cc_bookings_total', 'cc_slot_lock_refusals_total'];
      const countersBefore = await counters(port, watched);
      const cpuBefore = cpuSnapshot(app.pid!);
      const result = await smsRun(DURATION);
      const cpuAfter = cpuSnapshot(app.pid!);
      const countersAfter = await counters(port, watched);
      report('SMS webhook, patient conversations', result);
      // What the conversations came to: the more of them end booked, the more work each request does.
      console.log(
        `${'  bookings in the run'.padEnd(34)} ${outcomeDiff(countersBefore, countersAfter, 'cc_bookings_total', 'outcome')}; slot locks refused: ${outcomeDiff(countersBefore, countersAfter, 'cc_slot_lock_refusals_total', 'reason')}`,
      );
      console.log(`${'  CPU per request'.padEnd(34)} ${cpuPerRequest(cpuBefore, cpuAfter, result.requests.total)} (${os.cpus().length} cores)`);
      // The machine's own limit, in the same run: a bare restify on the same load.
      const bare = await bareRestify({ connections: CONNECTIONS, seconds: DURATION, body: new URLSearchParams({ From: phones[0], Body: 'hi' }).toString() });
      console.log(
        `${'machine limit: bare restify'.padEnd(34)} ${Math.round(bare.rps)} req/s, p99 ${bare.p99} ms; the webhook did ${ratio(result.requests.average, bare.rps)} (target: >= 1,000 req/s, p99 < 100 ms)`,
      );
    }

    // Doctors: direct messages asking for their schedule, the menu, a day. Slack is acknowledged at
    // once and answered afterwards, so acks alone would measure little: the events arrive at a
    // constant rate (one every 1/rate s, not in bursts), and the benchmark also times each answer, from
    // the event being due to its reply reaching Slack's API, and checks every event was answered.
    const words = ['today', 'menu', 'tomorrow', 'this week', 'schedule Dec 5'];
    let n = 0;
    // Each doctor has a DM channel of their own, so a reply can be matched to the event it answers.
    let sent: Array<[string, number]> = [];
    const slackRun = (seconds: number) =>
      openLoop({
        origin: `http://127.0.0.1:${port}`,
        path: '/slack/events',
        rate: SLACK_RATE,
        seconds,
        connections: CONNECTIONS,
        request: (_i, dueEpochMs) => {
          const k = n++;
          const channel = `D0B${k % slackUsers.length}`;
          sent.push([channel, dueEpochMs]);
          const ts = Math.floor(dueEpochMs / 1000);
          const body = JSON.stringify({
            type: 'event_callback',
            team_id: 'T1',
            api_app_id: 'A1',
            event_id: `Ev${randomBytes(8).toString('hex')}`,
            event_time: ts,
            event: { type: 'message', channel_type: 'im', channel, user: slackUsers[k % slackUsers.length], text: words[k % words.length], ts: `${dueEpochMs / 1000}` },
          });
          return {
            body,
            headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}` },
          };
        },
      });
    if (SCENARIOS.has('slack')) {
      await slackRun(WARMUP);
      await new Promise((r) => setTimeout(r, 2000));
      sent = [];
      const before = await slack.calls();
      const acks = await slackRun(DURATION);
      console.log(
        `${`Slack events at ${SLACK_RATE}/s, doctor messages`.padEnd(34)} ${Math.round(acks.ok / acks.seconds)} acks/s, ` +
          `ack p50 ${fmt(percentile(acks.latencies, 50))} ms, p99 ${fmt(percentile(acks.latencies, 99))} ms, max ${fmt(percentile(acks.latencies, 100))} ms, ` +
          `${acks.sent} events, ${acks.sent - acks.ok} not 2xx or failed (target >= 300/s, p99 < 200 ms)`,
      );
      // Every acknowledged event must be answered: wait for the replies to stop coming.
      let last = -1;
      for (let now = await slack.calls(); now !== last; now = await slack.calls()) {
        last = now;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const answers = answerTimes(sent, await slack.replies());
      console.log(
        `${'Slack events answered'.padEnd(34)} ${answers.length} of ${sent.length} (${last - before} Web API calls); event to reply posted ` +
          `p50 ${fmt(percentile(answers, 50))} ms, p99 ${fmt(percentile(answers, 99))} ms, max ${fmt(percentile(answers, 100))} ms`,
      );
    }
    console.log(`peak memory of the service process (VmHWM): ${peakRssMiB(app.pid!)} MiB`);
    const booked = await db.models.Appointment.count({ where: { status: 'booked' } });
    console.log(`appointments booked in the SMS scenario and its warm-up: ${booked - 1} (conversations end booked, or told the time was just taken)`);
  } finally {
    // A service that died at start-up has already exited: waiting for its exit would hang.
    await stopProcess(app);
    slack.close();
    await bench.drop();
    await clearBenchKeys();
  }
}

main().catch(async (err) => {
  console.error(`benchmark failed: ${String(err?.message ?? err).slice(0, 500)}`);
  await cleanUpBench().catch(() => undefined);
  process.exit(1);
});
