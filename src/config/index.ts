import { z } from 'zod';
import { isValidZone } from '../domain/time';

/**
 * The only reader of process.env. Everything else gets a frozen Config passed in,
 * so tests can build any number of them side by side.
 */
const ianaZone = z
  .string()
  .refine(isValidZone, { message: 'must be an IANA time zone such as America/New_York' });

const schema = z.object({
  // Unset means production: a forgotten variable must close doors, never open them.
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3978),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .refine((v) => URL.canParse(v), 'must be a whole URL with a host name (for a Unix socket: postgres://user@localhost/db?host=/var/run/postgresql)')
    .default('postgres://postgres@127.0.0.1:5432/clinic_concierge'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  /** PostgreSQL reached through PgBouncer in transaction pooling: nothing set per session (see the README). */
  DATABASE_PGBOUNCER: z.enum(['true', 'false']).default('false'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  /** Redis Sentinel: the sentinels (host:port, comma-separated); REDIS_URL then gives the password and database only. */
  REDIS_SENTINELS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}(\s*,\s*[A-Za-z0-9.-]+:\d{1,5})*$/, 'must be host:port pairs separated by commas')
    .optional(),
  /** The master's name the sentinels monitor. */
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Prefix for every Redis key this instance writes, so several clinics or test runs can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only').default('cc'),
  CLINIC_NAME: z.string().min(1).max(60).default('Clinic Concierge'),
  CLINIC_TIMEZONE: ianaZone.default('America/New_York'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a slot lock may live if its holder dies mid-booking. */
  BOOKING_LOCK_TTL_MS: z.coerce.number().int().min(500).max(60000).default(5000),
  /** The URL the platforms call, as they see it (behind a proxy, the public one): Twilio signs it. */
  PUBLIC_BASE_URL: z.string().url('must be a URL like https://bot.example-clinic.org').default('http://localhost:3978'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +15551234567').optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().regex(/^MG[0-9a-fA-F]{32}$/).optional(),
  /**
   * Who answers the carrier keywords STOP, START and HELP: 'twilio' (its default keyword handling,
   * or a Messaging Service's Advanced Opt-Out replies; the service records the change and sends
   * nothing) or 'service' (Twilio's replies are off for the number; the service sends them).
   */
  SMS_KEYWORD_REPLIES: z.enum(['twilio', 'service']).default('twilio'),
  /** The clinic's phone number as patients should dial it, for texts that say "call the clinic". */
  CLINIC_PHONE: z.string().regex(/^[+0-9 ()./-]{5,25}$/, 'must be a phone number like +1 555 010 0000').optional(),
  /** GET /metrics on the service's port, for a scraper that sends this bearer token; unset: no such route. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** A separate port for /metrics (no token; keep it off the public network); unset: none. The worker uses it too. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Where that port listens: loopback unless a scraper elsewhere (a Kubernetes pod's) must reach it. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Twilio's REST base URL; only changed to point at a local stand-in for tests and load tests. */
  TWILIO_API_URL: z.string().url().optional(),
  SLACK_SIGNING_SECRET: z.string().min(16).optional(),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-...)').optional(),
  /** Slack's Web API base URL; only changed to point at a local stand-in for load tests. */
  SLACK_API_URL: z.string().url().optional(),
  MICROSOFT_APP_ID: z.string().optional(),
  MICROSOFT_APP_PASSWORD: z.string().optional(),
  MICROSOFT_APP_TENANT_ID: z.string().optional(),
  MICROSOFT_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
  /** Entra tenant ids whose users may talk to the bot (comma-separated); required in production. */
  TEAMS_ALLOWED_TENANTS: z
    .string()
    .regex(/^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$/, 'must be tenant ids separated by commas')
    .optional(),
  /** Accept unauthenticated activities from the Bot Framework Emulator on this machine (never in production). */
  TEAMS_EMULATOR_OPEN: z.enum(['true', 'false']).default('false'),
  /** Run the reminder and notification workers inside the service (set false when `npm run worker` runs them). */
  RUN_WORKER: z.enum(['true', 'false']).default('true'),
  /** HTTP processes on this machine (node:cluster): one per core the service may use. */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(50),
  /** How often missing reminder jobs are rebuilt from the appointments table. */
  REMINDER_RECONCILE_MS: z.coerce.number().int().min(500).max(86_400_000).default(600_000),
  /** How long after a booking its patient is texted "Booked" if the conversation's reply did not reach them. */
  BOOKING_CONFIRMATION_GRACE_MS: z.coerce.number().int().min(500).max(600_000).default(20_000),
  /** Messages a minute one phone number or platform user may send before being asked to slow down. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(20),
  /** Bearer token of the read-only reports API; unset leaves the API switched off. */
  REPORTS_API_TOKEN: z.string().min(24, 'must be at least 24 characters (use a long random string)').optional(),
});

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  port: number;
  databaseUrl: string;
  databasePoolMax: number;
  databasePgbouncer: boolean;
  redisUrl: string;
  /** Where Redis is, for every client: the URL, and the sentinels when Redis Sentinel is used. */
  redis: Readonly<{ url: string; sentinels: ReadonlyArray<{ host: string; port: number }> | null; sentinelName: string | null; sentinelPassword: string | null }>;
  redisPrefix: string;
  clinicName: string;
  clinicTimezone: string;
  clinicPhone: string | null;
  smsKeywordReplies: 'twilio' | 'service';
  metrics: Readonly<{ token: string | null; port: number | null; host: string }>;
  logLevel: string;
  bookingLockTtlMs: number;
  reportsApiToken: string | null;
  publicBaseUrl: string;
  /** Things an operator should hear about at start-up (weak production settings); never secrets. */
  warnings: readonly string[];
  twilio: { accountSid: string; authToken: string; from: string | null; messagingServiceSid: string | null; apiUrl: string | null } | null;
  slack: { signingSecret: string; botToken: string; apiUrl: string | null } | null;
  teams: { appId: string; appPassword: string; tenantId: string | null; appType: string; allowedTenants: readonly string[] } | null;
  /** The Emulator's unauthenticated mode: only outside production, only from loopback service URLs. */
  teamsEmulatorOpen: boolean;
  rateLimitPerMinute: number;
  runWorker: boolean;
  /** How many HTTP processes share the port (1: this process serves it alone). */
  webConcurrency: number;
  workerConcurrency: number;
  reminderReconcileMs: number;
  confirmationGraceMs: number;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set": docker-compose and .env files often leave them blank.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const twilioParts = [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN].filter(Boolean).length;
  if (twilioParts === 1) problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both, or neither to switch SMS off');
  if (twilioParts === 2 && !e.TWILIO_FROM_NUMBER && !e.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push('TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID: one is needed to send texts');
  }
  if (Boolean(e.SLACK_SIGNING_SECRET) !== Boolean(e.SLACK_BOT_TOKEN)) problems.push('SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN: set both, or neither to switch Slack off');
  if (Boolean(e.MICROSOFT_APP_ID) !== Boolean(e.MICROSOFT_APP_PASSWORD)) {
    problems.push('MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD: set both, or neither to switch Teams off');
  }
  const production = e.NODE_ENV === 'production';
  const allowedTenants = (e.TEAMS_ALLOWED_TENANTS ?? e.MICROSOFT_APP_TENANT_ID ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (production && e.MICROSOFT_APP_ID && allowedTenants.length === 0) {
    problems.push('TEAMS_ALLOWED_TENANTS: in production Teams answers only the organisations listed here (your Entra tenant id); set it, or MICROSOFT_APP_TENANT_ID for a single-tenant bot');
  }
  if (production && e.TEAMS_EMULATOR_OPEN === 'true') {
    problems.push('TEAMS_EMULATOR_OPEN: the unauthenticated Emulator mode is never allowed with NODE_ENV=production');
  }
  const warnings: string[] = [];
  const publicUrl = new URL(e.PUBLIC_BASE_URL);
  if (production && publicUrl.protocol !== 'https:') {
    if (isLoopback(publicUrl.hostname)) {
      warnings.push(`PUBLIC_BASE_URL is ${publicUrl.origin}: no platform can reach this service; set the https URL they call`);
    } else {
      problems.push('PUBLIC_BASE_URL: must be an https:// URL in production (platforms send patient messages to it)');
    }
  }
  if (production) warnings.push(...weakConnectionWarnings(e.DATABASE_URL, e.REDIS_URL));
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: the master name is needed with REDIS_SENTINELS');
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) problems.push('METRICS_PORT: must differ from PORT (the metrics port is meant to stay off the public one)');
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databasePgbouncer: e.DATABASE_PGBOUNCER === 'true',
    redisUrl: e.REDIS_URL,
    redis: Object.freeze({
      url: e.REDIS_URL,
      sentinels: e.REDIS_SENTINELS
        ? e.REDIS_SENTINELS.split(',').map((pair) => {
            const [host, port] = pair.trim().split(':');
            return { host, port: Number(port) };
          })
        : null,
      sentinelName: e.REDIS_SENTINEL_NAME ?? null,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null,
    }),
    redisPrefix: e.REDIS_PREFIX,
    clinicName: e.CLINIC_NAME,
    clinicTimezone: e.CLINIC_TIMEZONE,
    clinicPhone: e.CLINIC_PHONE ?? null,
    smsKeywordReplies: e.SMS_KEYWORD_REPLIES,
    metrics: Object.freeze({ token: e.METRICS_TOKEN ?? null, port: e.METRICS_PORT ?? null, host: e.METRICS_HOST }),
    logLevel: e.LOG_LEVEL,
    bookingLockTtlMs: e.BOOKING_LOCK_TTL_MS,
    reportsApiToken: e.REPORTS_API_TOKEN ?? null,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/$/, ''),
    warnings: Object.freeze(warnings),
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM_NUMBER ?? null, messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID ?? null, apiUrl: e.TWILIO_API_URL ?? null }
        : null,
    slack: e.SLACK_SIGNING_SECRET && e.SLACK_BOT_TOKEN ? { signingSecret: e.SLACK_SIGNING_SECRET, botToken: e.SLACK_BOT_TOKEN, apiUrl: e.SLACK_API_URL ?? null } : null,
    teams: e.MICROSOFT_APP_ID && e.MICROSOFT_APP_PASSWORD
      ? { appId: e.MICROSOFT_APP_ID, appPassword: e.MICROSOFT_APP_PASSWORD, tenantId: e.MICROSOFT_APP_TENANT_ID ?? null, appType: e.MICROSOFT_APP_TYPE, allowedTenants: Object.freeze(allowedTenants) }
      : null,
    teamsEmulatorOpen: !production && e.TEAMS_EMULATOR_OPEN === 'true',
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    runWorker: e.RUN_WORKER === 'true',
    webConcurrency: e.WEB_CONCURRENCY,
    workerConcurrency: e.WORKER_CONCURRENCY,
    reminderReconcileMs: e.REMINDER_RECONCILE_MS,
    confirmationGraceMs: e.BOOKING_CONFIRMATION_GRACE_MS,
  });
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** A database or Redis reached without a password or without TLS, named without its credentials. */
function weakConnectionWarnings(databaseUrl: string, redisUrl: string): string[] {
  const out: string[] = [];
  const db = new URL(databaseUrl);
  const sslmode = db.searchParams.get('sslmode') ?? db.searchParams.get('ssl');
  // ?host=/var/run/postgresql: PostgreSQL's Unix socket on this host, where TLS has nothing to protect.
  const socket = db.searchParams.get('host')?.startsWith('/') ? db.searchParams.get('host')! : null;
  const where = socket ?? db.hostname;
  if (!db.password) out.push(`DATABASE_URL (${where}) has no password`);
  if (!socket && !isLoopback(db.hostname) && (!sslmode || ['disable', 'allow', 'prefer', 'false'].includes(sslmode))) {
    out.push(`DATABASE_URL (${where}) does not require TLS (add ?sslmode=verify-full, or require)`);
  }
  const redis = new URL(redisUrl);
  if (!redis.password) out.push(`REDIS_URL (${redis.hostname}) has no password`);
  if (!isLoopback(redis.hostname) && redis.protocol !== 'rediss:') out.push(`REDIS_URL (${redis.hostname}) does not use TLS (rediss://)`);
  return out;
}

/** For entry points: the config, or the message of what is wrong and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
