import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';
import { Instance, freePort, get, instanceEnv, sms, until } from './support';

/**
 * WEB_CONCURRENCY=2, as an operator runs the service on a machine with cores to spare: two HTTP
 * processes share the port under a primary that keeps them running. A process killed outright is
 * replaced while the other keeps answering; METRICS_PORT sums both processes' figures; SIGTERM
 * ends them all, cleanly.
 */
let tdb: TestDatabase;
let app: Instance;
let metricsPort: number;
const prefix = scopedName('rel_cluster');

const children = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const inboundSms = async (): Promise<number> => {
  const body = (await get(metricsPort, '/metrics')).body;
  return [...body.matchAll(/^cc_inbound_messages_total\{[^}]*channel="sms"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

beforeAll(async () => {
  tdb = await createTestDatabase('rel_cluster');
  metricsPort = await freePort();
  app = new Instance(await freePort(), { ...instanceEnv({ databaseUrl: tdb.url, redisUrl: TEST_REDIS_URL, prefix }), WEB_CONCURRENCY: '2', METRICS_PORT: String(metricsPort) });
  await app.start();
  await until(async () => children(app.pid!).length === 2, 20_000, 'two HTTP processes');
});

afterAll(async () => {
  await app?.stop();
  await tdb?.drop();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

it('answers from both processes and sums their figures on the metrics port', async () => {
  for (let i = 0; i < 20; i++) {
    const res = await sms(app.port, `+1555096${String(i).padStart(4, '0')}`, 'hi');
    expect(res.status).toBe(200);
  }
  // The kernel spreads connections over both processes; the primary adds their counts up.
  await until(async () => (await inboundSms()) === 20, 10_000, 'the summed count of 20 texts');
});

it('replaces a process killed outright, while the other keeps answering', async () => {
  const [victim, survivor] = children(app.pid!);
  process.kill(victim, 'SIGKILL');
  // Once the primary has seen it go, the survivor answers everything until the replacement is up.
  await until(async () => !children(app.pid!).includes(victim), 5_000, 'the dead process gone');
  for (let i = 0; i < 10; i++) expect((await get(app.port, '/healthz')).status).toBe(200);
  await until(async () => {
    const now = children(app.pid!);
    return now.length === 2 && now.includes(survivor) && !now.includes(victim);
  }, 20_000, 'a new HTTP process');
  await until(async () => (await sms(app.port, '+15550969999', 'hi')).status === 200, 10_000, 'an answer after the restart');
});

it('ends every process on SIGTERM, with exit code 0', async () => {
  const pids = children(app.pid!);
  const ended = app.exited();
  await app.stop();
  expect(await ended).toBe(0);
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
});
