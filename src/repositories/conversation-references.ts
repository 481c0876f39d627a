import type { Db } from '../db/models';

/**
 * The Teams conversation of each staff user, kept from their last personal (one-to-one) message,
 * for proactive messages. Group chats and channels are never kept: notices name patients.
 */
export interface ConversationReferences {
  save(userId: string, reference: unknown): Promise<void>;
  get(userId: string): Promise<unknown | null>;
}

export function createConversationReferences(db: Db, channel: 'teams' | 'slack' = 'teams'): ConversationReferences {
  const { ConversationReference } = db.models;
  return {
    async save(userId, reference) {
      await ConversationReference.upsert({ userId, channel, reference, updatedAt: new Date() });
    },
    async get(userId) {
      const row = await ConversationReference.findOne({ where: { userId, channel } });
      return row?.reference ?? null;
    },
  };
}
