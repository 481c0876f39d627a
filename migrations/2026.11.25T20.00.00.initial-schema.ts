import type { MigrationContext } from '../src/db/migrator';

/**
 * The whole first schema. Times are timestamptz (UTC); weekly hours are local wall-clock times in
 * the doctor's zone, which is why they are `time`, not timestamps.
 *
 * The exclusion constraints are the real promise that no doctor (and no patient) is ever in two
 * places at once: Redlock only spares work, the database refuses any overlap of active
 * appointments whatever their lengths.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE EXTENSION IF NOT EXISTS unaccent;
    CREATE EXTENSION IF NOT EXISTS pg_trgm;

    CREATE TYPE user_role AS ENUM ('patient', 'doctor', 'admin');
    CREATE TYPE appointment_status AS ENUM ('booked', 'cancelled', 'completed', 'no_show');

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      role user_role NOT NULL,
      email citext UNIQUE,
      display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 120),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE patients (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
      full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 120),
      date_of_birth date NOT NULL CHECK (date_of_birth >= '1900-01-01'),
      phone_e164 text UNIQUE CHECK (phone_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
      preferred_channel text NOT NULL DEFAULT 'sms' CHECK (preferred_channel IN ('sms', 'slack', 'teams', 'console')),
      time_zone text NOT NULL,
      sms_opt_out boolean NOT NULL DEFAULT false,
      sms_opt_out_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE specializations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
      -- Everyday words patients use for it: 'skin' for dermatology.
      keywords text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX specializations_name_unique ON specializations (lower(name));

    CREATE TABLE doctors (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
      full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 120),
      time_zone text NOT NULL,
      slot_minutes integer NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 480),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE doctor_specializations (
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      specialization_id uuid NOT NULL REFERENCES specializations (id) ON DELETE CASCADE,
      PRIMARY KEY (doctor_id, specialization_id)
    );
    CREATE INDEX doctor_specializations_specialization ON doctor_specializations (specialization_id);

    CREATE TABLE availability_rules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
      start_time time NOT NULL,
      end_time time NOT NULL,
      valid_from date,
      valid_to date,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (start_time < end_time),
      CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
    );
    CREATE INDEX availability_rules_doctor ON availability_rules (doctor_id);

    CREATE TABLE time_off (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      reason text CHECK (length(reason) <= 200),
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (starts_at < ends_at)
    );
    CREATE INDEX time_off_doctor_time ON time_off (doctor_id, starts_at);

    CREATE TABLE appointments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
      patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE RESTRICT,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      status appointment_status NOT NULL DEFAULT 'booked',
      reason text CHECK (length(reason) <= 500),
      channel text NOT NULL,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      cancelled_at timestamptz,
      cancelled_by uuid REFERENCES users (id) ON DELETE SET NULL,
      cancel_reason text CHECK (length(cancel_reason) <= 200),
      rescheduled_from uuid REFERENCES appointments (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (starts_at < ends_at),
      CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
      CONSTRAINT appointments_no_doctor_overlap EXCLUDE USING gist (
        doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
      ) WHERE (status <> 'cancelled'),
      CONSTRAINT appointments_no_patient_overlap EXCLUDE USING gist (
        patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
      ) WHERE (status <> 'cancelled')
    );
    CREATE INDEX appointments_doctor_time ON appointments (doctor_id, starts_at);
    CREATE INDEX appointments_patient_time ON appointments (patient_id, starts_at);

    CREATE TABLE channel_identities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel text NOT NULL CHECK (channel IN ('sms', 'slack', 'teams', 'console')),
      external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (channel, external_id)
    );
    CREATE INDEX channel_identities_user ON channel_identities (user_id);

    CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by uuid REFERENCES users (id) ON DELETE SET NULL
    );

    -- Who read or changed which patient's data, when, through which channel. Never the data itself.
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_user_id uuid,
      actor_role text,
      channel text,
      action text NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
      patient_id uuid,
      subject_type text,
      subject_id text,
      details jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at ON audit_log (at DESC);
    CREATE INDEX audit_log_patient ON audit_log (patient_id, at DESC);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE IF EXISTS audit_log, settings, channel_identities, appointments, time_off,
      availability_rules, doctor_specializations, doctors, specializations, patients, users;
    DROP TYPE IF EXISTS appointment_status;
    DROP TYPE IF EXISTS user_role;
  `);
}
