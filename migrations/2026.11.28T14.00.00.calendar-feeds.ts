import type { MigrationContext } from '../src/db/migrator';

/**
 * Private calendar feeds: a doctor's appointments as an ICS address to subscribe to in Google,
 * Outlook or Apple Calendar. Only a hash of the address's secret is stored; revoking it ends the
 * feed. One live feed a doctor.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE calendar_feeds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      show_names boolean NOT NULL DEFAULT false,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    CREATE UNIQUE INDEX calendar_feeds_one_live ON calendar_feeds (doctor_id) WHERE revoked_at IS NULL;
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`DROP TABLE IF EXISTS calendar_feeds`);
}
