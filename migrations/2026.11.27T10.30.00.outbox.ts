import type { MigrationContext } from '../src/db/migrator';

/**
 * The transactional outbox: what must happen after an appointment is booked, moved or cancelled
 * (reminders, the doctor's notice, the patient's confirmation) is written in the same transaction
 * as the appointment, and relayed to the queues afterwards. A crash or an outage after the commit
 * can delay those effects, never lose them.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('appointment.booked', 'appointment.rescheduled', 'appointment.cancelled')),
      appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
      payload jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      relayed_at timestamptz
    );
    CREATE INDEX outbox_pending ON outbox (id) WHERE relayed_at IS NULL;

    -- When the patient was told their booking is made (in the reply, or by a text afterwards).
    ALTER TABLE appointments ADD COLUMN patient_told_at timestamptz;
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE appointments DROP COLUMN IF EXISTS patient_told_at;
    DROP TABLE IF EXISTS outbox;
  `);
}
