import { createMemo } from '../../src/domain/memo';

test('a memo computes once per key, and past its size starts afresh rather than grow', () => {
  let computed = 0;
  const memo = createMemo<number>(3);
  const square = (n: number) => memo(String(n), () => (computed++, n * n));
  expect([square(2), square(2), square(3), square(2)]).toEqual([4, 4, 9, 4]);
  expect(computed).toBe(2);
  // A falsy answer is an answer too: not computed again.
  const zero = createMemo<boolean>(3);
  let asked = 0;
  expect([zero('x', () => (asked++, false)), zero('x', () => (asked++, false))]).toEqual([false, false]);
  expect(asked).toBe(1);
  // Full (3 kept): the next new key empties it, so old keys are computed again, still right.
  square(4);
  square(5);
  expect(square(2)).toBe(4);
  expect(computed).toBe(5);
});
