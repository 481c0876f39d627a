import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createSequelize, dropDatabase } from '../../src/db/database';
import { createDb, type Db } from '../../src/db/models';
import { TEMPLATE_DB, TEST_DATABASE_URL, databaseUrl } from './env';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A database of this test file's own, copied from the migrated template. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `cc_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const db = createDb(createSequelize({ url, poolMax: 30 }));
  return {
    url,
    db,
    async drop() {
      await db.sequelize.close();
      await dropDatabase(url);
    },
  };
}
