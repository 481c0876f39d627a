import { escapeLiteral } from 'pg';
import type { Sequelize } from 'sequelize';
import { discardConnection, isStalePlan, NAMED_PLACEHOLDER, statementName, toPositional, valuesInOrder, type Positional } from './placeholders';

/**
 * A transaction whose statements travel together: the first batch goes with BEGIN, the last with
 * COMMIT, each batch in one round trip (PostgreSQL's simple query protocol runs a batch in order,
 * and under READ COMMITTED every statement still takes its own snapshot, so a statement after a
 * row lock sees what the lock's previous holder committed). A booking is two round trips this way
 * instead of five, and round trips are what a booking spends its time on (docs/performance.md).
 *
 * With `named` on, each statement text is PREPAREd once per connection and the batch EXECUTEs it,
 * so PostgreSQL plans it once per connection instead of once per booking: planning the booking's
 * calendar read cost more than running it. Behind PgBouncer in transaction pooling a prepared
 * statement is session state that the next transaction may not find, so there `named` is off and
 * the statements go as plain text, as before.
 *
 * An error in a batch skips the rest of it (the COMMIT too); the transaction is then rolled back.
 * Values are written into the text as SQL literals by the driver's own escaping (pg's
 * escapeLiteral), as Sequelize writes every other query's; only the types a booking sends are taken.
 */
/**
 * A statement, its values, and a label: a word or two naming it (`book`, `hold`), part of its
 * prepared statement's name, so a trace, `pg_stat_activity` or a log shows `EXECUTE cc_tx_book_…`
 * rather than a bare hash.
 */
export type Statement = readonly [sql: string, replacements?: Record<string, unknown>, label?: string];
export type Rows = Array<Record<string, unknown>>;

export interface PipelinedTransaction {
  /** Runs the statements in one round trip (opening the transaction first, if it is not open). */
  run(...statements: Statement[]): Promise<Rows[]>;
  /** Runs the statements and commits, in one round trip. */
  commit(...statements: Statement[]): Promise<Rows[]>;
}

export type PipelinedTransactions = <T>(work: (tx: PipelinedTransaction) => Promise<T>) => Promise<T>;

interface RawClient {
  query(text: string): Promise<{ rows: Rows } | Array<{ rows: Rows }>>;
}

interface ConnectionManager {
  getConnection(options: { type: 'read' | 'write' }): Promise<RawClient>;
  releaseConnection(connection: RawClient): Promise<void>;
}

/** Past this many distinct texts, statements go as plain text (texts are meant to be constants). */
const MAX_NAMES = 100;

interface Plan extends Positional {
  name: string;
}

/** What each connection has prepared; kept beside it, as the connection object is pg's own. */
const preparedOn = new WeakMap<RawClient, Set<string>>();

export function createPipelinedTransactions(sequelize: Sequelize, opts: { named: boolean }): PipelinedTransactions {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const plans = new Map<string, Plan>();
  const planOf = (sql: string, label: string | undefined): Plan | undefined => {
    if (!opts.named) return undefined;
    let plan = plans.get(sql);
    if (!plan && plans.size < MAX_NAMES) {
      const tag = (label ?? 'stmt').toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
      plan = { name: statementName(`cc_tx_${tag}`, sql), ...toPositional(sql) };
      plans.set(sql, plan);
    }
    return plan;
  };

  const attempt = async <T>(work: (tx: PipelinedTransaction) => Promise<T>): Promise<T> => {
    const connection = await manager.getConnection({ type: 'write' });
    const progress = { state: 'idle' as 'idle' | 'open' | 'done' };
    const textOf = async ([sql, replacements = {}, label]: Statement): Promise<string> => {
      const plan = planOf(sql, label);
      if (!plan) return inject(sql, replacements);
      await prepare(connection, plan);
      const args = valuesInOrder(plan.order, replacements, literal);
      return args.length ? `EXECUTE ${plan.name}(${args.join(', ')})` : `EXECUTE ${plan.name}`;
    };
    const send = async (statements: Statement[], opening: boolean, closing: boolean): Promise<Rows[]> => {
      const texts: string[] = [];
      for (const s of statements) texts.push(await textOf(s));
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
      // A prepared statement a migration outdated (a selected column changed type) or that the
      // session lost fails the same way on every use: the connection is closed, not handed out again.
      if (isStalePlan(err)) discardConnection(connection);
      throw err;
    } finally {
      await manager.releaseConnection(connection);
    }
  };

  return async (work) => {
    try {
      return await attempt(work);
    } catch (err) {
      // Nothing was committed (the error skipped the COMMIT): once more, on a fresh connection.
      if (opts.named && isStalePlan(err)) return attempt(work);
      throw err;
    }
  };
}

/** PREPAREs the plan on this connection the first time it is used there (one round trip, once). */
async function prepare(connection: RawClient, plan: Plan): Promise<void> {
  let done = preparedOn.get(connection);
  if (!done) preparedOn.set(connection, (done = new Set()));
  if (done.has(plan.name)) return;
  try {
    await connection.query(`PREPARE ${plan.name} AS ${plan.text}`);
  } catch (err) {
    // Already there (prepared before this process lost track): the same text, as the name is its hash.
    if ((err as { code?: unknown })?.code !== '42P05') throw err;
  }
  done.add(plan.name);
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
  // In parentheses when negative: after a minus sign in the text, '-1' would start a comment.
  if (typeof value === 'number' && Number.isFinite(value)) return value < 0 ? `(${value})` : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // An instant as UTC ISO text: the column is timestamptz, so no session time zone is involved.
  if (value instanceof Date && !Number.isNaN(value.getTime())) return `'${value.toISOString()}'`;
  throw new Error(`:${name} is not a value a statement can take`);
}
