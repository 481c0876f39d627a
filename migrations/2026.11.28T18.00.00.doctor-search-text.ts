import type { MigrationContext } from '../src/db/migrator';

/**
 * A doctor's searchable words (name, specialties and their everyday keywords, lower-case and without
 * accents) kept on the doctor's row, so the directory's free-text search reads one column instead of
 * joining and folding every doctor's specialties on each search. Triggers keep it right when a name,
 * a doctor's specialties, or a specialty's name or keywords change, whoever changes them.
 */
export async function up({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    CREATE FUNCTION doctor_search_text(doctor uuid, full_name text) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT unaccent(lower(full_name || ' ' || coalesce((
        SELECT string_agg(s.name || ' ' || array_to_string(s.keywords, ' '), ' ' ORDER BY s.name)
          FROM doctor_specializations ds JOIN specializations s ON s.id = ds.specialization_id
         WHERE ds.doctor_id = doctor), '')))
    $$;

    ALTER TABLE doctors ADD COLUMN search_text text NOT NULL DEFAULT '';
    UPDATE doctors SET search_text = doctor_search_text(id, full_name);

    CREATE FUNCTION doctors_search_text_own() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_text := doctor_search_text(NEW.id, NEW.full_name);
      RETURN NEW;
    END $$;
    CREATE TRIGGER doctors_search_text BEFORE INSERT OR UPDATE OF full_name ON doctors
      FOR EACH ROW EXECUTE FUNCTION doctors_search_text_own();

    CREATE FUNCTION refresh_doctor_search_text(ids uuid[]) RETURNS void LANGUAGE sql AS $$
      UPDATE doctors d SET search_text = doctor_search_text(d.id, d.full_name) WHERE d.id = ANY(ids)
    $$;

    -- OLD is NULL on an insert and NEW on a delete: both sides of any change, in one call.
    CREATE FUNCTION doctors_search_text_by_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM refresh_doctor_search_text(ARRAY[OLD.doctor_id, NEW.doctor_id]);
      RETURN NULL;
    END $$;
    CREATE TRIGGER doctor_specializations_search_text AFTER INSERT OR UPDATE OR DELETE ON doctor_specializations
      FOR EACH ROW EXECUTE FUNCTION doctors_search_text_by_link();

    CREATE FUNCTION doctors_search_text_by_specialty() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM refresh_doctor_search_text(ARRAY(SELECT doctor_id FROM doctor_specializations WHERE specialization_id = NEW.id));
      RETURN NULL;
    END $$;
    CREATE TRIGGER specializations_search_text AFTER UPDATE OF name, keywords ON specializations
      FOR EACH ROW EXECUTE FUNCTION doctors_search_text_by_specialty();
  `);
}

export async function down({ context: sql }: MigrationContext): Promise<void> {
  await sql(`
    DROP TRIGGER IF EXISTS specializations_search_text ON specializations;
    DROP TRIGGER IF EXISTS doctor_specializations_search_text ON doctor_specializations;
    DROP TRIGGER IF EXISTS doctors_search_text ON doctors;
    DROP FUNCTION IF EXISTS doctors_search_text_by_specialty();
    DROP FUNCTION IF EXISTS doctors_search_text_by_link();
    DROP FUNCTION IF EXISTS doctors_search_text_own();
    DROP FUNCTION IF EXISTS refresh_doctor_search_text(uuid[]);
    ALTER TABLE doctors DROP COLUMN IF EXISTS search_text;
    DROP FUNCTION IF EXISTS doctor_search_text(uuid, text);
  `);
}
