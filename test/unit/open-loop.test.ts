/**
 * bench:http's constant-rate load. Its figures are only worth reading if it really spreads requests
 * over time (rather than sending each second's worth at once) and if a stall in the service shows in
 * the latencies of every request that was due during it. Both are checked against a local server;
 * the assertions are lower bounds, so a slow machine cannot make them fail.
 */
import http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { openLoop, percentile } from '../../bench/open-loop';

interface Recorder {
  origin: string;
  arrivals: number[];
  close(): Promise<void>;
}

/** A server that answers at once, or, while `holdUntil` is in the future, only once it has passed. */
function server(holdForMs = 0): Promise<Recorder> {
  const arrivals: number[] = [];
  let holdUntil = 0;
  const s = http.createServer((req, res) => {
    const at = performance.now();
    if (arrivals.length === 0) holdUntil = at + holdForMs;
    arrivals.push(at);
    req.resume();
    req.on('end', () => {
      setTimeout(() => res.end('ok'), Math.max(0, holdUntil - performance.now()));
    });
  });
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () =>
      resolve({
        origin: `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`,
        arrivals,
        close: () => new Promise((r) => s.close(() => r())),
      }),
    ),
  );
}

const request = () => ({ body: '{}', headers: { 'content-type': 'application/json' } });

test('requests are spread over the run at the rate asked for, not sent in a burst', async () => {
  const srv = await server();
  try {
    const started = performance.now();
    const result = await openLoop({ origin: srv.origin, path: '/', rate: 100, seconds: 1, connections: 8, request });
    expect(result.sent).toBe(100);
    expect(result.ok).toBe(100);
    expect(srv.arrivals).toHaveLength(100);
    // None leaves before it is due: the last half are due from 500 ms after the start, so they arrive
    // at least that late (later on a busy machine, never earlier), and the 100th is due at 990 ms.
    // A burst would put all of them within a few milliseconds of the start.
    expect(srv.arrivals[99] - started).toBeGreaterThanOrEqual(980);
    expect(srv.arrivals.filter((t) => t - started >= 495).length).toBeGreaterThanOrEqual(50);
  } finally {
    await srv.close();
  }
});

test('a stall counts against every request due during it, from when each was due', async () => {
  const srv = await server(300);
  try {
    const result = await openLoop({ origin: srv.origin, path: '/', rate: 50, seconds: 1, connections: 4, request });
    expect(result.ok).toBe(50);
    // The first request waited the whole 300 ms stall; those due at 20, 40 ... 180 ms at least 100 ms.
    expect(percentile(result.latencies, 100)).toBeGreaterThanOrEqual(290);
    expect(result.latencies.filter((ms) => ms >= 100).length).toBeGreaterThanOrEqual(10);
  } finally {
    await srv.close();
  }
});

test('percentile picks the value at or above the share asked for', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  expect(percentile(values, 50)).toBe(50);
  expect(percentile(values, 99)).toBe(99);
  expect(percentile(values, 100)).toBe(100);
  expect(percentile([], 50)).toBeNaN();
});
