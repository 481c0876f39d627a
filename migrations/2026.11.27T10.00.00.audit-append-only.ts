import type { MigrationContext } from '../src/db/migrator';

/**
 * The audit trail can be added to, never rewritten: UPDATE, DELETE and TRUNCATE on audit_log are
 * refused by the database itself, whoever connects (HIPAA 164.312(b), ASVS 16.4.2).
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    CREATE INDEX audit_log_actor ON audit_log (actor_user_id, at DESC);
    CREATE INDEX audit_log_action ON audit_log (action, at DESC);
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP INDEX IF EXISTS audit_log_action;
    DROP INDEX IF EXISTS audit_log_actor;
    DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
    DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
    DROP FUNCTION IF EXISTS audit_log_append_only();
  `);
}
