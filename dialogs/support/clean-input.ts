const MAX_INPUT = 1000;

/**
 * Control and format characters out, whitespace folded, length capped: what any step or command
 * receives, whatever the channel. (PostgreSQL cannot store a NUL at all, and a terminal escape has no
 * business in a doctor's name.)
 */
export function cleanInput(raw: string | undefined): string {
  return String(raw ?? '')
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_INPUT);
}
