import type { MigrationContext } from '../src/db/migrator';

/**
 * The waitlist: patients waiting for a time with a doctor (or any doctor of a specialty) between two
 * dates, in parts of the day; and the offers of freed times made to them, each backed by a hold.
 * The partial unique indexes are the rules across instances: a patient has at most one live offer,
 * a time is offered to one patient at a time, and a patient is never offered the same time twice.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE waitlist_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
      doctor_id uuid REFERENCES doctors (id) ON DELETE CASCADE,
      specialization_id uuid REFERENCES specializations (id) ON DELETE CASCADE,
      -- Inclusive local dates in the patient's zone.
      from_date date NOT NULL,
      to_date date NOT NULL,
      -- Minutes of the local day [start, end): the parts of the day that suit; null for any time.
      window_start integer CHECK (window_start BETWEEN 0 AND 1440),
      window_end integer CHECK (window_end BETWEEN 0 AND 1440),
      zone text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      ended_at timestamptz,
      ended_reason text CHECK (ended_reason IN ('left', 'booked', 'expired')),
      CHECK ((doctor_id IS NULL) <> (specialization_id IS NULL)),
      CHECK (from_date <= to_date),
      CHECK ((window_start IS NULL) = (window_end IS NULL) AND (window_start IS NULL OR window_start < window_end))
    );
    CREATE INDEX waitlist_entries_live ON waitlist_entries (created_at) WHERE ended_at IS NULL;
    CREATE INDEX waitlist_entries_patient ON waitlist_entries (patient_id);

    CREATE TABLE waitlist_offers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      entry_id uuid NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
      patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
      doctor_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      hold_id uuid,
      offered_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      outcome text NOT NULL DEFAULT 'offered' CHECK (outcome IN ('offered', 'accepted', 'declined', 'expired', 'failed')),
      answered_at timestamptz,
      UNIQUE (patient_id, doctor_id, starts_at)
    );
    CREATE UNIQUE INDEX waitlist_offers_one_live_per_patient ON waitlist_offers (patient_id) WHERE outcome = 'offered';
    CREATE UNIQUE INDEX waitlist_offers_one_live_per_time ON waitlist_offers (doctor_id, starts_at) WHERE outcome = 'offered';
    CREATE INDEX waitlist_offers_time ON waitlist_offers (offered_at);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`DROP TABLE IF EXISTS waitlist_offers, waitlist_entries`);
}
