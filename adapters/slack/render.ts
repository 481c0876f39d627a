import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;
import { encodeButton, type Reply } from '../../dialogs/types';

/** Slack's mrkdwn treats &, < and > as markup: plain text must be escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A reply as Block Kit: its text, a card as fields, and its choices as buttons whose values carry
 * the conversation turn (a button pressed later than that is recognised as stale).
 */
export function slackBlocks(reply: Reply, seq: number): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(reply.text).slice(0, 3000) } }];
  if (reply.card) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeMrkdwn(reply.card.title)}*\n${reply.card.lines.map(escapeMrkdwn).join('\n')}`.slice(0, 3000) },
    });
  }
  const choices = reply.choices ?? [];
  // Slack allows 25 elements an actions block; the dialogs never offer more than a handful.
  for (let i = 0; i < choices.length; i += 25) {
    blocks.push({
      type: 'actions',
      elements: choices.slice(i, i + 25).map((c, j) => ({
        type: 'button' as const,
        action_id: `cc_choice_${i + j}`,
        text: { type: 'plain_text' as const, text: c.label.slice(0, 75) },
        value: encodeButton(seq, c.value),
      })),
    });
  }
  return blocks;
}
