import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Reply, TurnResult } from '../../dialogs/types';
import { slackBlocks } from './render';

/**
 * Posting to Slack: replies to a channel, and to a staff member's DM (notifications, digests). Built
 * on its own so that a process that only sends (the worker) needs no receiver; the receiver posts
 * its replies through the same sender.
 */
export interface SlackSender {
  client: WebClient;
  /** Posts replies, buttons and files to one channel (a DM: patient details never go elsewhere). */
  post(channel: string, result: Pick<TurnResult, 'replies' | 'seq'>): Promise<void>;
  /** The DM channel between the bot and a Slack user. */
  openDm(slackUserId: string): Promise<string>;
  /** Posts replies to a user's DM. */
  sendToUser(slackUserId: string, replies: Reply[], seq?: number): Promise<void>;
}

export function createSlackSender(opts: { botToken: string; clientOptions?: WebClientOptions }): SlackSender {
  const client = new WebClient(opts.botToken, { ...opts.clientOptions, retryConfig: { retries: 2 } });
  const sender: SlackSender = {
    client,
    async post(channel, result) {
      for (const reply of result.replies) {
        await client.chat.postMessage({ channel, text: reply.text, blocks: slackBlocks(reply, result.seq) });
        for (const file of reply.files ?? []) await client.files.uploadV2({ channel_id: channel, file: file.data, filename: file.name });
      }
    },
    async openDm(slackUserId) {
      const opened = await client.conversations.open({ users: slackUserId });
      const channel = (opened.channel as { id?: string } | undefined)?.id;
      if (!channel) throw new Error('could not open a DM');
      return channel;
    },
    async sendToUser(slackUserId, replies, seq = 0) {
      await sender.post(await sender.openDm(slackUserId), { replies, seq });
    },
  };
  return sender;
}
