import { loadConfig } from '../config';
import { createSequelize } from './database';
import { createDb } from './models';
import { seedDemoClinic } from './seed';

/** npm run seed: loads the demo clinic into the configured database (run npm run migrate first). */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDb(createSequelize({ url: config.databaseUrl, poolMax: 2, pgbouncer: config.databasePgbouncer }));
  try {
    const result = await seedDemoClinic(db);
    console.log(result.seeded ? `seeded ${result.doctors} doctors and ${result.patients} patients` : 'the demo clinic is already there');
  } finally {
    await db.sequelize.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
