import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Sequelize } from 'sequelize';
import { createSequelize, dropDatabase, ensureDatabase } from '../src/db/database';
import { createMigrator } from '../src/db/migrator';
import { createDb, type Db } from '../src/db/models';

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A migrated database of the benchmark's own, dropped by drop(). */
export async function createBenchDatabase(label: string, poolMax = 20): Promise<{ url: string; sequelize: Sequelize; db: Db; drop(): Promise<void> }> {
  const u = new URL(BENCH_DATABASE_URL);
  u.pathname = `/cc_bench_${label}_${randomBytes(3).toString('hex')}`;
  const url = u.toString();
  await ensureDatabase(url);
  const sequelize = createSequelize({ url, poolMax });
  await createMigrator(sequelize).up();
  return {
    url,
    sequelize,
    db: createDb(sequelize),
    async drop() {
      await sequelize.close();
      await dropDatabase(url);
    },
  };
}

/** The line every benchmark prints first: what it ran on. */
export function machine(): string {
  return `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}
