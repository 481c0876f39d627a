import http from 'node:http';
import type { Logger } from '../src/logging';
import type { Metrics } from '../src/observability/metrics';

/**
 * /metrics on a port of its own (METRICS_PORT), without a token: for a scraper inside the cluster,
 * on a port the public never reaches. The worker, which has no HTTP server otherwise, serves its
 * reminder figures here too. Anything but GET /metrics is a 404.
 */
export async function startMetricsServer(metrics: Metrics, port: number, host: string, logger: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"code":"NotFound","message":"Only GET /metrics is here."}');
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(body);
      },
      (err) => {
        logger.warn({ err: { message: (err as Error).message } }, 'metrics could not be collected');
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  logger.info({ port, host }, 'metrics listening');
  return server;
}
