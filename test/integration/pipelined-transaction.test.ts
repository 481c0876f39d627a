import { QueryTypes } from 'sequelize';
import { createSequelize } from '../../src/db/database';
import { createDb, type Db } from '../../src/db/models';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * The booking's two-round-trip transaction (src/db/pipelined-transaction.ts), against PostgreSQL,
 * in both of its modes: statements prepared once per connection (the default), and plain text
 * (behind PgBouncer). What commits commits whole, what fails leaves nothing behind, values are
 * literals however they are spelled, and the connection goes back to the pool usable.
 */
let t: TestDatabase;
const opened: Db[] = [];
const dbWith = (namedStatements: boolean, poolMax = 10) => {
  const db = createDb(createSequelize({ url: t.url, poolMax }), { namedStatements });
  opened.push(db);
  return db;
};
const rows = async () =>
  (await t.db.sequelize.query<{ name: string; n: number }>('SELECT name, n FROM pipelined_probe ORDER BY n', { type: QueryTypes.SELECT })).map((r) => `${r.name}:${r.n}`);
const preparedHere = (db: Db) =>
  db.pipelined(async (tx) => (await tx.commit(['SELECT statement FROM pg_prepared_statements WHERE from_sql']))[0].map((r) => String(r.statement)));

beforeAll(async () => {
  t = await createTestDatabase('pipelined');
  await t.db.sequelize.query('CREATE TABLE pipelined_probe (n int PRIMARY KEY, name text NOT NULL, at timestamptz)');
});
afterAll(async () => {
  for (const db of opened) await db.sequelize.close();
  await t?.drop();
});
beforeEach(async () => t.db.sequelize.query('DELETE FROM pipelined_probe'));

describe.each([
  ['prepared once per connection', true],
  ['plain text (behind PgBouncer)', false],
])('%s', (_mode, named) => {
  let db: Db;
  beforeAll(() => {
    db = dbWith(named);
  });

  it('reads, then writes and commits, and hands back each statement’s rows', async () => {
    const result = await db.pipelined(async (tx) => {
      const [before, one] = await tx.run(['SELECT count(*)::int AS c FROM pipelined_probe'], ['SELECT :n::int + 1 AS next', { n: 41 }]);
      expect(before[0].c).toBe(0);
      return tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (:n, :name) RETURNING n', { n: one[0].next, name: 'first' }]);
    });
    expect(result).toEqual([[{ n: 42 }]]);
    expect(await rows()).toEqual(['first:42']);
  });

  it('writes values as literals: quotes, semicolons, comment marks and negative numbers stay data', async () => {
    const hostile = "O'Brien'); DROP TABLE pipelined_probe; -- :n";
    await db.pipelined((tx) => tx.commit(['INSERT INTO pipelined_probe (n, name, at) VALUES (:n, :name, :at)', { n: 1, name: hostile, at: new Date('2026-03-08T07:00:00Z') }]));
    expect(await rows()).toEqual([`${hostile}:1`]);
    const [at] = await t.db.sequelize.query<{ at: Date }>('SELECT at FROM pipelined_probe', { type: QueryTypes.SELECT });
    expect(at.at.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    // After a minus sign, a negative value must not turn the rest of the line into a comment.
    const [[diff]] = await db.pipelined((tx) => tx.commit(['SELECT 10 -:d::int AS v, :d::int - 1 AS w', { d: -5 }]));
    expect(diff).toEqual({ v: 15, w: -6 });
  });

  it('rolls back everything when the work throws between its reads and its commit', async () => {
    await expect(
      db.pipelined(async (tx) => {
        await tx.run(['INSERT INTO pipelined_probe (n, name) VALUES (1, :name)', { name: 'written first' }]);
        throw new Error('the slot was not free');
      }),
    ).rejects.toThrow('the slot was not free');
    expect(await rows()).toEqual([]);
  });

  it('commits nothing when a statement in the committing batch fails, and says which constraint', async () => {
    await db.pipelined((tx) => tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (7, :name)', { name: 'there already' }]));
    const failure = await db
      .pipelined(async (tx) => {
        await tx.run(['INSERT INTO pipelined_probe (n, name) VALUES (8, :name)', { name: 'would be lost' }]);
        return tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (7, :name)', { name: 'duplicate' }]);
      })
      .catch((err: { constraint?: string }) => err);
    expect((failure as { constraint?: string }).constraint).toBe('pipelined_probe_pkey');
    expect(await rows()).toEqual(['there already:7']);
  });

  it('leaves every pooled connection usable after failures (no transaction left open on one)', async () => {
    for (let i = 0; i < 40; i++) {
      await db
        .pipelined(async (tx) => {
          await tx.run(['SELECT 1']);
          throw new Error('refused');
        })
        .catch(() => undefined);
    }
    // Had a connection gone back inside its transaction, this would find it (and its "idle in transaction").
    const states = await Promise.all(
      Array.from({ length: 30 }, () => db.pipelined(async (tx) => (await tx.commit(['SELECT now() = statement_timestamp() AS fresh']))[0][0].fresh)),
    );
    expect(states.every(Boolean)).toBe(true);
  });

  it('refuses a placeholder with no value rather than sending it', async () => {
    await expect(db.pipelined((tx) => tx.commit(['SELECT :missing']))).rejects.toThrow('no value for :missing');
  });
});

it('prepares each statement once per connection, and nothing at all in plain-text mode', async () => {
  const named = dbWith(true, 1);
  const text = 'SELECT count(*)::int AS c FROM pipelined_probe WHERE n > :n AND name <> :name';
  for (let i = 0; i < 7; i++) await named.pipelined((tx) => tx.commit([text, { n: i, name: 'x' }]));
  expect((await preparedHere(named)).filter((s) => s.includes('FROM pipelined_probe WHERE n > $1 AND name <> $2'))).toHaveLength(1);

  const plain = dbWith(false, 1);
  for (let i = 0; i < 3; i++) await plain.pipelined((tx) => tx.commit([text, { n: i, name: 'x' }]));
  expect(await preparedHere(plain)).toEqual([]);
});

it('a migration that changes a returned column’s type does not leave connections failing: the transaction runs again on a fresh one', async () => {
  const db = dbWith(true, 1);
  await t.db.sequelize.query('CREATE TABLE pipelined_typed (id int PRIMARY KEY, amount int NOT NULL); INSERT INTO pipelined_typed VALUES (1, 42)');
  const read = () => db.pipelined(async (tx) => (await tx.commit(['SELECT amount, pg_backend_pid() AS pid FROM pipelined_typed WHERE id = :id', { id: 1 }]))[0][0]);
  const before = await read();
  expect(before.amount).toBe(42);
  // A rolling deploy's migration, while this instance still runs.
  await t.db.sequelize.query('ALTER TABLE pipelined_typed ALTER COLUMN amount TYPE text');
  const after = await read();
  expect(after.amount).toBe('42');
  // The connection with the outdated statement was closed, not handed out again.
  expect(after.pid).not.toBe(before.pid);
  expect((await read()).amount).toBe('42');
});

it('a session that lost its prepared statements (DEALLOCATE ALL) is replaced, and the booking-shaped work still commits once', async () => {
  const db = dbWith(true, 1);
  const insert = (n: number) => db.pipelined((tx) => tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (:n, :name)', { n, name: 'kept' }]));
  await insert(1);
  await db.sequelize.query('DEALLOCATE ALL'); // the pool's one connection
  await insert(2);
  expect(await rows()).toEqual(['kept:1', 'kept:2']);
});
