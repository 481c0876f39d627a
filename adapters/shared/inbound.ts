import { SpanStatusCode, trace } from '@opentelemetry/api';
import type Redis from 'ioredis';
import type { DialogEngine } from '../../dialogs/engine';
import type { InboundMessage, Reply, TurnResult } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import type { Channel, SmsStatus } from '../../src/domain/channel';
import { firstDelivery } from './dedupe';
import { SLOW_DOWN, type SenderRateLimiter } from './rate-limit';

/**
 * The one road every inbound message takes once its channel has checked the platform's signature:
 * a delivery seen before is dropped; the sender's rate is counted; the sender is resolved once
 * (who they are and, for SMS, whether the number may be texted, in one query); the dialog runs; and
 * a reply that takes longer than the channel's deadline is handed back as 'late', for the channel
 * to send when it is ready. Channels add their own gates (carrier keywords, linking a staff
 * account) and render what comes back.
 */
export interface InboundRequest {
  channel: Channel;
  senderId: string;
  /** The platform's id of this delivery (Twilio's MessageSid, Slack's event_id): a retry is dropped. */
  deliveryId?: string | null;
  text?: string;
  value?: string;
  buttonSeq?: number;
  conversation: InboundMessage['conversation'];
}

export interface Sender {
  actor: Actor | null;
  sms: SmsStatus;
}

/** A gate answers instead of the dialog (stop), lets the message on, or names the sender it found (a link). */
export type GateResult = { stop: Reply[] } | { actor: Actor | null } | null | undefined;

export interface Gates {
  /** Before the rate limit: what carriers require to always work (STOP). */
  beforeLimit?(): Promise<GateResult>;
  /** Once the sender is known: an opted-out number, HELP, an unknown staff account, a link code. */
  afterSender?(sender: Sender): Promise<GateResult>;
}

export type InboundOutcome =
  | { kind: 'duplicate' }
  | { kind: 'limited'; replies: Reply[] }
  | { kind: 'gated'; replies: Reply[]; sender: Sender | null }
  | { kind: 'answered'; result: TurnResult; sender: Sender }
  /** The dialog outlasted the deadline: the channel answers at once and sends this when it settles. */
  | { kind: 'late'; result: Promise<TurnResult>; sender: Sender };

export interface InboundPipeline {
  receive(request: InboundRequest, gates?: Gates, deadlineMs?: number): Promise<InboundOutcome>;
}

export interface InboundDeps {
  redis: Redis;
  redisPrefix: string;
  limiter: SenderRateLimiter;
  identity: { resolve(channel: Channel, externalId: string): Promise<Sender> };
  engine: DialogEngine;
  /** Counts each outcome, and each turn by what it was read as (the metrics); optional. */
  observe?: (channel: Channel, outcome: InboundOutcome['kind']) => void;
  observeTurn?: (channel: Channel, intent: string | null | undefined) => void;
}

// A no-op unless app/tracing.ts registered a provider (OTEL_EXPORTER_OTLP_ENDPOINT).
const tracer = trace.getTracer('clinic-concierge');

export function createInboundPipeline(deps: InboundDeps): InboundPipeline {
  const done = (channel: Channel, outcome: InboundOutcome): InboundOutcome => {
    deps.observe?.(channel, outcome.kind);
    trace.getActiveSpan()?.setAttribute('inbound.outcome', outcome.kind);
    return outcome;
  };
  const dialogTurn = (req: InboundRequest, sender: Sender): Promise<TurnResult> =>
    // The turn's span holds the SQL and Redis spans of the dialog; its attributes name the channel
    // and what the message was read as, never who sent it or what it said.
    tracer.startActiveSpan('dialog turn', { attributes: { 'messaging.system': req.channel, 'actor.role': sender.actor?.role ?? 'unknown' } }, (span) =>
      deps.engine
        .handle({
          channel: req.channel,
          conversation: req.conversation,
          senderId: req.senderId,
          actor: sender.actor,
          ...(req.value !== undefined ? { value: req.value, buttonSeq: req.buttonSeq } : { text: req.text ?? '' }),
        })
        .then(
          (result) => {
            deps.observeTurn?.(req.channel, result.intent);
            span.setAttribute('dialog.intent', result.intent ?? 'none');
            span.end();
            return result;
          },
          (err: unknown) => {
            span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
            span.end();
            throw err;
          },
        ),
    );
  return {
    receive: (req, gates, deadlineMs) =>
      tracer.startActiveSpan(`inbound ${req.channel}`, { attributes: { 'messaging.system': req.channel } }, (span) =>
        receive(req, gates, deadlineMs).finally(() => span.end()),
      ),
  };

  async function receive(req: InboundRequest, gates: Gates = {}, deadlineMs = Infinity): Promise<InboundOutcome> {
    if (req.deliveryId && !(await firstDelivery(deps.redis, deps.redisPrefix, req.channel, req.deliveryId))) return done(req.channel, { kind: 'duplicate' });
    const early = await gates.beforeLimit?.();
    if (early && 'stop' in early) return done(req.channel, { kind: 'gated', replies: early.stop, sender: null });

    const verdict = await deps.limiter.check(req.channel, req.senderId);
    if (verdict !== 'ok') return done(req.channel, { kind: 'limited', replies: verdict === 'limited-first' ? [{ text: SLOW_DOWN }] : [] });

    const sender = await deps.identity.resolve(req.channel, req.senderId);
    const gated = await gates.afterSender?.(sender);
    if (gated && 'stop' in gated) return done(req.channel, { kind: 'gated', replies: gated.stop, sender });
    if (gated && 'actor' in gated) sender.actor = gated.actor;

    const turn = dialogTurn(req, sender);
    if (!Number.isFinite(deadlineMs)) return done(req.channel, { kind: 'answered', result: await turn, sender });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (deadlineMs <= 0 ? resolve('late') : (timer = setTimeout(() => resolve('late'), deadlineMs))));
    const first = await Promise.race([turn, late]);
    clearTimeout(timer);
    if (first === 'late') return done(req.channel, { kind: 'late', result: turn, sender });
    return done(req.channel, { kind: 'answered', result: first, sender });
  }
}
