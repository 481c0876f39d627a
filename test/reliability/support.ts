import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import twilio from 'twilio';

/**
 * Real parts for the reliability suite: a Redis and a PostgreSQL server of the suite's own (so they
 * can be stopped and started without touching anyone else's), the service itself as separate Node
 * processes, and SMS signed exactly as Twilio signs them.
 */

export const AUTH_TOKEN = 'reliability_auth_token_0123456789';
export const ACCOUNT_SID = `AC${'c'.repeat(32)}`;
export const PUBLIC = 'https://bot.reliability.test';
export const SLACK_SECRET = 'reliability-slack-secret-0123456789';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A redis-server of the suite's own: stop() kills it (nothing kept), start() brings it back on the same port. */
export class OwnRedis {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until(async () => {
      const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, 10_000, 'redis to start');
  }
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }
}

const run = promisify(execFile);

/** Where this machine's PostgreSQL server programs are (Debian keeps them off the PATH). */
function postgresBin(program: string): string {
  if (process.env.PG_BINDIR) return path.join(process.env.PG_BINDIR, program);
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length ? path.join(root, versions[0], 'bin', program) : program;
}

/**
 * A PostgreSQL server of the suite's own, in a temporary directory, on its own port: stop() takes it
 * down as a crash would (immediate mode: every connection dropped, recovery on the next start), and
 * start() brings it back with its data. Run as root (as CI is), the server runs as the postgres user,
 * since PostgreSQL refuses to run as root.
 */
export class OwnPostgres {
  private dir: string | null = null;
  constructor(readonly port: number) {}
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }
  private async as(program: string, args: string[]): Promise<void> {
    const root = process.getuid?.() === 0;
    try {
      await run(root ? 'runuser' : postgresBin(program), root ? ['-u', 'postgres', '--', postgresBin(program), ...args] : args, { timeout: 60_000 });
    } catch (err) {
      const e = err as { message: string; stderr?: string };
      throw new Error(
        `The outage tests run a PostgreSQL server of their own and could not run ${postgresBin(program)} ` +
          `(set PG_BINDIR to the folder of initdb and pg_ctl if they are elsewhere): ${e.stderr?.trim() || e.message}`,
      );
    }
  }
  async start(): Promise<void> {
    if (!this.dir) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-own-pg-'));
      if (process.getuid?.() === 0) await run('chown', ['postgres', this.dir]);
      await this.as('initdb', ['-D', path.join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    }
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    // -w: pg_ctl returns once the server accepts connections.
    await this.as('pg_ctl', ['-D', path.join(this.dir, 'data'), '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', 'start']);
  }
  async stop(): Promise<void> {
    if (this.dir) await this.as('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }
  /** Stops the server for good and removes its files. */
  async destroy(): Promise<void> {
    if (!this.dir) return;
    await this.stop().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/** The service, started as `node --import tsx app/main.ts`, as in production but from source. */
export class Instance {
  private proc: ChildProcess | null = null;
  readonly output: string[] = [];
  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    /** Node options before the entry point (a --require of a test's preload, say). */
    private readonly nodeArgs: string[] = [],
  ) {}
  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', path.join(__dirname, '../../app/main.ts')], {
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d) => this.output.push(String(d)));
    this.proc.stderr!.on('data', (d) => this.output.push(String(d)));
    await until(async () => (await get(this.port, '/healthz')).status === 200, 30_000, `instance on ${this.port}`);
  }
  alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }
  get pid(): number | undefined {
    return this.proc?.pid;
  }
  /** How it ended, once it has: the exit code, or null when a signal ended it. */
  exited(): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return Promise.resolve(proc?.exitCode ?? null);
    return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      // The service's own shutdown deadline is 20 s; the suite does not wait longer than that.
      setTimeout(() => proc.kill('SIGKILL'), 25_000).unref();
    });
  }
}

export function instanceEnv(opts: { databaseUrl: string; redisUrl: string; prefix: string }): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: opts.databaseUrl,
    DATABASE_POOL_MAX: '20',
    REDIS_URL: opts.redisUrl,
    REDIS_PREFIX: opts.prefix,
    PUBLIC_BASE_URL: PUBLIC,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM_NUMBER: '+15550001111',
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-reliability-0000',
    // Nothing answers there: Slack calls fail fast, on this machine, and are only logged.
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    CLINIC_NAME: 'Demo Clinic',
    CLINIC_TIMEZONE: 'America/New_York',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000',
    REMINDER_RECONCILE_MS: '1000',
  };
}

export interface Reply {
  status: number;
  body: string;
}

export function request(port: number, method: string, urlPath: string, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, agent: false, timeout: 30_000, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    // A refused or dropped connection is an outcome the tests count, not an exception.
    req.on('error', (err) => resolve({ status: 0, body: String(err.message) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

export const get = (port: number, urlPath: string) => request(port, 'GET', urlPath);

/** An inbound SMS signed as Twilio signs it. */
export function sms(port: number, from: string, body: string, sid = `SM${randomBytes(16).toString('hex')}`): Promise<Reply> {
  const params = { MessageSid: sid, AccountSid: ACCOUNT_SID, From: from, To: '+15550001111', Body: body, NumMedia: '0' };
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params);
  return request(port, 'POST', '/sms', new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });
}

/** The text of a TwiML reply. */
export function messages(xml: string): string {
  return [...xml.matchAll(/<Message>([\s\S]*?)<\/Message>/g)]
    .map((m) => m[1].replace(/&apos;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"'))
    .join('\n');
}

export interface PlatformCall {
  path: string;
  body: Record<string, unknown>;
}

/** Texts sent through the Twilio stand-in of FakePlatforms, as [to, body]. */
export function textsSent(platforms: FakePlatforms): Array<[string, string]> {
  return platforms.calls.filter((c) => c.path.includes('/Messages.json')).map((c) => [String(c.body.To), String(c.body.Body)]);
}

/**
 * Twilio's Messages API, Slack's Web API, Slack's response URLs and the Bot Framework connector, played by one local
 * server that answers every call as the platform would and keeps what it was sent, so a test can
 * read what the service said back on those channels.
 */
export class FakePlatforms {
  readonly calls: PlatformCall[] = [];
  private server: http.Server | null = null;
  port = 0;
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        let body: Record<string, unknown> = {};
        try {
          body = String(req.headers['content-type']).includes('json') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw));
        } catch {
          body = { raw };
        }
        this.calls.push({ path: req.url ?? '', body });
        res.writeHead(req.url?.startsWith('/2010-04-01/') ? 201 : 200, { 'content-type': 'application/json' });
        // Twilio's Messages API answers the new message's sid.
        if (req.url?.startsWith('/2010-04-01/')) return res.end(JSON.stringify({ sid: `SM${String(this.calls.length).padStart(32, '0')}`, status: 'queued' }));
        // Slack's Web API answers { ok }, the connector answers the new activity's id.
        res.end(JSON.stringify(req.url?.startsWith('/v3/') ? { id: `reply-${this.calls.length}` } : { ok: true, ts: '1.1', channel: { id: 'D0' }, user_id: 'UBOT', bot_id: 'BBOT' }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  /** The calls matching `match`, once there is at least one (or none after `ms`). */
  async waitFor(match: (call: PlatformCall) => boolean, ms = 10_000): Promise<PlatformCall[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.calls.filter(match);
      if (found.length || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Every `text` anywhere in what was sent (a message, its Block Kit blocks or Adaptive Card). */
export function textsIn(value: unknown): string[] {
  if (typeof value === 'string') {
    // Slack's blocks arrive as a JSON string inside the form.
    if (/^[[{]/.test(value)) {
      try {
        return textsIn(JSON.parse(value));
      } catch {
        return [];
      }
    }
    return [];
  }
  if (Array.isArray(value)) return value.flatMap(textsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v, ...textsIn(v)] : textsIn(v)));
  }
  return [];
}
