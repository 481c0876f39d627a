/**
 * Answers of a pure computation, kept by key in a Map of at most `max` entries and emptied when it
 * is full. The keys that matter repeat heavily (the same doctors, hours, words and zones), so
 * emptying now and then costs less than keeping an order of use. For caches on the path of every
 * message: labels, day windows, zone offsets, folded words, typo candidates.
 */
export type Memo<V> = (key: string, compute: () => V) => V;

export function createMemo<V>(max: number): Memo<V> {
  const kept = new Map<string, V>();
  return (key, compute) => {
    if (kept.has(key)) return kept.get(key) as V;
    const value = compute();
    if (kept.size >= max) kept.clear();
    kept.set(key, value);
    return value;
  };
}
