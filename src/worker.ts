import { createAppContext } from './app';
import { mountChannels } from './channels';
import { loadConfigOrExit } from './config';
import { createLogger } from './logging';
import { createReminders } from './reminder-context';
import { createServer } from './server';

/**
 * npm run worker: the reminder and notification workers on their own, for scale-out. Run the
 * service with RUN_WORKER=false then. The channels are built to send (SMS, Slack, Teams) but the
 * HTTP server is never started: this process takes no requests.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel).child({ process: 'worker' });
  const ctx = await createAppContext(config, logger);
  const channels = await mountChannels(createServer(ctx, logger), ctx, logger);
  const reminders = createReminders(ctx, channels, logger);
  await reminders.startWorkers();
  logger.info({ channels: channels.enabled }, 'reminder workers running');
  const stop = async () => {
    await reminders.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(`worker could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
