import { createInboundPipeline, type InboundDeps } from '../../adapters/shared/inbound';
import { createSenderRateLimiter, SLOW_DOWN } from '../../adapters/shared/rate-limit';
import type { DialogEngine } from '../../dialogs/engine';
import { insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createChat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

/**
 * The one road every channel's messages take: dedupe, rate limit, the sender resolved once, the
 * dialog, the deadline. On the real database, Redis and dialog engine.
 */
let h: Harness;
const NY = 'America/New_York';

beforeAll(async () => {
  h = await createHarness('inbound', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
});
afterAll(() => h.close());

function road(extra: Partial<InboundDeps> = {}) {
  const calls = { resolve: 0, actorFor: 0 };
  const identity = h.services.identity;
  // Counted, not replaced: the real look-ups run.
  const counted = {
    resolve: (c: Parameters<typeof identity.resolve>[0], id: string) => (calls.resolve++, identity.resolve(c, id)),
  };
  const services = { ...h.services, identity: { ...identity, actorFor: (c: Parameters<typeof identity.actorFor>[0], id: string) => (calls.actorFor++, identity.actorFor(c, id)) } };
  const engine = createChat(h, { services }).engine;
  const pipeline = createInboundPipeline({
    redis: h.redis,
    redisPrefix: h.prefix,
    limiter: createSenderRateLimiter(h.redis, h.prefix, 5),
    identity: counted,
    engine,
    ...extra,
  });
  return { pipeline, calls };
}

let seq = 0;
const phone = () => `+1555060${String(seq++).padStart(4, '0')}`;

test('resolves the sender once, with the SMS status, and the dialog does not look them up again', async () => {
  const p = await insertPatient(h.db, { name: 'Road Runner', phone: '+15550609999', dateOfBirth: '1980-01-01', timeZone: NY });
  const { pipeline, calls } = road();
  const outcome = await pipeline.receive({ channel: 'sms', senderId: '+15550609999', deliveryId: 'SM-road-1', text: 'menu', conversation: 'direct' });
  expect(outcome.kind).toBe('answered');
  if (outcome.kind !== 'answered') return;
  expect(outcome.sender).toMatchObject({ sms: 'subscribed', actor: { patientId: p.patientId, role: 'patient' } });
  expect(outcome.result.replies.map((r) => r.text).join(' ')).toMatch(/What would you like to do/);
  expect(calls).toEqual({ resolve: 1, actorFor: 0 });
});

test('drops a delivery it has seen, before anything else runs', async () => {
  const { pipeline, calls } = road();
  const from = phone();
  expect((await pipeline.receive({ channel: 'sms', senderId: from, deliveryId: 'SM-road-2', text: 'hi', conversation: 'direct' })).kind).toBe('answered');
  expect((await pipeline.receive({ channel: 'sms', senderId: from, deliveryId: 'SM-road-2', text: 'hi', conversation: 'direct' })).kind).toBe('duplicate');
  expect(calls.resolve).toBe(1);
});

test('answers a flood once with a word to slow down, then silently; a gate before the limit still works', async () => {
  const { pipeline } = road();
  const from = phone();
  const kinds: string[] = [];
  const replies: string[][] = [];
  for (let i = 0; i < 7; i++) {
    const o = await pipeline.receive({ channel: 'sms', senderId: from, text: 'menu', conversation: 'direct' });
    kinds.push(o.kind);
    replies.push(o.kind === 'limited' ? o.replies.map((r) => r.text) : []);
  }
  expect(kinds).toEqual(['answered', 'answered', 'answered', 'answered', 'answered', 'limited', 'limited']);
  expect(replies.slice(5)).toEqual([[SLOW_DOWN], []]);
  // STOP, say, must pass any limit: a gate before it answers.
  const stop = await pipeline.receive({ channel: 'sms', senderId: from, text: 'STOP', conversation: 'direct' }, { beforeLimit: async () => ({ stop: [{ text: 'stopped' }] }) });
  expect(stop).toMatchObject({ kind: 'gated', replies: [{ text: 'stopped' }] });
});

test('lets a gate answer instead of the dialog, or name the sender it linked', async () => {
  const { pipeline } = road();
  const gated = await pipeline.receive({ channel: 'slack', senderId: 'U0NOBODY', text: 'hi', conversation: 'direct' }, { afterSender: async (s) => (s.actor ? null : { stop: [{ text: 'who are you?' }] }) });
  expect(gated).toMatchObject({ kind: 'gated', replies: [{ text: 'who are you?' }], sender: { actor: null } });
  const doctor = await h.services.identity.actorForEmail('anika.patel@demo.clinic', 'slack');
  const linked = await pipeline.receive({ channel: 'slack', senderId: 'U0LINKED', text: 'today', conversation: 'direct' }, { afterSender: async () => ({ actor: doctor }) });
  expect(linked.kind).toBe('answered');
  if (linked.kind === 'answered') expect(linked.result.replies[0].text).toMatch(/appointments today/);
});

test('hands back a reply that outlasts the deadline as late, and it still arrives', async () => {
  // A dialog held up for 300 ms (a slow database, say) against a 50 ms deadline.
  const slowEngine: DialogEngine = {
    async handle(msg) {
      await new Promise((r) => setTimeout(r, 300));
      return { replies: [{ text: `late answer to ${msg.text}` }], actor: msg.actor ?? null, seq: 1 };
    },
  };
  const { pipeline } = road({ engine: slowEngine });
  const outcome = await pipeline.receive({ channel: 'teams', senderId: 'T0SLOW', text: 'today', conversation: 'direct' }, {}, 50);
  expect(outcome.kind).toBe('late');
  if (outcome.kind === 'late') expect((await outcome.result).replies).toEqual([{ text: 'late answer to today' }]);
});

test('counts every outcome by channel for the metrics', async () => {
  const seen: string[] = [];
  const { pipeline } = road({ observe: (channel, kind) => void seen.push(`${channel}:${kind}`) });
  await pipeline.receive({ channel: 'sms', senderId: phone(), deliveryId: 'SM-road-3', text: 'hi', conversation: 'direct' });
  await pipeline.receive({ channel: 'sms', senderId: phone(), deliveryId: 'SM-road-3', text: 'hi', conversation: 'direct' });
  expect(seen).toEqual(['sms:answered', 'sms:duplicate']);
});
