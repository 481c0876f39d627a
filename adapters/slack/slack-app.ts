import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type Redis from 'ioredis';
import type { Server } from 'restify';
import type { AdminCommands } from '../../dialogs/admin/commands';
import { decodeButton } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import { scrubText, type Logger } from '../../src/logging';
import type { IdentityService } from '../../src/services/identity';
import { firstDelivery } from '../shared/dedupe';
import { sourceOf } from '../shared/source';
import type { InboundPipeline } from '../shared/inbound';
import type { SlackSender } from './slack-sender';

export interface SlackDeps {
  signingSecret: string;
  botToken: string;
  /** The shared road: dedupe, rate limit, the sender resolved once, the dialog. */
  pipeline: InboundPipeline;
  identity: IdentityService;
  adminCommands: AdminCommands;
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  /** Posts the replies (and is what the rest of the service sends through). */
  sender: SlackSender;
  /** Web API options for Bolt's own client (a stand-in's URL in load tests), as the sender has them. */
  clientOptions?: WebClientOptions;
}

const UNKNOWN_USER =
  "Hello! I don't know your account yet. Please ask a clinic admin for a link code, then send it to me here as 'link XXXX-XXXX-XXXX-XXXX'.";
const DIRECT_ONLY = 'To keep patient details private I only answer in a direct message. Please message me directly (open a DM with me).';
const ANSWERED_IN_DM = "I've answered in our direct messages, where patient details stay private.";
const LINK = /^link\s+([A-Za-z0-9][A-Za-z0-9 -]{10,30})$/i;

/** Slack's direct-message channels (with the bot) are the ones whose ids start with D. */
const isDirect = (channelId: string | undefined) => typeof channelId === 'string' && channelId.startsWith('D');

/** Bolt's logger, onto pino, at warn and above: Bolt's debug output can carry message text. */
function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ channel: 'slack', component: 'bolt' });
  return {
    debug: () => undefined,
    info: () => undefined,
    // Bolt's own lines quote what it failed on ("Malformed request body: <JSON.parse's snippet>").
    warn: (...msg: unknown[]) => log.warn(scrubText(msg.map(String).join(' '))),
    error: (...msg: unknown[]) => log.error(scrubText(msg.map(String).join(' '))),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

/**
 * Slack through Bolt, behind the shared restify server. The route gets no body parser: Bolt reads
 * the raw body to check the v0 signature (and its five-minute window) itself. Events are
 * acknowledged before the slow work runs; a retried event (same event_id) is done only once.
 */
export async function mountSlack(server: Server, deps: SlackDeps): Promise<void> {
  const log = deps.logger.child({ channel: 'slack' });
  const { client, post, openDm } = deps.sender;
  // The bot's own ids, learned once from auth.test. Bolt would otherwise call auth.test on every
  // event, and while Slack's API is unreachable that would stop every event from being handled.
  let botId: string | undefined;
  let botUserId: string | undefined;
  const learnIds = async (): Promise<boolean> => {
    try {
      const auth = await client.auth.test();
      botId = auth.bot_id as string | undefined;
      botUserId = auth.user_id as string | undefined;
      return true;
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'Slack auth.test failed: check SLACK_BOT_TOKEN; retrying in the background');
      return false;
    }
  };
  if (!(await learnIds())) {
    const retry = setInterval(() => void learnIds().then((ok) => ok && clearInterval(retry)), 60_000);
    retry.unref();
  }

  const receiver = new HTTPReceiver({
    signingSecret: deps.signingSecret,
    endpoints: '/slack/events',
    processBeforeResponse: false,
    logger: boltLogger(deps.logger),
    unhandledRequestTimeoutMillis: 2500,
  });
  const app = new App({
    receiver,
    authorize: async () => ({ botToken: deps.botToken, botId, botUserId }),
    // Conversation state lives in the dialog engine's Redis store, shared by every instance; Bolt's
    // default in-memory store would be a second, per-process one, read on every event for nothing.
    convoStore: false,
    logger: boltLogger(deps.logger),
    clientOptions: { ...deps.clientOptions, retryConfig: { retries: 2 } },
  });
  // Bolt is initialised by the constructor with this receiver; app.start() would open its own port.
  // restify wants an async handler: it settles when Bolt has answered (Bolt writes the response).
  server.post('/slack/events', async (req, res) => {
    await new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      receiver.requestListener(req, res);
    });
    // Bolt refuses a bad or stale signature itself (401); the refusal is logged with its source.
    if (res.statusCode === 401) log.warn({ ...sourceOf(req), reason: 'signature' }, 'slack request refused');
  });

  async function actorOf(userId: string, text = ''): Promise<Actor | null> {
    return (await deps.identity.actorFor('slack', userId)) ?? linkOf(userId, text);
  }

  /** A Slack user not linked yet: by a link code, or by a confirmed email that is a doctor's. */
  async function linkOf(userId: string, text = ''): Promise<Actor | null> {
    const code = LINK.exec(text.trim());
    if (code) return deps.identity.redeemLinkCode('slack', userId, code[1]);
    // An unknown user whose Slack profile has a confirmed email matching a doctor is linked (never
    // an admin: that takes an admin's link code).
    try {
      const info = await client.users.info({ user: userId });
      const user = info.user as { is_email_confirmed?: boolean; profile?: { email?: string } } | undefined;
      if (user?.is_email_confirmed && user.profile?.email) return deps.identity.linkByVerifiedEmail('slack', userId, user.profile.email);
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'users.info failed');
    }
    return null;
  }

  /** One message from one user in their DM with the bot, down the shared road. */
  async function converse(userId: string, channel: string, message: { text?: string; value?: string; buttonSeq?: number }, deliveryId?: string) {
    const outcome = await deps.pipeline.receive(
      { channel: 'slack', senderId: userId, deliveryId, conversation: 'direct', ...message },
      {
        // Someone the service does not know yet: a link code, or a confirmed email that is a doctor's.
        async afterSender(sender) {
          if (sender.actor) return null;
          const actor = await linkOf(userId, message.text);
          if (!actor) return { stop: [{ text: UNKNOWN_USER }] };
          if (message.text && LINK.test(message.text.trim())) {
            return { stop: [{ text: `Linked: you are ${actor.name ?? 'signed in'} (${actor.role}) from now on. Say MENU to start.` }] };
          }
          return { actor };
        },
      },
    );
    if (outcome.kind === 'duplicate') return log.info('retried event ignored');
    if (outcome.kind === 'answered') return post(channel, outcome.result);
    if (outcome.kind === 'late') return post(channel, await outcome.result);
    if (outcome.replies.length) await post(channel, { replies: outcome.replies, seq: 0 });
  }

  /** Only this person sees it, in the channel where they asked. */
  async function whisper(channel: string, user: string, text: string, thread?: string) {
    await client.chat.postEphemeral({ channel, user, text, ...(thread ? { thread_ts: thread } : {}) });
  }

  const once = async (eventId: string | undefined) => !eventId || firstDelivery(deps.redis, deps.redisPrefix, 'slack', eventId);

  // Direct messages.
  app.message(async ({ message, body }) => {
    const m = message as { channel_type?: string; subtype?: string; bot_id?: string; user?: string; text?: string; channel: string };
    if (m.channel_type !== 'im' || m.subtype || m.bot_id || !m.user) return;
    await converse(m.user, m.channel, { text: m.text ?? '' }, (body as { event_id?: string }).event_id);
  });

  // A mention in a channel: never a conversation there (everyone in it would read the replies),
  // only a word that the person alone sees, pointing to a direct message.
  app.event('app_mention', async ({ event, body }) => {
    if (!(await once((body as { event_id?: string }).event_id))) return log.info('retried event ignored');
    if (event.user) await whisper(event.channel, event.user, DIRECT_ONLY, event.thread_ts);
  });

  // Buttons: the value carries the turn it was shown in, so a stale or replayed press is refused.
  app.action(/^cc_choice_\d+$/, async ({ ack, body, action }) => {
    await ack();
    const value = (action as { value?: string }).value ?? '';
    const decoded = decodeButton(value);
    const b = body as { user: { id: string }; channel?: { id: string }; container?: { thread_ts?: string } };
    if (!decoded || !b.channel) return;
    // Buttons are only ever posted in DMs; one pressed anywhere else (an old thread) gets a pointer.
    if (!isDirect(b.channel.id)) return whisper(b.channel.id, b.user.id, DIRECT_ONLY, b.container?.thread_ts);
    await converse(b.user.id, b.channel.id, { value: decoded.value, buttonSeq: decoded.buttonSeq });
  });

  // /clinic: acknowledged at once; the answer (it may name patients) goes to the admin's DM with
  // the bot, files too. Typed anywhere else, the channel only gets an ephemeral pointer.
  app.command('/clinic', async ({ ack, command, respond }) => {
    await ack();
    const actor = await actorOf(command.user_id);
    if (!actor) {
      await respond({ response_type: 'ephemeral', text: UNKNOWN_USER });
      return;
    }
    const replies = await deps.adminCommands({ ...actor, channel: 'slack' }, command.text ?? '');
    const dm = await openDm(command.user_id);
    await post(dm, { replies, seq: 0 });
    if (command.channel_id !== dm) await respond({ response_type: 'ephemeral', text: ANSWERED_IN_DM });
  });

  app.error(async (err) => {
    log.error({ err: { name: err.name, message: err.message, code: (err as { code?: string }).code } }, 'slack listener failed');
  });
}
