// First: tracing (when configured) patches http, pg and ioredis before anything loads them.
import { flushTracing } from './tracing';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAppContext } from './context';
import { loadConfigOrExit } from '../src/config';
import { createLogger } from '../src/logging';
import { createReminders } from './reminders';
import { startMetricsServer } from './metrics-server';
import { createSenders } from './senders';

/**
 * npm run worker: the reminder and notification workers on their own, for scale-out. Run the
 * service with RUN_WORKER=false then. Only the senders are built (SMS, Slack, Teams): no server,
 * no receiver, no dialog engine; this process takes no requests.
 *
 * It has no HTTP to be probed, so it touches a heartbeat file while PostgreSQL and Redis answer;
 * `worker --healthcheck` (the container's health check) says whether that file is fresh.
 */
const HEARTBEAT = process.env.WORKER_HEARTBEAT_FILE ?? path.join(os.tmpdir(), 'clinic-concierge-worker.alive');
const BEAT_MS = 10_000;
const STALE_MS = 45_000;

function healthcheck(): never {
  try {
    const age = Date.now() - fs.statSync(HEARTBEAT).mtimeMs;
    if (age < STALE_MS) process.exit(0);
    console.error(`worker heartbeat is ${Math.round(age / 1000)} s old`);
  } catch {
    console.error('no worker heartbeat yet');
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel).child({ process: 'worker' });
  for (const warning of config.warnings) logger.warn({ security: true }, `SECURITY WARNING: ${warning}`);
  const ctx = await createAppContext(config, logger);
  const senders = createSenders(ctx, logger);
  const reminders = createReminders(ctx, senders, logger);
  await reminders.startWorkers();
  const metricsServer = config.metrics.port && ctx.metrics ? await startMetricsServer(ctx.metrics, config.metrics.port, config.metrics.host, logger) : null;
  const sending = Object.entries({ sms: senders.sms, slack: senders.slack, teams: senders.teams }).filter(([, s]) => s).map(([name]) => name);
  logger.info({ channels: sending }, 'reminder workers running');
  const beat = async () => {
    try {
      await Promise.all([ctx.db.sequelize.query('SELECT 1'), ctx.redis.ping()]);
      const now = new Date();
      fs.writeFileSync(HEARTBEAT, now.toISOString());
      fs.utimesSync(HEARTBEAT, now, now);
    } catch (err) {
      logger.warn({ err }, 'heartbeat skipped: a dependency is not answering');
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), BEAT_MS);
  const stop = async () => {
    clearInterval(timer);
    fs.rmSync(HEARTBEAT, { force: true });
    metricsServer?.close();
    await reminders.close();
    await ctx.close();
    await flushTracing();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

if (process.argv.includes('--healthcheck')) healthcheck();
main().catch((err) => {
  console.error(`worker could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
