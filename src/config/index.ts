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
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3978),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/clinic_concierge'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  /** Prefix for every Redis key this instance writes, so several clinics or test runs can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only').default('cc'),
  CLINIC_NAME: z.string().min(1).max(60).default('Clinic Concierge'),
  CLINIC_TIMEZONE: ianaZone.default('America/New_York'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a slot lock may live if its holder dies mid-booking. */
  BOOKING_LOCK_TTL_MS: z.coerce.number().int().min(500).max(60000).default(5000),
  /** Bearer token of the read-only reports API; unset leaves the API switched off. */
  REPORTS_API_TOKEN: z.string().min(24, 'must be at least 24 characters (use a long random string)').optional(),
});

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  port: number;
  databaseUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  redisPrefix: string;
  clinicName: string;
  clinicTimezone: string;
  logLevel: string;
  bookingLockTtlMs: number;
  reportsApiToken: string | null;
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
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    clinicName: e.CLINIC_NAME,
    clinicTimezone: e.CLINIC_TIMEZONE,
    logLevel: e.LOG_LEVEL,
    bookingLockTtlMs: e.BOOKING_LOCK_TTL_MS,
    reportsApiToken: e.REPORTS_API_TOKEN ?? null,
  });
}
