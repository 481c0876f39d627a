/**
 * One phrasing of a day or time, with what a clinic receptionist takes it to mean. Dates and times
 * are local to the clinic ("now" too); ranges are inclusive dates; a window is [from, to) in HH:mm.
 */
export interface DateExpectation {
  date?: string;
  time?: string;
  from?: string;
  to?: string;
  window?: [string, string];
  asap?: true;
  /** Ambiguous: the right answer is a short question, never a guess. */
  ask?: true;
}

export interface DateCase {
  text: string;
  /** The reference instant, local wall clock, 'YYYY-MM-DDTHH:mm'. */
  now: string;
  expect: DateExpectation;
  /** future (the default: booking) or nearest (looking up a day, as a doctor does). */
  prefer?: 'future' | 'nearest';
  /** The language of the phrasing ('en' unless the corpus file says otherwise: dates.*.es.json). */
  locale?: string;
  source: string;
}
