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

/** A conversation as stored in Redis between messages. */
export interface ConversationState {
  v: 1;
  /** 'flow.step', or null at the menu. */
  at: string | null;
  data: Record<string, unknown>;
  /** Earlier steps, for BACK. */
  back: Array<{ at: string | null; data: Record<string, unknown> }>;
  /** The patient confirmed their date of birth in this conversation. */
  verified: boolean;
  lastActivity: number;
}

export interface TurnResult {
  replies: Reply[];
  actor: Actor | null;
}
