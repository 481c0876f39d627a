import restify, { type Server } from 'restify';
import { mountReportsApi } from '../adapters/bi-api/reports-api';
import type { AppContext } from './context';
import { errorForLog, type Logger } from '../src/logging';

/**
 * The composition root's HTTP side: one restify server for every channel. Channel routes are
 * mounted by the adapters; this file owns health, readiness and shutdown.
 */
export function createServer(ctx: AppContext, logger: Logger): Server {
  // restify logs through ours, with its request and response objects cut down to method and route:
  // its own logger would write whole requests, raw headers and all.
  const log = logger.child(
    { component: 'restify' },
    {
      serializers: {
        req: (r: { method?: string; getRoute?: () => { path?: unknown } | null }) => ({ method: r?.method, route: String(r?.getRoute?.()?.path ?? '') }),
        res: (r: { statusCode?: number }) => ({ statusCode: r?.statusCode }),
        value: () => '[not logged]',
        err: errorForLog,
      },
    },
  );
  const server = restify.createServer({ name: 'clinic-concierge', handleUncaughtExceptions: false, log: log as never });

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });

  server.get('/readyz', async (_req, res) => {
    const checks = await Promise.all([
      ctx.db.sequelize.query('SELECT 1').then(() => true, () => false),
      ctx.redis.ping().then(() => true, () => false),
    ]);
    const [database, redis] = checks;
    res.send(database && redis ? 200 : 503, { database: database ? 'ok' : 'down', redis: redis ? 'ok' : 'down' });
  });

  mountReportsApi(server, { reports: ctx.services.reports, token: ctx.config.reportsApiToken, logger });

  // Never a stack trace to the caller: log the error by id, answer a plain 500.
  server.on('restifyError', (req, res, err, cb) => {
    if (!err.statusCode || err.statusCode >= 500) {
      logger.error({ err: { name: err.name, message: err.message }, route: req.getRoute()?.path }, 'request failed');
      err.toJSON = () => ({ code: 'Internal', message: 'Something went wrong on our side.' });
    }
    cb();
  });
  return server;
}

/** Stops taking new requests, lets those in flight finish, then closes everything else. */
export async function shutdown(server: Server, ctx: AppContext, logger: Logger, graceMs = 10_000): Promise<void> {
  logger.info('shutting down');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would hold the close open; requests in flight get the grace period.
  server.server.closeIdleConnections();
  const grace = setTimeout(() => server.server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(grace);
  await ctx.close();
  logger.info('stopped');
}
