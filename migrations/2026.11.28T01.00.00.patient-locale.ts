import type { MigrationContext } from '../src/db/migrator';

/**
 * The language a patient reads: every reply, reminder and notice is written in it, on any instance.
 * A catalog code ('en', 'es'); the service checks it against the catalogs it ships, so a third
 * language needs no migration.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`ALTER TABLE patients ADD COLUMN locale text NOT NULL DEFAULT 'en' CHECK (locale ~ '^[a-z]{2}(-[A-Z]{2})?$')`);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`ALTER TABLE patients DROP COLUMN IF EXISTS locale`);
}
