// First: tracing (when configured) patches http, pg and ioredis before anything loads them.
import { flushTracing } from './tracing';
import { createAppContext } from './context';
import { loadConfigOrExit } from '../src/config';
import { createLogger } from '../src/logging';
import { mountReceivers } from './receivers';
import { createSenders } from './senders';
import { createReminders } from './reminders';
import { startMetricsServer } from './metrics-server';
import { createServer, shutdown } from './server';
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { runPrimary } from './cluster';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const clustered = config.webConcurrency > 1;
  // Loud on purpose: each is a door a production deployment should not leave open (said once).
  if (!cluster.isWorker) for (const warning of config.warnings) logger.warn({ security: true }, `SECURITY WARNING: ${warning}`);
  if (clustered && cluster.isPrimary) return runPrimary(config, logger);
  const ctx = await createAppContext(config, logger);
  // Under the cluster, the primary sums every process's figures on METRICS_PORT.
  // (Constructing one is what makes this process answer the primary's requests for its figures.)
  if (cluster.isWorker && ctx.metrics) {
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([ctx.metrics.registry]);
  }
  const server = createServer(ctx, logger);
  const senders = createSenders(ctx, logger);
  const receivers = await mountReceivers(server, ctx, senders, logger);
  logger.info({ channels: receivers.enabled }, 'channels mounted');
  const reminders = createReminders(ctx, senders, logger);
  if (config.runWorker) await reminders.startWorkers();
  logger.info({ inProcess: config.runWorker }, 'reminder workers');
  const metricsServer = config.metrics.port && ctx.metrics && !cluster.isWorker ? await startMetricsServer(ctx.metrics, config.metrics.port, config.metrics.host, logger) : null;
  if (!config.metrics.port && !config.metrics.token) logger.info('metrics are off: set METRICS_TOKEN (GET /metrics with a bearer token) or METRICS_PORT');
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  logger.info({ port: config.port, clinicTimezone: config.clinicTimezone }, 'clinic concierge listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    // Whatever hangs (a queue waiting on a Redis that is gone, say), the process still ends.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000).unref();
    const closeAll = async () => {
      metricsServer?.close();
      await reminders.close();
      await ctx.close();
    };
    shutdown(server, { ...ctx, close: closeAll }, logger).then(
      () => flushTracing().then(() => process.exit(0)),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  // Start-up failures (database or Redis unreachable) say what is wrong, without a stack for users.
  console.error(`clinic concierge could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
