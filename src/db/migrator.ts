import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';

/** What each migration's up/down receives: a function that runs SQL inside that migration's transaction. */
export type MigrationContext = { context: (sql: string) => Promise<unknown> };
type MigrationModule = {
  up: (ctx: MigrationContext) => Promise<void>;
  down: (ctx: MigrationContext) => Promise<void>;
};

/** The same folder whether run from source (tsx, ts-jest) or from the compiled dist/. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

export function createMigrator(sequelize: Sequelize, log: (msg: string) => void = () => undefined) {
  const inTransaction = (fn: MigrationModule['up']) =>
    sequelize.transaction(async (transaction) => {
      await fn({ context: (sql) => sequelize.query(sql, { transaction }) });
    });

  return new Umzug({
    migrations: {
      glob: ['*.{ts,js}', { cwd: MIGRATIONS_DIR, ignore: ['*.d.ts'] }],
      // umzug keeps the file extension in the name; compiled .js and source .ts would then look
      // like two different migrations, so the name is the file name without it.
      resolve: ({ name, path: file }) => {
        const load = (): MigrationModule => require(file!) as MigrationModule;
        return {
          name: name.replace(/\.(ts|js)$/, ''),
          up: () => inTransaction(load().up),
          down: () => inTransaction(load().down),
        };
      },
    },
    context: {},
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (e: Record<string, unknown>) => log(`${String(e.event)} ${String(e.name ?? '')}`.trim()),
      warn: (e: Record<string, unknown>) => log(`warn ${JSON.stringify(e)}`),
      error: (e: Record<string, unknown>) => log(`error ${JSON.stringify(e)}`),
      debug: () => undefined,
    },
  });
}
