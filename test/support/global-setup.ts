import Redis from 'ioredis';
import { Client } from 'pg';
import { createSequelize } from '../../src/db/database';
import { createMigrator } from '../../src/db/migrator';
import { TEMPLATE_DB, TEST_DATABASE_URL, TEST_REDIS_URL, databaseUrl } from './env';

/**
 * Runs once per jest run: checks PostgreSQL and Redis are there (with a message that says how to
 * start them), and migrates a template database that every test file copies in milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  const admin = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `Tests need PostgreSQL at ${TEST_DATABASE_URL} (${(err as Error).message}). ` +
        'Start it (docker compose up -d postgres, or pg_ctlcluster) or set TEST_DATABASE_URL.',
    );
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (${(err as Error).message}). Start it (docker compose up -d redis) or set TEST_REDIS_URL.`);
  } finally {
    redis.disconnect();
  }

  try {
    // Databases left by an interrupted earlier run.
    const stale = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'cc\\_test\\_%'");
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const sequelize = createSequelize({ url: databaseUrl(TEMPLATE_DB), poolMax: 1 });
  try {
    await createMigrator(sequelize).up();
  } finally {
    await sequelize.close();
  }
}
