import type { MigrationContext } from '../src/db/migrator';

/**
 * The long window of the date-of-birth check: after too many wrong answers in a week a patient's
 * record is locked until staff clear it. Failures before `verification_cleared_at` no longer count.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE patients
      ADD COLUMN verification_locked_at timestamptz,
      ADD COLUMN verification_cleared_at timestamptz;
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE patients DROP COLUMN IF EXISTS verification_cleared_at, DROP COLUMN IF EXISTS verification_locked_at;
  `);
}
