import type { Db } from '../db/models';
import type { StaffMessenger } from './notifications';

interface PushChannel {
  sendToUser(id: string, replies: Array<{ text: string }>): Promise<unknown>;
}

/**
 * Reaches a doctor or admin: on Teams when we hold their conversation (they have written to the bot
 * there), otherwise on Slack when their Slack user is linked. False when neither.
 */
export function createStaffMessenger(deps: { db: Db; teams: (PushChannel & { sendToUser(id: string, r: Array<{ text: string }>): Promise<boolean> }) | null; slack: PushChannel | null }): StaffMessenger {
  return {
    async send(userId, text) {
      if (deps.teams && (await deps.teams.sendToUser(userId, [{ text }]))) return true;
      if (deps.slack) {
        const link = await deps.db.models.ChannelIdentity.findOne({ where: { userId, channel: 'slack' } });
        if (link) {
          await deps.slack.sendToUser(link.externalId, [{ text }]);
          return true;
        }
      }
      return false;
    },
  };
}
