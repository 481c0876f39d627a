import { createHash, timingSafeEqual } from 'node:crypto';
import restify, { type Request, type Response, type Server } from 'restify';
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

  // Every request's route (its pattern, never its path: no ids or tokens in a label), method, status and time.
  const metrics = ctx.metrics;
  if (metrics) {
    server.on('after', (req: Request, res: Response, route: { path?: string | RegExp } | null) => {
      const path = route?.path ? String(route.path) : 'unmatched';
      metrics.httpRequest(path, req.method ?? 'GET', res.statusCode, (Date.now() - req.time()) / 1000);
    });
    // Only for a scraper with the token: the figures say how busy the clinic is.
    const token = ctx.config.metrics?.token;
    if (token) {
      server.get('/metrics', async (req: Request, res: Response) => {
        if (!bearerMatches(req.header('authorization'), token)) {
          res.send(401, { code: 'Unauthorized', message: 'A bearer token is needed for /metrics.' });
          return;
        }
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(body);
      });
    }
  }

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

/** A bearer token compared in constant time (hashes first, so lengths do not leak either). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
  const hash = (v: string) => createHash('sha256').update(v).digest();
  return given.length > 0 && timingSafeEqual(hash(given), hash(token));
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
