import { loadConfig } from '../config';
import { createSequelize, ensureDatabase } from './database';
import { createMigrator } from './migrator';

/**
 * npm run migrate            apply every pending migration (creates the database if missing)
 * npm run migrate -- down    revert the last one
 * npm run migrate -- reset   revert all of them
 * npm run migrate -- status  list applied and pending
 */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'up';
  const config = loadConfig();
  if (await ensureDatabase(config.databaseUrl)) console.log('created the database');
  const sequelize = createSequelize({ url: config.databaseUrl, poolMax: 2, pgbouncer: config.databasePgbouncer });
  const migrator = createMigrator(sequelize, (m) => console.log(m));
  try {
    switch (command) {
      case 'up':
        await migrator.up();
        break;
      case 'down':
        await migrator.down();
        break;
      case 'reset':
        await migrator.down({ to: 0 });
        break;
      case 'status': {
        const done = await migrator.executed();
        const pending = await migrator.pending();
        for (const m of done) console.log(`applied  ${m.name}`);
        for (const m of pending) console.log(`pending  ${m.name}`);
        break;
      }
      default:
        throw new Error(`unknown command ${command}: use up, down, reset or status`);
    }
  } finally {
    await sequelize.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
