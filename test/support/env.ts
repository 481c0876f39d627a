import { runScope, currentRunId } from './run-scope';

/** Where the test services are; CI and developers use the local defaults, override to point elsewhere. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The migrated database every test file of this run copies. */
export function templateDb(runId = currentRunId()): string {
  return `${runScope(runId)}_template`;
}

export function databaseUrl(name: string): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
