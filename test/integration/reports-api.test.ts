import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'restify';
import { loadConfig } from '../../src/config';
import { seedDemoClinic } from '../../src/db/seed';
import { createLogger } from '../../src/logging';
import { createServer } from '../../app/server';
import { createHarness, type Harness } from '../support/harness';

const TOKEN = 'bi-token-0123456789abcdef0123456789';
let h: Harness;
let servers: Server[] = [];

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : null, headers: res.headers }));
      })
      .on('error', reject);
  });
}

async function start(token: string | undefined, lines?: string[]): Promise<number> {
  const config = loadConfig(token ? { REPORTS_API_TOKEN: token } : {});
  const logger = lines ? createLogger('debug', { write: (l: string) => void lines.push(l) }) : createLogger('silent', { write: () => undefined });
  const server = createServer({ config, db: h.db, redis: h.redis, services: h.services, now: h.clock.now, close: async () => undefined }, logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  h = await createHarness('reports_api', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
});
afterAll(async () => {
  for (const s of servers) {
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.server.closeAllConnections();
    await closed;
  }
  await h.close();
});

describe('the read-only reports API', () => {
  it('logs a refused call with its source address, never the token it was given', async () => {
    const lines: string[] = [];
    const port = await start(TOKEN, lines);
    expect((await get(port, '/api/reports?from=2026-11-01&to=2026-11-30', { authorization: 'Bearer guessed-token-0123456789abc' })).status).toBe(401);
    const refused = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'reports api refused');
    expect(refused).toMatchObject({ reason: 'wrong token', source: expect.stringMatching(/127\.0\.0\.1/) });
    expect(lines.join('\n')).not.toContain('guessed-token');
  });

  it('serves the report as JSON to a valid bearer token, and audits the read', async () => {
    const port = await start(TOKEN);
    const res = await get(port, '/api/reports?from=2026-11-01&to=2026-11-30', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-11-01', to: '2026-11-30', zone: 'America/New_York', totals: { appointments: 0 } });
    expect(res.body.byDoctor).toHaveLength(10);
    expect(await h.db.models.Audit.count({ where: { action: 'reports.read', outcome: 'allowed' } })).toBe(1);
  });

  it('refuses a missing, wrong or malformed token with 401', async () => {
    const port = await start(TOKEN);
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await get(port, '/api/reports?from=2026-11-01&to=2026-11-30', headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers bad dates with a 400 and a reason, never a 500', async () => {
    const port = await start(TOKEN);
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const q of ['', '?from=2026-11-01', '?from=2026-02-30&to=2026-03-01', '?from=x&to=y', '?from=2026-12-01&to=2026-11-01', '?from=2020-01-01&to=2026-01-01', '?from[]=1&to=2']) {
      const res = await get(port, `/api/reports${q}`, auth);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/date|range|days/);
    }
  });

  it('is not there at all without a configured token', async () => {
    const port = await start(undefined);
    expect((await get(port, '/api/reports?from=2026-11-01&to=2026-11-30', { authorization: 'Bearer anything' })).status).toBe(404);
  });

  it('refuses a token too short to be safe, at start-up', () => {
    expect(() => loadConfig({ REPORTS_API_TOKEN: 'short' })).toThrow(/REPORTS_API_TOKEN: must be at least 24 characters/);
  });
});
