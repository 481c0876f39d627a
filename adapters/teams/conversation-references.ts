import type { Db } from '../../src/db/models';

/** The Teams conversation of each staff user, kept from their last message, for proactive messages. */
export interface ConversationReferences {
  save(userId: string, reference: unknown): Promise<void>;
  get(userId: string): Promise<unknown | null>;
}

export function createConversationReferences(db: Db, channel: 'teams' | 'slack' = 'teams'): ConversationReferences {
  return {
    async save(userId, reference) {
      await db.sequelize.query(
        `INSERT INTO conversation_references (user_id, channel, reference, updated_at) VALUES (:userId, :channel, :reference::jsonb, now())
         ON CONFLICT (user_id, channel) DO UPDATE SET reference = EXCLUDED.reference, updated_at = now()`,
        { replacements: { userId, channel, reference: JSON.stringify(reference) } },
      );
    },
    async get(userId) {
      const [rows] = await db.sequelize.query('SELECT reference FROM conversation_references WHERE user_id = :userId AND channel = :channel', {
        replacements: { userId, channel },
      });
      return (rows as Array<{ reference: unknown }>)[0]?.reference ?? null;
    },
  };
}
