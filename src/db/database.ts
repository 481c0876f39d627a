import { Client } from 'pg';
import { Sequelize } from 'sequelize';

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  /** Fail fast when PostgreSQL is down: a booking should be refused in seconds, not hang. */
  connectTimeoutMs?: number;
}

export function createSequelize(opts: DatabaseOptions): Sequelize {
  return new Sequelize(opts.url, {
    dialect: 'postgres',
    logging: false,
    timezone: '+00:00',
    pool: { max: opts.poolMax ?? 20, min: 0, acquire: 10_000, idle: 10_000, evict: 5_000 },
    dialectOptions: {
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 3_000,
      // A runaway query must not hold a slot lock's transaction forever.
      statement_timeout: 15_000,
      idle_in_transaction_session_timeout: 30_000,
    },
    define: { underscored: true },
  });
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
