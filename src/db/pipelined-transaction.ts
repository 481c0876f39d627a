import { escapeLiteral } from 'pg';
import type { Sequelize } from 'sequelize';
import { NAMED_PLACEHOLDER } from './placeholders';

/**
 * A transaction whose statements travel together: the first batch goes with BEGIN, the last with
 * COMMIT, each batch in one round trip (PostgreSQL's simple query protocol runs a batch in order,
 * and under READ COMMITTED every statement still takes its own snapshot, so a statement after a
 * row lock sees what the lock's previous holder committed). A booking is two round trips this way
 * instead of five, and round trips are what a booking spends its time on (docs/performance.md).
 *
 * An error in a batch skips the rest of it (the COMMIT too); the transaction is then rolled back.
 * Values are written into the text as SQL literals by the driver's own escaping (pg's
 * escapeLiteral), as Sequelize writes every other query's; only the types a booking sends are taken.
 */
export type Statement = readonly [sql: string, replacements?: Record<string, unknown>];
export type Rows = Array<Record<string, unknown>>;

export interface PipelinedTransaction {
  /** Runs the statements in one round trip (opening the transaction first, if it is not open). */
  run(...statements: Statement[]): Promise<Rows[]>;
  /** Runs the statements and commits, in one round trip. */
  commit(...statements: Statement[]): Promise<Rows[]>;
}

interface RawClient {
  query(text: string): Promise<{ rows: Rows } | Array<{ rows: Rows }>>;
}

interface ConnectionManager {
  getConnection(options: { type: 'read' | 'write' }): Promise<RawClient>;
  releaseConnection(connection: RawClient): Promise<void>;
}

export async function pipelinedTransaction<T>(sequelize: Sequelize, work: (tx: PipelinedTransaction) => Promise<T>): Promise<T> {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const connection = await manager.getConnection({ type: 'write' });
  const progress = { state: 'idle' as 'idle' | 'open' | 'done' };
  const send = async (statements: Statement[], opening: boolean, closing: boolean): Promise<Rows[]> => {
    const texts = statements.map(([sql, replacements]) => inject(sql, replacements ?? {}));
    const batch = [...(opening ? ['BEGIN'] : []), ...texts, ...(closing ? ['COMMIT'] : [])].join(';\n');
    const raw = await connection.query(batch);
    const results = Array.isArray(raw) ? raw : [raw];
    return results.slice(opening ? 1 : 0, opening ? 1 + texts.length : texts.length).map((r) => r.rows);
  };
  const tx: PipelinedTransaction = {
    async run(...statements) {
      if (progress.state === 'done') throw new Error('the transaction has ended');
      const opening = progress.state === 'idle';
      progress.state = 'open';
      return send(statements, opening, false);
    },
    async commit(...statements) {
      if (progress.state === 'done') throw new Error('the transaction has ended');
      const opening = progress.state === 'idle';
      progress.state = 'open';
      const rows = await send(statements, opening, true);
      progress.state = 'done';
      return rows;
    },
  };
  try {
    return await work(tx);
  } catch (err) {
    // A batch that failed half-way left the transaction aborted; one whose COMMIT never ran, open.
    if (progress.state === 'open') await connection.query('ROLLBACK').catch(() => undefined);
    progress.state = 'done';
    throw err;
  } finally {
    await manager.releaseConnection(connection);
  }
}

/** `:name` placeholders replaced by literals; `::type` casts are left alone. */
function inject(sql: string, replacements: Record<string, unknown>): string {
  return sql.replace(NAMED_PLACEHOLDER, (_whole, name: string) => {
    if (!(name in replacements)) throw new Error(`no value for :${name}`);
    return literal(replacements[name], name);
  });
}

function literal(value: unknown, name: string): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return escapeLiteral(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // An instant as UTC ISO text: the column is timestamptz, so no session time zone is involved.
  if (value instanceof Date && !Number.isNaN(value.getTime())) return `'${value.toISOString()}'`;
  throw new Error(`:${name} is not a value a statement can take`);
}
