import { Client } from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  /** Fail fast when PostgreSQL is down: a booking should be refused in seconds, not hang. */
  connectTimeoutMs?: number;
  /**
   * Behind PgBouncer in transaction pooling: each transaction may run on another server connection,
   * so nothing may be set per session. No startup parameters, no SET on connect; the time zone and
   * the timeouts come from the database role instead (see the README).
   */
  pgbouncer?: boolean;
}

/** The session settings the service relies on; behind PgBouncer they must be the role's own. */
export const SESSION_SETTINGS = { timezone: 'UTC', statement_timeout: 15_000, idle_in_transaction_session_timeout: 30_000 };

export function createSequelize(opts: DatabaseOptions): Sequelize {
  return new Sequelize(opts.url, {
    dialect: 'postgres',
    logging: false,
    timezone: '+00:00',
    pool: { max: opts.poolMax ?? 20, min: 0, acquire: 10_000, idle: 10_000, evict: 5_000 },
    dialectOptions: opts.pgbouncer
      ? { connectionTimeoutMillis: opts.connectTimeoutMs ?? 3_000, clientMinMessages: 'ignore' }
      : {
          connectionTimeoutMillis: opts.connectTimeoutMs ?? 3_000,
          // A runaway query must not hold a slot lock's transaction forever.
          statement_timeout: SESSION_SETTINGS.statement_timeout,
          idle_in_transaction_session_timeout: SESSION_SETTINGS.idle_in_transaction_session_timeout,
        },
    ...(opts.pgbouncer ? { keepDefaultTimezone: true } : {}),
    define: { underscored: true },
  });
}

/**
 * Behind PgBouncer: checks the role gives what the service would otherwise set per session. A
 * time zone other than UTC is refused (dates would be cut at the wrong midnight); missing timeouts
 * are reported so the operator can add them.
 */
export async function checkPooledSession(sequelize: Sequelize): Promise<string[]> {
  const [row] = await sequelize.query<{ timezone: string; st: string; idle: string }>(
    `SELECT current_setting('TimeZone') AS timezone, current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle`,
    { type: QueryTypes.SELECT },
  );
  const { timezone, st, idle } = row;
  if (!['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'UCT', 'Zulu'].includes(timezone)) {
    throw new Error(`DATABASE_PGBOUNCER=true needs the database role's time zone to be UTC (it is ${timezone}): ALTER ROLE <role> SET timezone = 'UTC'`);
  }
  const warnings: string[] = [];
  if (st === '0') warnings.push("the database role has no statement_timeout: ALTER ROLE <role> SET statement_timeout = '15s'");
  if (idle === '0') warnings.push("the database role has no idle_in_transaction_session_timeout: ALTER ROLE <role> SET idle_in_transaction_session_timeout = '30s'");
  return warnings;
}

/** The database name and a URL to the server's maintenance database, from a full URL. */
export function splitDatabaseUrl(url: string): { name: string; adminUrl: string } {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name in DATABASE_URL: ${name}`);
  u.pathname = '/postgres';
  return { name, adminUrl: u.toString() };
}

/** Creates the database named in the URL if it is missing, so a fresh machine needs no manual step. */
export async function ensureDatabase(url: string, template?: string): Promise<boolean> {
  const { name, adminUrl } = splitDatabaseUrl(url);
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const { name, adminUrl } = splitDatabaseUrl(url);
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
