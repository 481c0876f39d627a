import type { MigrationContext } from '../src/db/migrator';

/**
 * Where to reach a Teams (or other push-capable channel) user without their message first: the
 * platform's conversation reference, kept from their last message, for reminders and notices.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE conversation_references (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      channel text NOT NULL CHECK (channel IN ('teams', 'slack')),
      reference jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, channel)
    );
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql('DROP TABLE IF EXISTS conversation_references;');
}
