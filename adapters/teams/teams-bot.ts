import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  TeamsInfo,
  TurnContext,
  type Activity,
  type ConversationReference,
} from 'botbuilder';
import type { AuthenticateRequestResult } from 'botframework-connector';
import restify, { type Request, type Response, type Server } from 'restify';
import type { DialogEngine } from '../../dialogs/engine';
import { decodeButton, type Reply, type TurnResult } from '../../dialogs/types';
import type { Actor } from '../../src/domain/actor';
import { scrubText, type Logger } from '../../src/logging';
import type { IdentityService } from '../../src/services/identity';
import type { FileLinks } from '../shared/file-links';
import { SLOW_DOWN, type SenderRateLimiter } from '../shared/rate-limit';
import type { ConversationReferences } from './conversation-references';
import { teamsActivities } from './render';

/** CloudAdapter, with its already-authenticated entry point opened up. */
class AuthenticatedCloudAdapter extends CloudAdapter {
  processAuthenticated(result: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(result, activity, logic);
  }
}

export interface TeamsDeps {
  /** Null: no app credentials, so the endpoint runs open for the Bot Framework Emulator. */
  credentials: { appId: string; appPassword: string; tenantId: string | null; appType: string } | null;
  engine: DialogEngine;
  identity: IdentityService;
  references: ConversationReferences;
  limiter: SenderRateLimiter;
  files: FileLinks | null;
  logger: Logger;
  /** Teams wants an answer within 15 seconds; past this budget the reply is sent proactively. */
  replyBudgetMs?: number;
}

export interface TeamsChannel {
  /** A proactive message to a staff user, in the conversation of their last message. */
  sendToUser(userId: string, replies: Reply[]): Promise<boolean>;
  open: boolean;
}

const UNKNOWN_USER = "Hello! I don't know your account yet. Please ask a clinic admin to link your Teams account, then message me again.";

/**
 * Teams (and any Bot Framework channel) through botbuilder's CloudAdapter on POST /api/messages.
 * With app credentials every request's JWT is checked (issuer, audience = app id, service URL,
 * signing keys from the Bot Framework's OpenID metadata); without them it runs open, for local
 * use with the Bot Framework Emulator, and says so at start-up.
 */
export function mountTeams(server: Server, deps: TeamsDeps): TeamsChannel {
  const log = deps.logger.child({ channel: 'teams' });
  const creds = deps.credentials;
  const factory = new ConfigurationServiceClientCredentialFactory(
    creds ? { MicrosoftAppId: creds.appId, MicrosoftAppPassword: creds.appPassword, MicrosoftAppType: creds.appType, MicrosoftAppTenantId: creds.tenantId ?? undefined } : {},
  );
  const auth = new ConfigurationBotFrameworkAuthentication(creds ? { MicrosoftAppId: creds.appId, MicrosoftAppTenantId: creds.tenantId ?? undefined } : {}, factory);
  const adapter = new AuthenticatedCloudAdapter(auth);
  const appId = creds?.appId ?? '';
  const budget = deps.replyBudgetMs ?? 10_000;
  if (!creds) {
    log.warn('Teams runs OPEN: no MICROSOFT_APP_ID/MICROSOFT_APP_PASSWORD, so requests are not authenticated. Use this only locally with the Bot Framework Emulator.');
  }

  adapter.onTurnError = async (context, error) => {
    log.error({ err: { name: error.name, message: error.message } }, 'teams turn failed');
    await context.sendActivity('Sorry, something went wrong on our side. Please try again.').catch(() => undefined);
  };

  async function actorOf(context: TurnContext, userKey: string): Promise<Actor | null> {
    const known = await deps.identity.actorFor('teams', userKey);
    if (known || !creds) return known;
    // (Open mode never links by email: the unauthenticated caller chooses the service URL asked.)
    // A Teams member's email comes from the organisation's directory: match it to a doctor or admin.
    try {
      const member = await TeamsInfo.getMember(context, context.activity.from.id);
      const email = member.email ?? member.userPrincipalName;
      if (email) return deps.identity.linkByVerifiedEmail('teams', userKey, email);
    } catch (err) {
      log.info({ err: { message: (err as Error).message } }, 'member lookup failed (not a Teams conversation?)');
    }
    return null;
  }

  async function send(context: TurnContext, result: Pick<TurnResult, 'replies' | 'seq'>): Promise<void> {
    for (const reply of result.replies) {
      for (const activity of await teamsActivities(reply, result.seq, deps.files)) await context.sendActivity(activity);
    }
  }

  async function turn(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.Message) return;
    const userKey = activity.from.aadObjectId ?? activity.from.id;
    const verdict = await deps.limiter.check('teams', userKey);
    if (verdict !== 'ok') {
      if (verdict === 'limited-first') await context.sendActivity(SLOW_DOWN);
      return;
    }
    const actor = await actorOf(context, userKey);
    if (!actor) {
      await context.sendActivity(UNKNOWN_USER);
      return;
    }
    const reference = TurnContext.getConversationReference(activity);
    await deps.references.save(actor.userId, reference);

    const submitted = typeof activity.value === 'object' && activity.value && typeof (activity.value as { cc?: unknown }).cc === 'string' ? decodeButton((activity.value as { cc: string }).cc) : null;
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    const handling = deps.engine.handle({ channel: 'teams', senderId: userKey, actor, ...(submitted ? { value: submitted.value, buttonSeq: submitted.buttonSeq } : { text }) });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), budget)));
    const result = await Promise.race([handling, late]);
    clearTimeout(timer);
    if (result !== 'late') return send(context, result);
    // Past Teams' time limit: say so now, and send the answer in the same conversation when ready.
    await context.sendActivity('Working on it, one moment...');
    void handling
      .then((r) => adapter.continueConversationAsync(appId, reference as ConversationReference, (ctx) => send(ctx, r)))
      .catch((err) => log.error({ err: { message: (err as Error).message } }, 'late teams reply failed'));
  }

  server.post('/api/messages', restify.plugins.jsonBodyParser({ mapParams: false, maxBodySize: 256 * 1024 } as restify.plugins.JsonBodyParserOptions), async (req: Request, res: Response) => {
    const body = req.body as Partial<Activity> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.type !== 'string') {
      res.send(400, { code: 'BadRequest', message: 'Expected a Bot Framework activity.' });
      return;
    }
    // Authenticated here, not inside CloudAdapter.process: there a forged signature surfaces as a
    // JsonWebTokenError and becomes a 500. Any failure to authenticate is a 401.
    let authenticated: AuthenticateRequestResult;
    try {
      authenticated = await auth.authenticateRequest(body as Activity, req.header('authorization') ?? '');
    } catch (err) {
      log.warn({ reason: scrubText((err as Error).message ?? '', 120) }, 'teams request refused');
      res.send(401, { code: 'Unauthorized', message: 'The request is not authenticated.' });
      return;
    }
    try {
      const invoke = await adapter.processAuthenticated(authenticated, body as Activity, turn);
      res.send(invoke?.status ?? 200, invoke?.body ?? undefined);
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'teams activity failed');
      res.send(400, { code: 'BadRequest', message: 'The activity could not be processed.' });
    }
  });

  return {
    open: !creds,
    async sendToUser(userId, replies) {
      const reference = (await deps.references.get(userId)) as ConversationReference | null;
      if (!reference) return false;
      await adapter.continueConversationAsync(appId, reference, (ctx) => send(ctx, { replies, seq: 0 }));
      return true;
    },
  };
}
