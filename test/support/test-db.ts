import { Client } from 'pg';
import { createSequelize, dropDatabase } from '../../src/db/database';
import { createDb, type Db } from '../../src/db/models';
import { TEST_DATABASE_URL, databaseUrl, templateDb } from './env';
import { scopedName } from './run-scope';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A database of this test file's own, copied from the run's migrated template. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = scopedName(label);
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDb()}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  // As the service runs by default (app/context.ts): the hot reads as named statements.
  const db = createDb(createSequelize({ url, poolMax: 30 }), { namedStatements: true });
  return {
    url,
    db,
    async drop() {
      await db.sequelize.close();
      await dropDatabase(url);
    },
  };
}
