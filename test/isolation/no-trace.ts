/**
 * npm run test:isolation (called by .ci/run): two `npm test` runs started together on one
 * PostgreSQL and one Redis must both pass, and after them and after `npm run bench:http` the servers
 * must hold no database and no Redis key that any of them made. Each run is given its id from here
 * (CC_TEST_RUN, BENCH_RUN), so this knows exactly which names to look for.
 */
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { Client } from 'pg';
import { newRunId } from '../support/run-scope';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function run(label: string, command: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => {
      const seconds = (Date.now() - started) / 1000;
      console.log(`${label}: exit ${code} after ${seconds.toFixed(0)} s`);
      resolve({ code: code ?? 1, output, seconds });
    });
  });
}

async function leftovers(prefixes: string[]): Promise<string[]> {
  const found: string[] = [];
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const p of prefixes) {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [p]);
      found.push(...rows.map((r) => `database ${r.datname}`));
    }
  } finally {
    await client.end();
  }
  const redis = new Redis(REDIS_URL);
  try {
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        cursor = next;
        found.push(...keys.slice(0, 5).map((k) => `redis key ${k}`));
      } while (cursor !== '0' && found.length < 50);
    }
  } finally {
    redis.disconnect();
  }
  return found;
}

async function main(): Promise<void> {
  const a = newRunId();
  const b = newRunId();
  const bench = `iso${Date.now().toString(36)}`;
  console.log(`two test runs at once (${a}, ${b}), then bench:http (${bench}), then a look for anything they left`);
  const jest = ['node_modules/.bin/jest', ['--silent']] as const;
  const [first, second] = await Promise.all([
    run(`npm test as ${a}`, jest[0], [...jest[1]], { CC_TEST_RUN: a }),
    // A moment later, so the second run's start-up falls inside the first run (where the old set-up
    // dropped every test database on the server).
    new Promise((r) => setTimeout(r, 3000)).then(() => run(`npm test as ${b}`, jest[0], [...jest[1]], { CC_TEST_RUN: b })),
  ]);
  const benchRun = await run('bench:http', 'npm', ['run', '--silent', 'bench:http'], { BENCH_RUN: bench, BENCH_SECONDS: '2', BENCH_SCENARIOS: 'sms' });
  const left = await leftovers([`cc_test_${a}_`, `cc_test_${b}_`, `cc_bench_${bench}_`]);

  let failed = false;
  for (const [name, r] of [[a, first], [b, second], ['bench:http', benchRun]] as const) {
    if (r.code !== 0) {
      failed = true;
      console.error(`\n${name} failed; its output ends:\n${r.output.slice(-6000)}`);
    }
  }
  if (left.length) {
    failed = true;
    console.error(`left behind:\n  ${left.join('\n  ')}`);
  } else {
    console.log('nothing left behind: no database and no Redis key of any of the three runs');
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
