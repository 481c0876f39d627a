import type { MigrationContext } from '../src/db/migrator';

/**
 * A real clinic's calendar: locations, visit types with their own lengths and buffers, recurring
 * series, and the reason for a visit.
 *
 * The doctor's exclusion constraint moves from the visit itself to the time it really occupies,
 * buffers included (occupied_from/occupied_to). A trigger computes that range from the visit and
 * its buffers on every write, so no code path (a test's raw insert, a future admin tool) can store
 * a visit whose cleaning time the constraint does not see. The patient's constraint stays on the
 * visit itself: buffers are the room's and the doctor's time, not the patient's.
 *
 * Existing data keeps working: each time zone the doctors work in gets a default location holding
 * their hours and appointments, and each slot length in use becomes a visit type that the doctors
 * with that length offer by default. Location-less hours remain valid for a one-site clinic.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE locations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
      address text CHECK (length(address) <= 200),
      phone_e164 text CHECK (phone_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
      time_zone text NOT NULL,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX locations_name_unique ON locations (lower(name));

    CREATE TABLE visit_types (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
      duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
      buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 120),
      buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 120),
      telehealth boolean NOT NULL DEFAULT false,
      -- '{token}' is replaced by a random token per appointment; https only.
      video_url_template text CHECK (video_url_template ~ '^https://[^\\s]+$' AND length(video_url_template) <= 300),
      -- Everyday words that name it: 'first visit', 'follow-up', 'check-up'.
      keywords text[] NOT NULL DEFAULT '{}',
      intake_questions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(intake_questions) = 'array'),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (NOT telehealth OR video_url_template IS NOT NULL)
    );
    CREATE UNIQUE INDEX visit_types_name_unique ON visit_types (lower(name));

    CREATE TABLE doctor_visit_types (
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      visit_type_id uuid NOT NULL REFERENCES visit_types (id) ON DELETE CASCADE,
      PRIMARY KEY (doctor_id, visit_type_id)
    );

    ALTER TABLE doctors
      ADD COLUMN grid_minutes integer CHECK (grid_minutes BETWEEN 5 AND 240),
      ADD COLUMN default_visit_type_id uuid REFERENCES visit_types (id) ON DELETE SET NULL;

    ALTER TABLE availability_rules ADD COLUMN location_id uuid REFERENCES locations (id) ON DELETE RESTRICT;
    CREATE INDEX availability_rules_location ON availability_rules (location_id);

    CREATE TABLE appointment_series (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
      patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE RESTRICT,
      every_weeks integer NOT NULL DEFAULT 1 CHECK (every_weeks BETWEEN 1 AND 4),
      occurrences integer NOT NULL CHECK (occurrences BETWEEN 2 AND 52),
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    ALTER TABLE appointments
      ADD COLUMN location_id uuid REFERENCES locations (id) ON DELETE RESTRICT,
      ADD COLUMN visit_type_id uuid REFERENCES visit_types (id) ON DELETE RESTRICT,
      ADD COLUMN buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 120),
      ADD COLUMN buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 120),
      ADD COLUMN occupied_from timestamptz,
      ADD COLUMN occupied_to timestamptz,
      ADD COLUMN video_url text CHECK (video_url ~ '^https://'),
      ADD COLUMN series_id uuid REFERENCES appointment_series (id) ON DELETE SET NULL,
      ADD COLUMN intake jsonb CHECK (intake IS NULL OR jsonb_typeof(intake) = 'array');
    CREATE INDEX appointments_series ON appointments (series_id) WHERE series_id IS NOT NULL;
    CREATE INDEX appointments_location_time ON appointments (location_id, starts_at);

    UPDATE appointments SET occupied_from = starts_at, occupied_to = ends_at;
    ALTER TABLE appointments ALTER COLUMN occupied_from SET NOT NULL, ALTER COLUMN occupied_to SET NOT NULL;

    CREATE FUNCTION appointments_occupied_range() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.occupied_from := NEW.starts_at - make_interval(mins => NEW.buffer_before_minutes);
      NEW.occupied_to := NEW.ends_at + make_interval(mins => NEW.buffer_after_minutes);
      RETURN NEW;
    END $$;
    CREATE TRIGGER appointments_occupied_range BEFORE INSERT OR UPDATE ON appointments
      FOR EACH ROW EXECUTE FUNCTION appointments_occupied_range();

    ALTER TABLE appointments DROP CONSTRAINT appointments_no_doctor_overlap;
    ALTER TABLE appointments ADD CONSTRAINT appointments_no_doctor_overlap EXCLUDE USING gist (
      doctor_id WITH =, tstzrange(occupied_from, occupied_to, '[)') WITH &&
    ) WHERE (status <> 'cancelled');

    -- Existing data: one default location per zone the doctors work in, holding their hours and visits.
    INSERT INTO locations (name, time_zone)
      SELECT CASE WHEN count(*) OVER () = 1 THEN 'Main clinic' ELSE 'Main clinic (' || time_zone || ')' END, time_zone
        FROM (SELECT DISTINCT time_zone FROM doctors) z;
    UPDATE availability_rules r SET location_id = l.id
      FROM doctors d JOIN locations l ON l.time_zone = d.time_zone WHERE d.id = r.doctor_id;
    UPDATE appointments a SET location_id = l.id
      FROM doctors d JOIN locations l ON l.time_zone = d.time_zone WHERE d.id = a.doctor_id;

    -- And one visit type per slot length in use, offered by default by the doctors with that length.
    INSERT INTO visit_types (name, duration_minutes)
      SELECT 'Visit (' || slot_minutes || ' min)', slot_minutes FROM (SELECT DISTINCT slot_minutes FROM doctors) s;
    UPDATE doctors d SET default_visit_type_id = v.id
      FROM visit_types v WHERE v.name = 'Visit (' || d.slot_minutes || ' min)';
    INSERT INTO doctor_visit_types (doctor_id, visit_type_id) SELECT id, default_visit_type_id FROM doctors;
    UPDATE appointments a SET visit_type_id = d.default_visit_type_id FROM doctors d WHERE d.id = a.doctor_id;
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE appointments DROP CONSTRAINT appointments_no_doctor_overlap;
    ALTER TABLE appointments ADD CONSTRAINT appointments_no_doctor_overlap EXCLUDE USING gist (
      doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status <> 'cancelled');
    DROP TRIGGER IF EXISTS appointments_occupied_range ON appointments;
    DROP FUNCTION IF EXISTS appointments_occupied_range();
    ALTER TABLE appointments
      DROP COLUMN location_id, DROP COLUMN visit_type_id, DROP COLUMN buffer_before_minutes,
      DROP COLUMN buffer_after_minutes, DROP COLUMN occupied_from, DROP COLUMN occupied_to,
      DROP COLUMN video_url, DROP COLUMN series_id, DROP COLUMN intake;
    DROP TABLE appointment_series;
    ALTER TABLE availability_rules DROP COLUMN location_id;
    ALTER TABLE doctors DROP COLUMN grid_minutes, DROP COLUMN default_visit_type_id;
    DROP TABLE doctor_visit_types, visit_types, locations;
  `);
}
