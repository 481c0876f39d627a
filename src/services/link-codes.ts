import { randomInt, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * One-time link codes: 16 characters of Crockford's base32 (80 random bits), shown as
 * XXXX-XXXX-XXXX-XXXX. Stored as a salted scrypt hash (ASVS 6.5.2: under 112 bits, so a slow
 * hash); the first group is kept in clear as the look-up key, the other 60 bits stay secret.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number) => Promise<Buffer>;

export function newLinkCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** What a person typed, as the code it means: case, dashes and spaces ignored, O read as 0, I and L as 1. */
export function normalizeLinkCode(typed: string): string | null {
  const clean = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(clean) ? clean : null;
}

export function linkCodeLookup(normalized: string): string {
  return normalized.slice(0, 4);
}

export async function hashLinkCode(normalized: string, salt = randomBytes(16).toString('hex')): Promise<{ salt: string; hash: string }> {
  return { salt, hash: (await scryptAsync(normalized, salt, 32)).toString('hex') };
}

export async function linkCodeMatches(normalized: string, salt: string, hash: string): Promise<boolean> {
  const candidate = await scryptAsync(normalized, salt, 32);
  const expected = Buffer.from(hash, 'hex');
  return expected.length === candidate.length && timingSafeEqual(candidate, expected);
}
