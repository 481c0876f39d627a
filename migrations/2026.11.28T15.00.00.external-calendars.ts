import type { MigrationContext } from '../src/db/migrator';

/**
 * A doctor's own calendar (the secret ICS address of their Google or Outlook calendar): its busy
 * times block slots like time off. Pulled every few minutes with conditional GET; what was last read
 * stays in force while a pull fails, so a broken or slow feed never blocks booking.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE external_calendars (
      doctor_id uuid PRIMARY KEY REFERENCES doctors (id) ON DELETE CASCADE,
      url text NOT NULL CHECK (url ~ '^https://' AND length(url) <= 1000),
      etag text,
      last_modified text,
      fetched_at timestamptz,
      last_error text CHECK (length(last_error) <= 200),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE external_busy (
      id bigserial PRIMARY KEY,
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      CHECK (starts_at < ends_at)
    );
    CREATE INDEX external_busy_doctor_time ON external_busy (doctor_id, starts_at);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`DROP TABLE IF EXISTS external_busy, external_calendars`);
}
