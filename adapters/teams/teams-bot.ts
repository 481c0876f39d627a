import { ActivityTypes, TeamsInfo, TurnContext, type Activity } from 'botbuilder';
import type { AuthenticateRequestResult } from 'botframework-connector';
import restify, { type Request, type Response, type Server } from 'restify';
import { decodeButton } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import { scrubText, type Logger } from '../../src/logging';
import type { IdentityService } from '../../src/services/identity';
import type { InboundPipeline } from '../shared/inbound';
import { sourceOf } from '../shared/source';
import type { ConversationReferences } from '../../src/repositories/conversation-references';
import type { TeamsConnection } from './teams-connection';
import type { TeamsSender } from './teams-sender';

export interface TeamsDeps {
  /** Authentication and adapter; without app credentials the endpoint exists only in the Emulator's open mode. */
  connection: TeamsConnection;
  sender: TeamsSender;
  /** The Bot Framework Emulator's unauthenticated mode (config allows it only outside production). */
  emulatorOpen?: boolean;
  /** The shared road: rate limit, the sender resolved once, the dialog, the deadline. */
  pipeline: InboundPipeline;
  identity: IdentityService;
  references: ConversationReferences;
  logger: Logger;
  /** Teams wants an answer within 15 seconds; past this budget the reply is sent proactively. */
  replyBudgetMs?: number;
}

const UNKNOWN_USER =
  "Hello! I don't know your account yet. Please ask a clinic admin for a link code, then send it to me here as 'link XXXX-XXXX-XXXX-XXXX'.";
const PERSONAL_ONLY = 'To keep patient details private I only work in a personal chat. Please message me directly.';
const OPEN_MODE =
  'This bot is running in open mode for the Bot Framework Emulator: messages are not authenticated, so it acts for no one. Use npm run chat to try the staff conversations.';
const LINK = /^link\s+([A-Za-z0-9][A-Za-z0-9 -]{10,30})$/i;

function isLoopbackUrl(url: unknown): boolean {
  try {
    const host = new URL(String(url)).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Teams (and any Bot Framework channel) through botbuilder's CloudAdapter on POST /api/messages.
 * With app credentials every request's JWT is checked (issuer, audience = app id, service URL,
 * signing keys from the Bot Framework's OpenID metadata); without them it runs open, for local
 * use with the Bot Framework Emulator, and says so at start-up.
 */
export function mountTeams(server: Server, deps: TeamsDeps): void {
  const log = deps.logger.child({ channel: 'teams' });
  const { auth, adapter, credentials: creds } = deps.connection;
  const { send } = deps.sender;
  const budget = deps.replyBudgetMs ?? 10_000;
  if (!creds && !deps.emulatorOpen) throw new Error('Teams needs app credentials, or the Emulator open mode switched on');
  const allowedTenants = new Set(creds?.allowedTenants ?? []);
  if (!creds) {
    log.warn('Teams runs OPEN for the Bot Framework Emulator (TEAMS_EMULATOR_OPEN): requests are not authenticated, accepted only from loopback service URLs, and act for no one.');
  } else if (allowedTenants.size === 0) {
    log.warn('Teams accepts any tenant: set TEAMS_ALLOWED_TENANTS (production refuses to start without it)');
  }

  adapter.onTurnError = async (context, error) => {
    log.error({ err: { name: error.name, message: error.message } }, 'teams turn failed');
    await context.sendActivity('Sorry, something went wrong on our side. Please try again.').catch(() => undefined);
  };

  /** A Teams user not linked yet: by a link code, or by the directory's email when it is a doctor's. */
  async function linkOf(context: TurnContext, userKey: string, text: string): Promise<Actor | null> {
    const code = LINK.exec(text.trim());
    if (code) return deps.identity.redeemLinkCode('teams', userKey, code[1]);
    // A Teams member's email comes from the organisation's directory: it may link a doctor, never an
    // admin (an email is not proof enough for that role; an admin's link code is).
    try {
      const member = await TeamsInfo.getMember(context, context.activity.from.id);
      const email = member.email ?? member.userPrincipalName;
      if (email) return deps.identity.linkByVerifiedEmail('teams', userKey, email);
    } catch (err) {
      log.info({ err: { message: (err as Error).message } }, 'member lookup failed (not a Teams conversation?)');
    }
    return null;
  }

  async function turn(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.Message) return;
    const userKey = activity.from.aadObjectId ?? activity.from.id;
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    const submitted = typeof activity.value === 'object' && activity.value && typeof (activity.value as { cc?: unknown }).cc === 'string' ? decodeButton((activity.value as { cc: string }).cc) : null;
    const reference = TurnContext.getConversationReference(activity);
    const outcome = await deps.pipeline.receive(
      { channel: 'teams', senderId: userKey, conversation: 'direct', ...(submitted ? { value: submitted.value, buttonSeq: submitted.buttonSeq } : { text }) },
      {
        async afterSender(sender) {
          // Unauthenticated (the Emulator): the caller could claim to be anyone, so it is no one.
          if (!creds) return { stop: [{ text: OPEN_MODE }] };
          // Patient data only in a one-to-one chat: a group chat or a channel gets a pointer, nothing else.
          if (activity.conversation?.conversationType !== 'personal') return { stop: [{ text: PERSONAL_ONLY }] };
          const actor = sender.actor ?? (await linkOf(context, userKey, text));
          if (!actor) return { stop: [{ text: UNKNOWN_USER }] };
          await deps.references.save(actor.userId, reference);
          if (!sender.actor && LINK.test(text.trim()) && !submitted) {
            return { stop: [{ text: `Linked: you are ${actor.name ?? 'signed in'} (${actor.role}) from now on. Say MENU to start.` }] };
          }
          return { actor };
        },
      },
      budget,
    );
    if (outcome.kind === 'duplicate') return;
    if (outcome.kind === 'answered') return send(context, outcome.result);
    if (outcome.kind === 'late') {
      // Past Teams' time limit: say so now, and send the answer in the same conversation when ready.
      await context.sendActivity('Working on it, one moment...');
      void outcome.result
        .then((r) => deps.sender.continueIn(reference, r))
        .catch((err) => log.error({ err: { message: (err as Error).message } }, 'late teams reply failed'));
      return;
    }
    if (outcome.replies.length) await send(context, { replies: outcome.replies, seq: 0 });
  }

  server.post('/api/messages', restify.plugins.jsonBodyParser({ mapParams: false, maxBodySize: 256 * 1024 } as restify.plugins.JsonBodyParserOptions), async (req: Request, res: Response) => {
    const body = req.body as Partial<Activity> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.type !== 'string') {
      res.send(400, { code: 'BadRequest', message: 'Expected a Bot Framework activity.' });
      return;
    }
    // Authenticated here, not inside CloudAdapter.process: there a forged signature surfaces as a
    // JsonWebTokenError and becomes a 500. Any failure to authenticate is a 401.
    if (!creds && !isLoopbackUrl(body.serviceUrl)) {
      // Open mode answers only an Emulator on this machine: the reply goes to the serviceUrl given.
      log.warn({ ...sourceOf(req), reason: 'open mode accepts loopback service URLs only' }, 'teams request refused');
      res.send(403, { code: 'Forbidden', message: 'Open mode answers only a Bot Framework Emulator on this machine.' });
      return;
    }
    let authenticated: AuthenticateRequestResult;
    try {
      authenticated = await auth.authenticateRequest(body as Activity, req.header('authorization') ?? '');
    } catch (err) {
      log.warn({ ...sourceOf(req), reason: scrubText((err as Error).message ?? '', 120) }, 'teams request refused');
      res.send(401, { code: 'Unauthorized', message: 'The request is not authenticated.' });
      return;
    }
    if (creds && allowedTenants.size > 0) {
      const tenant = body.conversation?.tenantId ?? (body.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
      if (!tenant || !allowedTenants.has(String(tenant))) {
        log.warn({ ...sourceOf(req), reason: 'tenant not allowed' }, 'teams request refused');
        res.send(403, { code: 'Forbidden', message: 'This organisation may not use this bot.' });
        return;
      }
    }
    try {
      const invoke = await adapter.processAuthenticated(authenticated, body as Activity, turn);
      res.send(invoke?.status ?? 200, invoke?.body ?? undefined);
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'teams activity failed');
      res.send(400, { code: 'BadRequest', message: 'The activity could not be processed.' });
    }
  });
}
