/** Text matching for doctor search, shared by the database query and the tests. */

/** Lower case, accents removed, punctuation to spaces: 'Dr. Núñez' -> 'dr nunez'. */
export function normalizeSearchText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const FILLER = new Set(['dr', 'doctor', 'doc', 'the', 'a', 'an', 'for', 'with', 'see', 'specialist', 'clinic']);

/** Words worth searching for: 'Dr Patel' -> ['patel'], 'skin doctor' -> ['skin']. */
export function searchTerms(query: string): string[] {
  const words = normalizeSearchText(query).split(' ').filter(Boolean);
  const meaningful = words.filter((w) => !FILLER.has(w));
  return (meaningful.length > 0 ? meaningful : words).slice(0, 5);
}
