import { QueryTypes } from 'sequelize';
import { pipelinedTransaction } from '../../src/db/pipelined-transaction';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * The booking's two-round-trip transaction (src/db/pipelined-transaction.ts), against PostgreSQL:
 * what commits commits whole, what fails leaves nothing behind, values are literals however they
 * are spelled, and the connection goes back to the pool usable.
 */
let t: TestDatabase;
const rows = async () =>
  (await t.db.sequelize.query<{ name: string; n: number }>('SELECT name, n FROM pipelined_probe ORDER BY n', { type: QueryTypes.SELECT })).map((r) => `${r.name}:${r.n}`);

beforeAll(async () => {
  t = await createTestDatabase('pipelined');
  await t.db.sequelize.query('CREATE TABLE pipelined_probe (n int PRIMARY KEY, name text NOT NULL, at timestamptz)');
});
afterAll(async () => t?.drop());
beforeEach(async () => t.db.sequelize.query('DELETE FROM pipelined_probe'));

it('reads, then writes and commits, and hands back each statement’s rows', async () => {
  const result = await pipelinedTransaction(t.db.sequelize, async (tx) => {
    const [before, one] = await tx.run(['SELECT count(*)::int AS c FROM pipelined_probe'], ['SELECT :n::int + 1 AS next', { n: 41 }]);
    expect(before[0].c).toBe(0);
    return tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (:n, :name) RETURNING n', { n: one[0].next, name: 'first' }]);
  });
  expect(result).toEqual([[{ n: 42 }]]);
  expect(await rows()).toEqual(['first:42']);
});

it('writes values as literals: quotes, semicolons and comment marks stay data', async () => {
  const hostile = "O'Brien'); DROP TABLE pipelined_probe; -- :n";
  await pipelinedTransaction(t.db.sequelize, (tx) => tx.commit(['INSERT INTO pipelined_probe (n, name, at) VALUES (:n, :name, :at)', { n: 1, name: hostile, at: new Date('2026-03-08T07:00:00Z') }]));
  expect(await rows()).toEqual([`${hostile}:1`]);
  const [at] = await t.db.sequelize.query<{ at: Date }>('SELECT at FROM pipelined_probe', { type: QueryTypes.SELECT });
  expect(at.at.toISOString()).toBe('2026-03-08T07:00:00.000Z');
});

it('rolls back everything when the work throws between its reads and its commit', async () => {
  await expect(
    pipelinedTransaction(t.db.sequelize, async (tx) => {
      await tx.run(['INSERT INTO pipelined_probe (n, name) VALUES (1, :name)', { name: 'written first' }]);
      throw new Error('the slot was not free');
    }),
  ).rejects.toThrow('the slot was not free');
  expect(await rows()).toEqual([]);
});

it('commits nothing when a statement in the committing batch fails, and says which constraint', async () => {
  await pipelinedTransaction(t.db.sequelize, (tx) => tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (7, :name)', { name: 'there already' }]));
  const failure = await pipelinedTransaction(t.db.sequelize, async (tx) => {
    await tx.run(['INSERT INTO pipelined_probe (n, name) VALUES (8, :name)', { name: 'would be lost' }]);
    return tx.commit(['INSERT INTO pipelined_probe (n, name) VALUES (7, :name)', { name: 'duplicate' }]);
  }).catch((err: { constraint?: string }) => err);
  expect((failure as { constraint?: string }).constraint).toBe('pipelined_probe_pkey');
  expect(await rows()).toEqual(['there already:7']);
});

it('leaves every pooled connection usable after failures (no transaction left open on one)', async () => {
  for (let i = 0; i < 40; i++) {
    await pipelinedTransaction(t.db.sequelize, async (tx) => {
      await tx.run(['SELECT 1']);
      throw new Error('refused');
    }).catch(() => undefined);
  }
  // Had a connection gone back inside its transaction, this would find it (and its "idle in transaction").
  const states = await Promise.all(
    Array.from({ length: 30 }, () =>
      pipelinedTransaction(t.db.sequelize, async (tx) => (await tx.commit(["SELECT now() = statement_timestamp() AS fresh"]))[0][0].fresh),
    ),
  );
  expect(states.every(Boolean)).toBe(true);
});

it('refuses a placeholder with no value rather than sending it', async () => {
  await expect(pipelinedTransaction(t.db.sequelize, (tx) => tx.commit(['SELECT :missing']))).rejects.toThrow('no value for :missing');
});
