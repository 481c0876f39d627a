/**
 * Slack's Web API, played on this machine for bench:http: every call succeeds at once. It runs as a
 * process of its own, as the real one is a remote server: inside the load generator it would share
 * that process's event loop, and the latencies autocannon measures would include its work.
 * GET /replies gives each chat.postMessage as [channel, epoch ms received], so the benchmark can tell
 * how long each event took to be answered; GET /calls counts every call.
 */
import http from 'node:http';
import type net from 'node:net';

let calls = 0;
const replies: Array<[string, number]> = [];

function channelOf(body: string, contentType: string | undefined): string {
  if (contentType?.includes('json')) return String((JSON.parse(body) as { channel?: unknown }).channel ?? '');
  return new URLSearchParams(body).get('channel') ?? '';
}

const server = http.createServer((req, res) => {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (req.method === 'GET' && req.url === '/calls') return json(200, { calls });
  if (req.method === 'GET' && req.url === '/replies') return json(200, replies);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    calls++;
    if (req.url?.endsWith('/chat.postMessage')) replies.push([channelOf(body, req.headers['content-type']), Date.now()]);
    json(200, { ok: true, ts: '1.1', channel: { id: 'D0BENCH' }, user_id: 'UBOT', bot_id: 'BBOT' });
  });
});
server.listen(0, '127.0.0.1', () => {
  // The parent reads the port from the first line.
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
