import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Server } from 'restify';
import { mountReceivers, type ReceiverOptions } from '../../app/receivers';
import { createSenders, type SenderOptions, type Senders } from '../../app/senders';
import { createServer } from '../../app/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import type { Metrics } from '../../src/observability/metrics';
import type { Services } from '../../src/services';
import type { Harness } from './harness';

export interface HttpApp {
  port: number;
  server: Server;
  /** What the service sends through (the worker's side). */
  channels: Senders;
  enabled: string[];
  close(): Promise<void>;
}

/** The real server and channels over the harness's services, on a free port. */
export async function startApp(h: Harness, env: Record<string, string>, opts: ReceiverOptions & SenderOptions & { logLines?: string[]; metrics?: Metrics; services?: Services; port?: number } = {}): Promise<HttpApp> {
  const config = loadConfig({ REDIS_PREFIX: h.prefix, CLINIC_NAME: 'Demo Clinic', ...env });
  const ctx = { config, db: h.db, redis: h.redis, services: opts.services ?? h.services, now: h.clock.now, metrics: opts.metrics, close: async () => undefined };
  // With logLines, every log line is kept (at debug) so a test can read what would be logged.
  const logger = opts.logLines
    ? createLogger('debug', { write: (line: string) => void opts.logLines!.push(line) })
    : createLogger('silent', { write: () => undefined });
  const server = createServer(ctx, logger);
  const channels = createSenders(ctx, logger, opts);
  const { enabled } = await mountReceivers(server, ctx, channels, logger, opts);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    channels,
    enabled,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeAllConnections();
      await closed;
    },
  };
}

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A port nothing listens on now, for a server whose public address must name its port before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One request without keep-alive, so no socket outlives a test. */
export function request(port: number, method: string, path: string, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
