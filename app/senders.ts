import type { WebClientOptions } from '@slack/web-api';
import { createFileLinks, type FileLinks } from '../adapters/shared/file-links';
import { createSlackSender, type SlackSender } from '../adapters/slack/slack-sender';
import { createTwilioSmsSender, type MessagesApi, type SmsSender } from '../adapters/sms/sms-sender';
import { createTwilioClient } from '../adapters/sms/twilio-client';
import { createConversationReferences } from '../src/repositories/conversation-references';
import { createTeamsConnection, type TeamsConnection } from '../adapters/teams/teams-connection';
import { createTeamsSender, type TeamsSender } from '../adapters/teams/teams-sender';
import type { Logger } from '../src/logging';
import type { AppContext } from './context';

/**
 * Everything that sends: the service's replies that outlast a webhook, reminders, notifications,
 * digests. Built without any receiver, so the worker (which takes no requests) builds only these.
 */
export interface Senders {
  /** Texts a registered patient who has not opted out. Null without Twilio. */
  sms: SmsSender | null;
  /** Texts anyone who wrote first (a reply to a stranger registering). Null without Twilio. */
  smsReply: SmsSender | null;
  slack: SlackSender | null;
  teams: TeamsSender | null;
  teamsConnection: TeamsConnection | null;
  files: FileLinks;
}

export interface SenderOptions {
  /** A Twilio client to use instead of building one (tests give one with keep-alive off). */
  twilioClient?: MessagesApi;
  slackClientOptions?: WebClientOptions;
}

export function createSenders(ctx: AppContext, logger: Logger, opts: SenderOptions = {}): Senders {
  const { config, services } = ctx;
  let sms: SmsSender | null = null;
  let smsReply: SmsSender | null = null;
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
    smsReply = senderFor(true);
  }
  const slack = config.slack
    ? createSlackSender({ botToken: config.slack.botToken, clientOptions: opts.slackClientOptions ?? (config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : undefined) })
    : null;
  const files = createFileLinks(ctx.redis, config.redisPrefix, config.publicBaseUrl);
  const teamsConnection = config.teams || config.teamsEmulatorOpen ? createTeamsConnection(config.teams) : null;
  const teams = teamsConnection ? createTeamsSender({ connection: teamsConnection, references: createConversationReferences(ctx.db), files }) : null;
  return { sms, smsReply, slack, teams, teamsConnection, files };
}
