import { ConnectionError } from 'sequelize';
import { DomainError, ServiceUnavailableError } from '../domain/errors';

/** SQLSTATE classes that mean "the database is not there right now", not "your data is wrong". */
const UNAVAILABLE_CODES = /^(08|57P0[1-3]|53300|53400)/;
const UNAVAILABLE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|Connection terminated|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|not currently accepting connections|does not allow connections/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  const e = err as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown; message?: unknown };
  const code = e?.parent?.code ?? e?.original?.code ?? e?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

/** Runs database work; an unreachable database becomes ServiceUnavailableError, domain errors pass through. */
export async function guardDb<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (isDatabaseUnavailable(err)) throw new ServiceUnavailableError('database', { cause: err });
    throw err;
  }
}

/** The name of the constraint a write broke, if any (exclusion 23P01, unique 23505, check 23514). */
export function violatedConstraint(err: unknown): string | null {
  // Sequelize wraps the driver's error (parent, original); a query on a raw connection throws it bare.
  const e = err as { parent?: { constraint?: unknown; code?: unknown }; original?: { constraint?: unknown }; constraint?: unknown };
  const name = e?.parent?.constraint ?? e?.original?.constraint ?? e?.constraint;
  return typeof name === 'string' ? name : null;
}
