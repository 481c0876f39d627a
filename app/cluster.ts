import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../src/config';
import type { Logger } from '../src/logging';

/**
 * WEB_CONCURRENCY > 1: this process only keeps the HTTP processes running. It forks them (they
 * share the port; the kernel hands each connection to one), starts another when one dies, serves
 * their metrics summed on METRICS_PORT, and on SIGTERM lets each finish what it is doing. Everything
 * a request needs to be correct across processes is already shared (Redis locks and conversation
 * state, the database), as it is across instances.
 */
const RESTARTS_ALLOWED = 5;
const RESTART_WINDOW_MS = 60_000;

export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const log = logger.child({ component: 'cluster' });
  let stopping = false;
  const restarts: number[] = [];

  const fork = (): Worker => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
    // A process that keeps dying at start (the database away, a bad setting) is not hidden by restarts.
    if (restarts.length > RESTARTS_ALLOWED) {
      log.error({ restarts: restarts.length }, 'HTTP processes keep exiting; stopping so the supervisor sees it');
      stop('crash loop', 1);
      return;
    }
    log.warn({ pid: worker.process.pid, code, signal }, 'an HTTP process exited; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, 500);
  });
  for (let i = 0; i < config.webConcurrency; i++) fork();
  log.info({ processes: config.webConcurrency, port: config.port }, 'clinic concierge cluster started');

  // The workers' figures, summed (counters, histograms, gauges) or per process where summing is wrong.
  const aggregator = new AggregatorRegistry();
  const metricsServer = config.metrics.port
    ? http
        .createServer((req, res) => {
          if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
            res.writeHead(404, { 'Content-Type': 'application/json' });
            res.end('{"code":"NotFound","message":"Only GET /metrics is here."}');
            return;
          }
          aggregator.clusterMetrics().then(
            (body) => {
              res.writeHead(200, { 'Content-Type': aggregator.contentType });
              res.end(body);
            },
            (err: Error) => {
              log.warn({ err: { message: err.message } }, 'cluster metrics could not be collected');
              res.writeHead(503);
              res.end();
            },
          );
        })
        .listen(config.metrics.port, config.metrics.host, () => log.info({ port: config.metrics.port }, 'cluster metrics listening'))
    : null;

  function stop(reason: string, code = 0): void {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping the HTTP processes');
    metricsServer?.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    // Each process has its own 20 s shutdown deadline; this one waits a little longer, then ends.
    setTimeout(() => process.exit(1), 25_000).unref();
    let left = workers.length;
    if (left === 0) process.exit(code);
    for (const w of workers) {
      w.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(code);
      });
      w.process.kill('SIGTERM');
    }
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
