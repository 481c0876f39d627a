import { NotFoundError } from '../domain/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids arrive from buttons and typed replies; anything that is not a well-formed id is simply
 * "not found", so a malformed or guessed value never reaches SQL as a type error (a 500).
 */
export function requireId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new NotFoundError(what);
  return value.toLowerCase();
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
