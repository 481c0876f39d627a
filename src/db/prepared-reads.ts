import type { Sequelize } from 'sequelize';
import { discardConnection, isStalePlan, statementName, toPositional, valuesInOrder, type Positional } from './placeholders';

/**
 * The reads on the path of every message (who is texting, their appointments, a doctor and their
 * calendar), sent with bind parameters and, where allowed, a statement name. PostgreSQL parses and
 * plans a named statement once per connection rather than on every call; planning was most of the
 * database's time per message in the SMS benchmark (docs/performance.md).
 *
 * Behind PgBouncer in transaction pooling a statement name is session state (the next transaction
 * may run on another server connection), so there the same statement goes unnamed: `named` is off
 * unless the caller turns it on.
 *
 * Values are an array for `$1`, `$2`… or an object for `:name` placeholders. An array value is a
 * PostgreSQL array (write `= ANY(:ids)`, not `IN (:ids)`).
 *
 * `text` must be a constant (one of a handful per call site): each distinct text becomes one
 * prepared statement on every connection. Past MAX_NAMES texts, statements go unnamed.
 */
export type PreparedRead = <T extends object>(text: string, values: readonly unknown[] | Readonly<Record<string, unknown>>) => Promise<T[]>;

const MAX_NAMES = 200;

interface RawClient {
  query(config: { text: string; values: readonly unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}

interface ConnectionManager {
  getConnection(options: { type: 'read' | 'write' }): Promise<RawClient>;
  releaseConnection(connection: RawClient): Promise<void>;
}

export function createPreparedRead(sequelize: Sequelize, opts: { named: boolean }): PreparedRead {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    if (!opts.named) return undefined;
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMES) names.set(text, (name = statementName('cc', text)));
    return name;
  };
  const positional = new Map<string, Positional>();
  /** `:name` placeholders as `$n`, once per text. */
  const positionalOf = (text: string) => {
    let found = positional.get(text);
    if (!found) {
      found = toPositional(text);
      if (positional.size < MAX_NAMES) positional.set(text, found);
    }
    return found;
  };
  return async <T extends object>(sql: string, given: readonly unknown[] | Readonly<Record<string, unknown>>) => {
    let text = sql;
    let values: readonly unknown[];
    if (Array.isArray(given)) values = given;
    else {
      const p = positionalOf(sql);
      text = p.text;
      values = valuesInOrder(p.order, given as Readonly<Record<string, unknown>>, (v) => v);
    }
    const run = async (): Promise<T[]> => {
      const connection = await manager.getConnection({ type: 'read' });
      try {
        const result = await connection.query({ text, values, name: nameOf(text) });
        return result.rows as T[];
      } catch (err) {
        // As Sequelize does: a connection that broke is not given to the next caller. Nor is one
        // whose prepared statement a migration outdated or the session lost (isStalePlan); it
        // would fail that way until closed.
        if (isStalePlan(err) || /ECONNRESET|Connection terminated|terminating connection/i.test(String((err as Error)?.message))) discardConnection(connection);
        throw err;
      } finally {
        await manager.releaseConnection(connection);
      }
    };
    try {
      return await run();
    } catch (err) {
      // Once more on a fresh connection, which prepares the statement against today's tables.
      if (isStalePlan(err)) return run();
      throw err;
    }
  };
}

