import type { MigrationContext } from '../src/db/migrator';

/** Every change of a clinic setting, with its old and new value and who made it. */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE setting_changes (
      id bigserial PRIMARY KEY,
      key text NOT NULL,
      old_value jsonb,
      new_value jsonb NOT NULL,
      changed_by uuid REFERENCES users (id) ON DELETE SET NULL,
      changed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX setting_changes_key_at ON setting_changes (key, changed_at DESC);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql('DROP TABLE IF EXISTS setting_changes;');
}
