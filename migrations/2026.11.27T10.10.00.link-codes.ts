import type { MigrationContext } from '../src/db/migrator';

/**
 * One-time codes that link a Slack or Teams account to a staff account: issued by an admin (or the
 * admin:create command for the first admin), used once, expiring. Only a salted scrypt hash of the
 * code is kept; `lookup` is its first four characters, so a code can be found without scanning.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE link_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      lookup text NOT NULL UNIQUE CHECK (length(lookup) = 4),
      salt text NOT NULL,
      code_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      used_by text,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX link_codes_user ON link_codes (user_id);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql('DROP TABLE IF EXISTS link_codes;');
}
