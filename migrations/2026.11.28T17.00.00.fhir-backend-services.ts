import type { MigrationContext } from '../src/db/migrator';

/**
 * SMART Backend Services: a FHIR client may prove who it is with a JWT it signs (its public keys
 * at a JWKS address it registers) instead of a shared secret. Such a client has no secret at all.
 * Each assertion's jti is kept until the assertion expires, so it cannot be replayed.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    ALTER TABLE fhir_clients ALTER COLUMN secret_hash DROP NOT NULL;
    ALTER TABLE fhir_clients ADD COLUMN jwks_url text CHECK (jwks_url IS NULL OR jwks_url LIKE 'https://%');
    ALTER TABLE fhir_clients ADD CONSTRAINT fhir_clients_one_credential CHECK (secret_hash IS NOT NULL OR jwks_url IS NOT NULL);
    CREATE TABLE fhir_assertions (
      client_id uuid NOT NULL REFERENCES fhir_clients (id) ON DELETE CASCADE,
      jti text NOT NULL CHECK (length(jti) BETWEEN 1 AND 255),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (client_id, jti)
    );
    CREATE INDEX fhir_assertions_expiry ON fhir_assertions (expires_at);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TABLE IF EXISTS fhir_assertions;
    DELETE FROM fhir_clients WHERE secret_hash IS NULL;
    ALTER TABLE fhir_clients DROP CONSTRAINT IF EXISTS fhir_clients_one_credential;
    ALTER TABLE fhir_clients DROP COLUMN IF EXISTS jwks_url;
    ALTER TABLE fhir_clients ALTER COLUMN secret_hash SET NOT NULL;
  `);
}
