import type { Server } from 'restify';
import type { WebClientOptions } from '@slack/web-api';
import { createAdminCommands } from '../dialogs/admin/commands';
import type { DialogEngine } from '../dialogs/engine';
import { mountSlack, type SlackChannel } from '../adapters/slack/slack-app';
import { mountFileLinks } from '../adapters/shared/file-links';
import { createConversationReferences } from '../adapters/teams/conversation-references';
import { mountTeams, type TeamsChannel } from '../adapters/teams/teams-bot';
import { createSenderRateLimiter } from '../adapters/shared/rate-limit';
import { createTwilioSmsSender, type MessagesApi, type SmsSender } from '../adapters/sms/sms-sender';
import { mountSmsWebhook } from '../adapters/sms/sms-webhook';
import { createTwilioClient } from '../adapters/sms/twilio-client';
import type { AppContext } from './app';
import { createDialogs } from './dialog-context';
import type { Logger } from './logging';

/** What the channels give the rest of the service: the engine, and ways to reach people later. */
export interface Channels {
  engine: DialogEngine;
  /** Texts a registered patient who has not opted out (reminders, notifications). Null without Twilio. */
  sms: SmsSender | null;
  slack: SlackChannel | null;
  teams: TeamsChannel | null;
  enabled: string[];
}

export interface ChannelOptions {
  /** A Twilio client to use instead of building one (tests give one with keep-alive off). */
  twilioClient?: MessagesApi;
  slackClientOptions?: WebClientOptions;
  teamsReplyBudgetMs?: number;
  smsReplyBudgetMs?: number;
}

/** Mounts every configured channel on the one restify server, and says which are on. */
export async function mountChannels(server: Server, ctx: AppContext, logger: Logger, opts: ChannelOptions = {}): Promise<Channels> {
  const { config, services } = ctx;
  const engine = createDialogs(ctx, logger);
  const limiter = createSenderRateLimiter(ctx.redis, config.redisPrefix, config.rateLimitPerMinute);
  const enabled: string[] = [];
  let sms: SmsSender | null = null;

  if (config.twilio) {
    const client = opts.twilioClient ?? createTwilioClient(config.twilio);
    const senderFor = (allowUnregistered: boolean) =>
      createTwilioSmsSender({
        client,
        from: config.twilio!.from,
        messagingServiceSid: config.twilio!.messagingServiceSid,
        status: (phone) => services.patients.smsStatus(phone),
        markOptedOut: (phone) => services.patients.setSmsOptOut(phone, true, 'carrier'),
        logger,
        allowUnregistered,
      });
    sms = senderFor(false);
    mountSmsWebhook(server, {
      engine,
      patients: services.patients,
      redis: ctx.redis,
      redisPrefix: config.redisPrefix,
      limiter,
      sender: senderFor(true),
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
  let slack: SlackChannel | null = null;
  if (config.slack) {
    slack = await mountSlack(server, {
      signingSecret: config.slack.signingSecret,
      botToken: config.slack.botToken,
      engine,
      identity: services.identity,
      adminCommands: createAdminCommands(services),
      redis: ctx.redis,
      redisPrefix: config.redisPrefix,
      limiter,
      logger,
      clientOptions: opts.slackClientOptions ?? (config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : undefined),
    });
    enabled.push('slack');
  } else {
    logger.warn('Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to switch it on');
  }
  const files = mountFileLinks(server, ctx.redis, config.redisPrefix, config.publicBaseUrl);
  let teams: TeamsChannel | null = null;
  if (config.teams || config.teamsEmulatorOpen) {
    teams = mountTeams(server, {
      credentials: config.teams,
      emulatorOpen: config.teamsEmulatorOpen,
      engine,
      identity: services.identity,
      references: createConversationReferences(ctx.db),
      limiter,
      files,
      logger,
      replyBudgetMs: opts.teamsReplyBudgetMs,
    });
    enabled.push(config.teams ? 'teams' : 'teams (open, for the Emulator)');
  } else {
    logger.warn('Teams is off: set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and TEAMS_ALLOWED_TENANTS to switch it on');
  }
  return { engine, sms, slack, teams, enabled };
}
