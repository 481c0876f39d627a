import { createSequelize } from '../../src/db/database';
import { createDb, type Db } from '../../src/db/models';
import { guardDb } from '../../src/services/db-errors';
import { ServiceUnavailableError } from '../../src/domain/errors';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * The reads every message makes go through db.read: named prepared statements by default, so
 * PostgreSQL plans them once per connection; unnamed behind PgBouncer, where a name is session state.
 */
let t: TestDatabase;
const opened: Db[] = [];
const dbWith = (namedStatements: boolean) => {
  // One connection, so every read below runs on the session whose prepared statements are listed.
  const db = createDb(createSequelize({ url: t.url, poolMax: 1 }), { namedStatements });
  opened.push(db);
  return db;
};
const prepared = (db: Db) => db.sequelize.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements', { type: 'SELECT' as never });

beforeAll(async () => {
  t = await createTestDatabase('prepared_reads');
});
afterAll(async () => {
  for (const db of opened) await db.sequelize.close();
  await t.drop();
});

test('a read is prepared once per connection and answers from the same plan after', async () => {
  const db = dbWith(true);
  const text = 'SELECT count(*)::int AS n FROM users WHERE role = :role AND active = :active';
  for (let i = 0; i < 7; i++) expect(await db.read<{ n: number }>(text, { role: 'doctor', active: true })).toEqual([{ n: expect.any(Number) }]);
  const statements = (await prepared(db)).map((r) => r.statement);
  // Seven calls, one prepared statement, its :names turned into $n.
  expect(statements.filter((s) => s.includes('FROM users WHERE role = $1 AND active = $2'))).toHaveLength(1);
});

test('behind PgBouncer (named statements off) nothing is prepared in the session', async () => {
  const db = dbWith(false);
  expect(await db.read<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE role = :role', { role: 'patient' })).toEqual([{ n: expect.any(Number) }]);
  expect(await prepared(db)).toEqual([]);
});

test('placeholders: a name used twice is one parameter, casts are left alone, arrays are PostgreSQL arrays', async () => {
  const db = dbWith(true);
  const [row] = await db.read<{ sum: number; again: string; hit: boolean; miss: boolean }>(
    'SELECT :a::int + :b::int AS sum, :a::text AS again, 2 = ANY(:list::int[]) AS hit, 9 = ANY(:list::int[]) AS miss',
    { a: 40, b: 2, list: [1, 2, 3] },
  );
  expect(row).toEqual({ sum: 42, again: '40', hit: true, miss: false });
  expect(await db.read<{ x: number }>('SELECT $1::int * 2 AS x', [21])).toEqual([{ x: 42 }]);
  await expect(db.read('SELECT :missing::int AS x', {})).rejects.toThrow('no value for :missing');
  // A value is a parameter, never SQL.
  const [echo] = await db.read<{ v: string }>('SELECT :v::text AS v', { v: "x'; DROP TABLE users; --" });
  expect(echo.v).toBe("x'; DROP TABLE users; --");
  expect(await db.read<{ n: number }>('SELECT count(*)::int AS n FROM users', [])).toEqual([{ n: expect.any(Number) }]);
});

test('a connection the server dropped is not handed out again: the next read works', async () => {
  const db = dbWith(true);
  const [{ pid }] = await db.read<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
  const other = dbWith(false);
  await other.read('SELECT pg_terminate_backend(:pid::int)', { pid });
  await new Promise((r) => setTimeout(r, 100));
  // The dropped session fails as "database unavailable", never as a wrong answer...
  const failed = await guardDb(() => db.read('SELECT 1 AS one', [])).then(
    () => null,
    (err: unknown) => err,
  );
  if (failed) expect(failed).toBeInstanceOf(ServiceUnavailableError);
  // ...and the read after it gets a fresh connection, with its statements prepared afresh.
  const [{ pid: again }] = await db.read<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
  expect(again).not.toBe(pid);
});

test('a migration that changes the type of a selected column does not leave a connection failing: the read is prepared afresh', async () => {
  const db = dbWith(true);
  const admin = dbWith(false);
  await admin.sequelize.query('CREATE TABLE prepared_probe (id int PRIMARY KEY, amount int NOT NULL); INSERT INTO prepared_probe VALUES (1, 42)');
  const text = 'SELECT amount FROM prepared_probe WHERE id = :id';
  expect(await db.read(text, { id: 1 })).toEqual([{ amount: 42 }]);
  const [{ pid }] = await db.read<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
  // A rolling deploy's migration, while this instance still runs.
  await admin.sequelize.query('ALTER TABLE prepared_probe ALTER COLUMN amount TYPE text');
  expect(await db.read(text, { id: 1 })).toEqual([{ amount: '42' }]);
  expect(await db.read(text, { id: 1 })).toEqual([{ amount: '42' }]);
  // The connection with the outdated statement was closed, not handed out again.
  const [{ pid: now }] = await db.read<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
  expect(now).not.toBe(pid);
});

test('a session that lost its prepared statements (DEALLOCATE ALL) is replaced, and the read answers', async () => {
  const db = dbWith(true);
  const text = 'SELECT count(*)::int AS n FROM users WHERE role = :role';
  expect(await db.read(text, { role: 'doctor' })).toEqual([{ n: expect.any(Number) }]);
  await db.sequelize.query('DEALLOCATE ALL'); // the pool's one connection
  expect(await db.read(text, { role: 'doctor' })).toEqual([{ n: expect.any(Number) }]);
});
