import type { MigrationContext } from '../src/db/migrator';

/**
 * FHIR API clients (an EHR, an integration engine) registered by admins, and the short-lived bearer
 * tokens they get with OAuth 2 client credentials. Only hashes of secrets and tokens are stored.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE TABLE fhir_clients (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
      client_id text NOT NULL UNIQUE,
      secret_hash text NOT NULL,
      scopes text[] NOT NULL,
      -- The account the client acts as (the front desk's role, named for it in the audit trail).
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    CREATE TABLE fhir_tokens (
      token_hash text PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES fhir_clients (id) ON DELETE CASCADE,
      scopes text[] NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX fhir_tokens_expiry ON fhir_tokens (expires_at);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`DROP TABLE IF EXISTS fhir_tokens, fhir_clients`);
}
