import { createHash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { NAMED_PLACEHOLDER } from './placeholders';

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
    if (name === undefined && names.size < MAX_NAMES) {
      name = `cc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  const positional = new Map<string, { text: string; order: string[] }>();
  /** `:name` placeholders as `$n`, once per text (`::type` casts are left alone). */
  const toPositional = (text: string) => {
    let found = positional.get(text);
    if (!found) {
      const order: string[] = [];
      const converted = text.replace(NAMED_PLACEHOLDER, (_whole, name: string) => {
        const at = order.indexOf(name);
        return `$${at >= 0 ? at + 1 : order.push(name)}`;
      });
      found = { text: converted, order };
      if (positional.size < MAX_NAMES) positional.set(text, found);
    }
    return found;
  };
  return async <T extends object>(sql: string, given: readonly unknown[] | Readonly<Record<string, unknown>>) => {
    let text = sql;
    let values: readonly unknown[];
    if (Array.isArray(given)) values = given;
    else {
      const p = toPositional(sql);
      const named = given as Readonly<Record<string, unknown>>;
      text = p.text;
      values = p.order.map((k) => {
        if (!(k in named)) throw new Error(`no value for :${k}`);
        return named[k];
      });
    }
    const run = async (): Promise<T[]> => {
      const connection = await manager.getConnection({ type: 'read' });
      try {
        const result = await connection.query({ text, values, name: nameOf(text) });
        return result.rows as T[];
      } catch (err) {
        // As Sequelize does: a connection that broke is not given to the next caller. Nor is one
        // whose prepared statement a migration outdated (a selected column changed type: SQLSTATE
        // 0A000, "cached plan must not change result type"); it would fail that way until closed.
        if (stale(err) || /ECONNRESET|Connection terminated|terminating connection/i.test(String((err as Error)?.message))) {
          (connection as unknown as { _invalid: boolean })._invalid = true;
        }
        throw err;
      } finally {
        await manager.releaseConnection(connection);
      }
    };
    try {
      return await run();
    } catch (err) {
      // Once more on a fresh connection, which prepares the statement against today's tables.
      if (stale(err)) return run();
      throw err;
    }
  };
}

const stale = (err: unknown) => (err as { code?: unknown })?.code === '0A000';
