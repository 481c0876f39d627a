import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'restify';
import type { AppContext } from '../../app/context';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import { createServer } from '../../app/server';
import { deadRedis } from '../support/dead-redis';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let server: Server;
let base: string;
let ctx: AppContext;

/** GET without keep-alive, so no client socket outlives the test. */
function get(url: string): Promise<{ status: number; json: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(body) }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  h = await createHarness('server');
  ctx = { config: loadConfig({}), db: h.db, redis: h.redis, services: h.services, now: h.clock.now, close: async () => undefined };
  server = createServer(ctx, createLogger('silent', { write: () => undefined }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.server.closeAllConnections();
  await closed;
  await h.close();
});

describe('health and readiness', () => {
  it('is alive and ready when PostgreSQL and Redis answer', async () => {
    expect((await get(`${base}/healthz`)).status).toBe(200);
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ database: 'ok', redis: 'ok' });
  });

  it('says which dependency is down with a 503, without crashing', async () => {
    const dead = deadRedis();
    const original = ctx.redis;
    ctx.redis = dead;
    try {
      const ready = await get(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ database: 'ok', redis: 'down' });
    } finally {
      ctx.redis = original;
      dead.disconnect();
    }
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, then closes the database and Redis', async () => {
    const { shutdown } = await import('../../app/server');
    let closed = false;
    const own = createServer({ ...ctx, close: async () => void (closed = true) }, createLogger('silent', { write: () => undefined }));
    let begun!: () => void;
    const handling = new Promise<void>((r) => (begun = r));
    own.get('/slow', async (_req, res) => {
      begun();
      await new Promise((r) => setTimeout(r, 150));
      res.send(200, { done: true, closedYet: closed });
    });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    const port = (own.address() as AddressInfo).port;
    const inFlight = get(`http://127.0.0.1:${port}/slow`);
    // Shut down once the request is being handled (not after a guess of a delay: a busy machine is slow).
    await handling;
    await shutdown(own, { ...ctx, close: async () => void (closed = true) }, createLogger('silent', { write: () => undefined }));
    const res = await inFlight;
    expect(res.status).toBe(200);
    // The request finished before anything was closed; then everything was.
    expect(await res.json()).toEqual({ done: true, closedYet: false });
    expect(closed).toBe(true);
    await expect(get(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
