import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TEST_REDIS_URL } from '../support/env';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { scopedName, deleteKeys } from '../support/run-scope';
import Redis from 'ioredis';

/** The commands an operator runs on the server: the first admin, and the worker's health check. */
const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const tsx = (script: string, args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { env: { ...process.env, ...env }, cwd: ROOT, timeout: 60_000 });
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase('operator');
});
afterAll(() => tdb.drop());

describe('npm run admin:create', () => {
  it('creates the first admin and prints a one-time link code that then links their Slack account', async () => {
    const { stdout } = await tsx('src/db/admin-create-cli.ts', ['--email', 'first.admin@clinic.test', '--name', 'First Admin'], { DATABASE_URL: tdb.url, LOG_LEVEL: 'silent' });
    expect(stdout).toMatch(/^Created the admin First Admin <first.admin@clinic.test>\./);
    const code = /Link code \(one use, 24 hours\): ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(stdout)![1];
    const user = (await tdb.db.models.User.findOne({ where: { email: 'first.admin@clinic.test' } }))!;
    expect(user.role).toBe('admin');
    // Only a hash of the code is stored.
    expect(JSON.stringify(await tdb.db.models.LinkCode.findAll({ raw: true }))).not.toContain(code.replace(/-/g, ''));
    const { createServices } = await import('../../src/services');
    const { noSlotLock } = await import('../../src/locks/slot-lock');
    const services = createServices({ db: tdb.db, locks: noSlotLock, now: Date.now, clinicTimezone: 'UTC' });
    expect(await services.identity.redeemLinkCode('slack', 'U0FIRST', code)).toMatchObject({ userId: user.id, role: 'admin' });
    expect(await services.identity.redeemLinkCode('slack', 'U0SECOND', code)).toBeNull();
    // Again for an existing admin: a fresh code, no second account.
    const again = await tsx('src/db/admin-create-cli.ts', ['--email', 'first.admin@clinic.test'], { DATABASE_URL: tdb.url });
    expect(again.stdout).toMatch(/^Admin First Admin <first.admin@clinic.test>\./);
    expect(await tdb.db.models.User.count({ where: { email: 'first.admin@clinic.test' } })).toBe(1);
  });

  it('refuses a bad email with a usage line and exit code 2', async () => {
    await expect(tsx('src/db/admin-create-cli.ts', ['--email', 'nope'], { DATABASE_URL: tdb.url })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/usage: npm run admin:create/) });
  });
});

describe('the worker health check', () => {
  it('is unhealthy before the worker runs, healthy while it runs, unhealthy after it stops', async () => {
    const heartbeat = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cc-hb-')), 'alive');
    const prefix = scopedName('operator_worker');
    const env = { DATABASE_URL: tdb.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, WORKER_HEARTBEAT_FILE: heartbeat, LOG_LEVEL: 'silent' };
    await expect(tsx('app/worker.ts', ['--healthcheck'], env)).rejects.toMatchObject({ code: 1 });
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app/worker.ts')], { env: { ...process.env, ...env }, cwd: ROOT, stdio: 'ignore' });
    try {
      // A busy machine (two CI runs at once) takes a while to start a TypeScript process.
      const deadline = Date.now() + 90_000;
      while (!fs.existsSync(heartbeat) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await expect(tsx('app/worker.ts', ['--healthcheck'], env)).resolves.toBeDefined();
    } finally {
      await new Promise((r) => {
        worker.once('exit', r);
        worker.kill('SIGTERM');
      });
    }
    await expect(tsx('app/worker.ts', ['--healthcheck'], env)).rejects.toMatchObject({ code: 1 });
    const redis = new Redis(TEST_REDIS_URL);
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  }, 180_000);
});
