import type { MigrationContext } from '../src/db/migrator';

/**
 * Holds: the time a patient is asked to confirm is theirs for a few minutes. A hold is an
 * appointment row with status 'held' and an expiry, so the same exclusion constraint that keeps a
 * doctor single keeps a held time from anyone else; there is no second table to keep in step.
 * Expired holds are ignored when free times are computed and deleted by the next booking near them
 * (and by a BullMQ job at expiry), so an expired hold never blocks anyone.
 *
 * ALTER TYPE ... ADD VALUE may run in a transaction but the value cannot be used in it: nothing
 * below uses 'held'.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TYPE appointment_status ADD VALUE IF NOT EXISTS 'held';
    ALTER TABLE appointments ADD COLUMN hold_expires_at timestamptz;
    CREATE INDEX appointments_holds ON appointments (hold_expires_at) WHERE hold_expires_at IS NOT NULL;
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  // A value cannot be dropped from an enum: holds are deleted and the column goes; 'held' stays unused.
  await sql(`
    DELETE FROM appointments WHERE hold_expires_at IS NOT NULL AND status::text = 'held';
    DROP INDEX IF EXISTS appointments_holds;
    ALTER TABLE appointments DROP COLUMN IF EXISTS hold_expires_at;
  `);
}
