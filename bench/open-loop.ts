/**
 * A constant-arrival-rate load for bench:http: request i is due at start + i/rate seconds, whether or
 * not earlier ones have been answered, and its latency is counted from when it was due. A service that
 * stalls therefore shows every request it kept waiting (no coordinated omission).
 *
 * autocannon's rate option cannot do this: each connection sends its quota for the second back to
 * back as soon as the second starts (autocannon issue #174), so "300 a second" arrives as bursts of
 * 300 in the first few milliseconds of every second, and the latencies measure the bursts.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface OpenLoopOptions {
  origin: string;
  path: string;
  rate: number;
  seconds: number;
  connections: number;
  /** The i-th request, built when it is due; `dueEpochMs` is when it should leave. */
  request: (i: number, dueEpochMs: number) => { body: string; headers: Record<string, string> };
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  /** Per answered request: milliseconds from when it was due to its whole response. */
  latencies: number[];
  seconds: number;
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(opts.origin, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const interval = 1000 / opts.rate;
  const total = Math.round(opts.rate * opts.seconds);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const startEpoch = Date.now();
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now leaves now; a late tick sends what it owes at once, and counts it late.
      while (i < total && start + i * interval <= now) {
        const due = start + i * interval;
        const { body, headers } = opts.request(i, startEpoch + i * interval);
        i++;
        inFlight.push(
          pool
            .request({ method: 'POST', path: opts.path, body, headers })
            .then(async (res) => {
              await res.body.dump();
              latencies.push(performance.now() - due);
              if (res.statusCode >= 200 && res.statusCode < 300) ok++;
              else failed++;
            })
            .catch(() => {
              failed++;
            }),
        );
      }
      if (i < total) setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  return { sent: total, ok, failed, latencies, seconds };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
