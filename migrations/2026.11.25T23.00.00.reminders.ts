import type { MigrationContext } from '../src/db/migrator';

/**
 * Every reminder the worker has sent (or decided not to send), one row per appointment and offset:
 * the primary key is what keeps a reminder from going out twice when a job runs again.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE reminder_deliveries (
      appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
      offset_minutes integer NOT NULL CHECK (offset_minutes > 0),
      status text NOT NULL CHECK (status IN ('sending', 'sent', 'skipped')),
      reason text,
      attempted_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      PRIMARY KEY (appointment_id, offset_minutes)
    );

    -- A patient's 'C' answer to a reminder.
    ALTER TABLE appointments ADD COLUMN patient_confirmed_at timestamptz;

    -- One morning digest per doctor and local day.
    CREATE TABLE digest_deliveries (
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      local_date date NOT NULL,
      sent_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (doctor_id, local_date)
    );
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE IF EXISTS digest_deliveries;
    ALTER TABLE appointments DROP COLUMN IF EXISTS patient_confirmed_at;
    DROP TABLE IF EXISTS reminder_deliveries;
  `);
}
