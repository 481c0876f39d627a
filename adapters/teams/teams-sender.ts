import type { ConversationReference, TurnContext } from 'botbuilder';
import type { Reply, TurnResult } from '../../dialogs/types';
import type { FileLinks } from '../shared/file-links';
import type { ConversationReferences } from '../../src/repositories/conversation-references';
import { teamsActivities } from './render';
import type { TeamsConnection } from './teams-connection';

/** Sending on Teams: replies in a turn, and proactive messages to staff in their personal chat. */
export interface TeamsSender {
  /** Sends replies in the conversation of a turn (or of a proactive one). */
  send(context: TurnContext, result: Pick<TurnResult, 'replies' | 'seq'>): Promise<void>;
  /** Continues a conversation (a reply that outlasted Teams' time limit). */
  continueIn(reference: Partial<ConversationReference>, result: Pick<TurnResult, 'replies' | 'seq'>): Promise<void>;
  /** A proactive message to a staff user, in the conversation of their last message; false when there is none. */
  sendToUser(userId: string, replies: Reply[]): Promise<boolean>;
  /** Unauthenticated (the Emulator's open mode): nothing is sent proactively. */
  open: boolean;
}

export function createTeamsSender(deps: { connection: TeamsConnection; references: ConversationReferences; files: FileLinks | null }): TeamsSender {
  const { adapter, appId } = deps.connection;
  const sender: TeamsSender = {
    open: !deps.connection.credentials,
    async send(context, result) {
      for (const reply of result.replies) {
        for (const activity of await teamsActivities(reply, result.seq, deps.files)) await context.sendActivity(activity);
      }
    },
    async continueIn(reference, result) {
      await adapter.continueConversationAsync(appId, reference as ConversationReference, (ctx) => sender.send(ctx, result));
    },
    async sendToUser(userId, replies) {
      const reference = (await deps.references.get(userId)) as ConversationReference | null;
      if (!reference) return false;
      await sender.continueIn(reference, { replies, seq: 0 });
      return true;
    },
  };
  return sender;
}
