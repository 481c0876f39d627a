/** The current instant in epoch milliseconds. Injected everywhere so tests control time without waiting. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
