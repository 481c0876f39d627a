import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import { loadConfig } from '../../src/config';
import { connectRedis, createRedis, newRedis, type RedisTarget } from '../../src/locks/redis';
import { createRedlockSlotLock } from '../../src/locks/slot-lock';
import { createQueues, REMINDERS } from '../../src/reminders/queues';
import { TEST_REDIS_URL } from '../support/env';
import { deleteKeys, scopedName } from '../support/run-scope';

/**
 * Redis Sentinel, for real: a sentinel (redis-server in sentinel mode) watching this machine's Redis
 * as the master 'cc-test-master'. The service's clients, built from REDIS_SENTINELS and
 * REDIS_SENTINEL_NAME, ask it where the master is: the request client, Redlock's slot lock, the
 * conversation store and BullMQ's queues and workers all work through it.
 */
let sentinel: ChildProcess;
let port: number;
let dir: string;
const prefix = scopedName('sentinel');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-sentinel-'));
  const master = new URL(TEST_REDIS_URL);
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor cc-test-master ${master.hostname} ${master.port || 6379} 1`, 'sentinel down-after-milliseconds cc-test-master 60000', ''].join('\n'));
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  // Ready once it takes connections (asked with a plain socket: a client that failed to connect
  // would linger) and knows the master.
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) {
      const probe = newRedis(`redis://127.0.0.1:${port}`);
      const known = await probe.call('SENTINEL', 'get-master-addr-by-name', 'cc-test-master').catch(() => null);
      probe.disconnect();
      if (Array.isArray(known)) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the sentinel did not start');
});

afterAll(async () => {
  if (sentinel && sentinel.exitCode === null) {
    await new Promise((resolve) => {
      sentinel.once('exit', resolve);
      sentinel.kill('SIGTERM');
    });
  }
  const redis = newRedis(TEST_REDIS_URL);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function target(): RedisTarget {
  // The settings a deployment gives, read by the real configuration.
  const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1/0', REDIS_SENTINELS: `127.0.0.1:${port}`, REDIS_SENTINEL_NAME: 'cc-test-master' });
  expect(config.redis.sentinels).toEqual([{ host: '127.0.0.1', port }]);
  return config.redis;
}

test('the request client, the slot lock and the conversation store reach the master through the sentinel', async () => {
  const redis = await connectRedis(createRedis(target()));
  try {
    // The URL's own host and port (127.0.0.1:1) are not used: the sentinel says where the master is.
    expect(await redis.ping()).toBe('PONG');
    const lock = createRedlockSlotLock(redis, { prefix, ttlMs: 2000 });
    expect(await lock.withSlot('doctor-1', new Date('2026-12-01T15:00:00Z'), async () => 'booked')).toBe('booked');
    const store = createRedisConversationStore(redis, prefix);
    await store.save('sms', '+15550001234', { v: 2, at: null, back: [], verified: false, lastActivity: 1, seq: 3 });
    expect(await store.load('sms', '+15550001234')).toMatchObject({ seq: 3 });
  } finally {
    redis.disconnect();
  }
});

test('BullMQ queues and workers run through the sentinel too', async () => {
  const queues = createQueues(target(), prefix);
  const done: string[] = [];
  const worker = new Worker(REMINDERS, async (job) => void done.push(job.name), { connection: queues.workerConnection(), prefix: queues.prefix });
  try {
    await queues.reminders.add('through-sentinel', {}, { jobId: 'sentinel-job' });
    for (let i = 0; i < 100 && done.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(done).toEqual(['through-sentinel']);
  } finally {
    await worker.close();
    await queues.reminders.obliterate({ force: true });
    await queues.close();
  }
});

test('refuses sentinels without the master\'s name', () => {
  expect(() => loadConfig({ REDIS_SENTINELS: '127.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME/);
  expect(() => loadConfig({ REDIS_SENTINELS: 'not a list', REDIS_SENTINEL_NAME: 'x' })).toThrow(/REDIS_SENTINELS/);
});
