import type { Actor } from '../src/domain/actor';
import type { Channel } from '../src/services/identity';

/** One message in from any channel, already verified by its adapter. */
export interface InboundMessage {
  channel: Channel;
  /** Who sent it: an E.164 phone for SMS (and console patients), the platform user id for Slack and
   *  Teams, an email for console doctors and admins. */
  senderId: string;
  /** What they typed. */
  text?: string;
  /** The value of a button they pressed: the same token they could have typed ('1', 'YES'). */
  value?: string;
  /** The turn the pressed button was shown in; a button from an earlier message is refused. */
  buttonSeq?: number;
  /**
   * The sender, when the inbound pipeline has already resolved them (null: nobody known). Left out,
   * the engine resolves them itself (the console chat).
   */
  actor?: Actor | null;
  /**
   * Whether only the sender sees the replies (an SMS, a Slack DM, a Teams personal chat) or others
   * may too (a channel, a group chat). Staff conversations name patients: they run only 'direct'.
   */
  conversation: 'direct' | 'shared';
}

/** A choice a channel can show as a button, or as a numbered line in plain text. */
export interface Choice {
  label: string;
  /** What the engine receives when it is chosen; always something the user could type. */
  value: string;
}

export interface Card {
  title: string;
  lines: string[];
}

/** A file to send along: a CSV report, a chart. Slack uploads it, Teams attaches it, the console saves it. */
export interface ReplyFile {
  name: string;
  contentType: string;
  data: Buffer;
}

export interface Reply {
  text: string;
  choices?: Choice[];
  card?: Card;
  files?: ReplyFile[];
}

/** Where a conversation is: a flow, its step, and the flow's own data (typed per flow in flow.ts). */
export interface FlowPosition {
  flow: string;
  step: string;
  data: unknown;
}

/** A conversation as stored in Redis between messages. */
export interface ConversationState {
  v: 2;
  /** The flow and step waiting for an answer, or null at the menu. */
  at: FlowPosition | null;
  /** Earlier positions, for BACK. */
  back: FlowPosition[];
  /** The patient confirmed their date of birth in this conversation. */
  verified: boolean;
  lastActivity: number;
  /** Turns answered so far; buttons carry it, so a stale or replayed button is recognised. */
  seq: number;
  /** Not reset by idleness before this instant: a reminder's C/R/X may come hours later. */
  keepUntil?: number;
  /** The language of this conversation, until the person is registered (then it is the patient's). */
  locale?: string;
}

export interface TurnResult {
  replies: Reply[];
  actor: Actor | null;
  /** The turn these replies belong to: channels put it in their buttons. */
  seq: number;
  /** Appointments whose booking these replies confirm: once delivered, the channel marks them told. */
  told?: string[];
  /** The language the replies are in (the SMS channel keeps its letters when it is not English). */
  locale?: string;
  /** What the message was read as (the classifier's intent; 'yes', 'choice', a flow's answer), for the metrics. */
  intent?: string | null;
}

/** How channels encode a button: the turn it belongs to and the value. */
export function encodeButton(seq: number, value: string): string {
  return `cc:${seq}:${value}`;
}

export function decodeButton(raw: string): { buttonSeq: number; value: string } | null {
  const m = /^cc:(\d{1,9}):(.{1,64})$/s.exec(raw);
  return m ? { buttonSeq: Number(m[1]), value: m[2] } : null;
}
