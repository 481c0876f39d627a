import type { Server } from 'restify';
import type { WebClientOptions } from '@slack/web-api';
import { createAdminCommands } from '../dialogs/admin/commands';
import type { DialogEngine } from '../dialogs/engine';
import { mountFileLinks } from '../adapters/shared/file-links';
import { mountCalendarFeed } from '../adapters/calendar/ics-feed';
import { mountFhirApi } from '../adapters/fhir/fhir-api';
import { createInboundPipeline, type InboundDeps } from '../adapters/shared/inbound';
import { createSenderRateLimiter } from '../adapters/shared/rate-limit';
import { mountSlack } from '../adapters/slack/slack-app';
import { mountSmsWebhook } from '../adapters/sms/sms-webhook';
import { createConversationReferences } from '../src/repositories/conversation-references';
import { mountTeams } from '../adapters/teams/teams-bot';
import type { Logger } from '../src/logging';
import type { AppContext } from './context';
import { createDialogs } from './dialogs';
import type { Senders } from './senders';

/** What receiving gives the rest of the service: the engine, and the channels that are on. */
export interface Receivers {
  engine: DialogEngine;
  enabled: string[];
}

export interface ReceiverOptions {
  /** Counts each inbound outcome by channel (the metrics). */
  observe?: InboundDeps['observe'];
  slackClientOptions?: WebClientOptions;
  teamsReplyBudgetMs?: number;
  smsReplyBudgetMs?: number;
}

/** Mounts every configured channel's inbound route on the one restify server, and says which are on. */
export async function mountReceivers(server: Server, ctx: AppContext, senders: Senders, logger: Logger, opts: ReceiverOptions = {}): Promise<Receivers> {
  const { config, services } = ctx;
  const engine = createDialogs(ctx, logger);
  const limiter = createSenderRateLimiter(ctx.redis, config.redisPrefix, config.rateLimitPerMinute);
  const pipeline = createInboundPipeline({
    redis: ctx.redis,
    redisPrefix: config.redisPrefix,
    limiter,
    identity: services.identity,
    engine,
    observe: opts.observe ?? ctx.metrics?.inbound,
    observeTurn: ctx.metrics?.turn,
  });
  const enabled: string[] = [];

  if (config.twilio && senders.smsReply) {
    mountSmsWebhook(server, {
      pipeline,
      patients: services.patients,
      sender: senders.smsReply,
      authToken: config.twilio.authToken,
      publicBaseUrl: config.publicBaseUrl,
      clinicName: config.clinicName,
      clinicPhone: config.clinicPhone,
      keywordReplies: config.smsKeywordReplies,
      logger,
      replyBudgetMs: opts.smsReplyBudgetMs,
      markTold: (ids) => services.appointments.markPatientTold(ids),
    });
    enabled.push('sms');
  } else {
    logger.warn('SMS is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER to switch it on');
  }
  if (config.slack && senders.slack) {
    await mountSlack(server, {
      signingSecret: config.slack.signingSecret,
      botToken: config.slack.botToken,
      pipeline,
      identity: services.identity,
      adminCommands: createAdminCommands(services),
      redis: ctx.redis,
      redisPrefix: config.redisPrefix,
      logger,
      sender: senders.slack,
      clientOptions: opts.slackClientOptions ?? (config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : undefined),
    });
    enabled.push('slack');
  } else {
    logger.warn('Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to switch it on');
  }
  mountFileLinks(server, ctx.redis, config.redisPrefix);
  mountCalendarFeed(server, { feeds: services.calendarFeeds, clinicName: config.clinicName, logger });
  mountFhirApi(server, { services, publicBaseUrl: config.publicBaseUrl, logger, zone: config.clinicTimezone });
  if (senders.teamsConnection && senders.teams) {
    mountTeams(server, {
      connection: senders.teamsConnection,
      sender: senders.teams,
      emulatorOpen: config.teamsEmulatorOpen,
      pipeline,
      identity: services.identity,
      references: createConversationReferences(ctx.db),
      logger,
      replyBudgetMs: opts.teamsReplyBudgetMs,
    });
    enabled.push(config.teams ? 'teams' : 'teams (open, for the Emulator)');
  } else {
    logger.warn('Teams is off: set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and TEAMS_ALLOWED_TENANTS to switch it on');
  }
  return { engine, enabled };
}
