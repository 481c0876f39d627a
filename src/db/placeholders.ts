import { createHash } from 'node:crypto';

/**
 * `:name` placeholders in the plain SQL the hot paths send (the pipelined booking, the prepared
 * reads); `::type` casts and words after a colon inside identifiers are left alone.
 */
export const NAMED_PLACEHOLDER = /(?<![:\w]):([A-Za-z_]\w*)/g;

/** A text with `$n` for each distinct `:name` (a name used twice is one parameter), in `order`. */
export interface Positional {
  text: string;
  order: string[];
}

export function toPositional(sql: string): Positional {
  const order: string[] = [];
  const text = sql.replace(NAMED_PLACEHOLDER, (_whole, name: string) => {
    const at = order.indexOf(name);
    return `$${at >= 0 ? at + 1 : order.push(name)}`;
  });
  return { text, order };
}

/** The values for a positional text, in its order; a placeholder with no value is refused. */
export function valuesInOrder<T>(order: readonly string[], named: Readonly<Record<string, unknown>>, each: (value: unknown, name: string) => T): T[] {
  return order.map((name) => {
    if (!(name in named)) throw new Error(`no value for :${name}`);
    return each(named[name], name);
  });
}

/** A prepared statement's name: a prefix, then a hash of the text (the same text, the same name). */
export function statementName(prefix: string, sql: string): string {
  return `${prefix}_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
}

/**
 * A prepared statement the session can no longer use: a migration changed the type of a column it
 * returns (0A000, "cached plan must not change result type"), or the session lost it (26000, after
 * DEALLOCATE ALL). It fails the same way on every use until its connection is closed.
 */
export function isStalePlan(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code ?? (err as { original?: { code?: unknown } })?.original?.code;
  return code === '0A000' || code === '26000';
}

/** Marks a pooled connection so Sequelize's pool closes it instead of handing it out again. */
export function discardConnection(connection: object): void {
  (connection as { _invalid?: boolean })._invalid = true;
}
