/**
 * Builds test/corpus/dates.duckling.en.json from the English time corpus of Facebook's Duckling
 * (BSD licence; https://github.com/facebook/duckling, Duckling/Time/EN/Corpus.hs): everyday
 * phrasings ("7p", "at 1030", "friday after next", "Tuesday the 19th"), each with the moment Duckling's
 * maintainers expect, at their reference time Tuesday 12 February 2013, 04:30. Kept: what asks for a
 * day, a time, a span of days or a part of a day, from now on; dropped: years, holidays, the past,
 * open-ended "after now", and overnight spans. Expectations are rewritten by the clinic's conventions
 * (docs/conversation.md), as for the Recognizers-Text corpus:
 *   - an hour said without am or pm, 1 to 6, is afternoon (Duckling's next-occurrence reading
 *     gives 5 and 6 AM at 04:30);
 *   - a phrase that names no day expects a time alone;
 *   - parts of the day are the clinic's: morning 08-12, afternoon 12-17, evening 17-21, night 20-24;
 *   - a weekday said on that weekday with no time is ambiguous ("tuesday" on a Tuesday): ask.
 *
 *   npx tsx test/corpus/build-duckling-corpus.ts <duckling checkout>
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DateCase, DateExpectation } from './date-case';

const REF = '2013-02-12T04:30';
type Tuple = [number, number, number, number, number, number];

const pad = (n: number) => String(n).padStart(2, '0');
const dateOf = (t: Tuple) => `${t[0]}-${pad(t[1])}-${pad(t[2])}`;
const timeOf = (t: Tuple) => `${pad(t[3])}:${pad(t[4])}`;
const tuple = (s: string) => s.split(',').map((x) => Number(x.trim())) as Tuple;

const NAMES_A_DAY =
  /\b(today|tonight|tonite|tomorrow|tomorrows|this (morning|afternoon|evening)|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december|week|weekend|days|\d+(st|nd|rd|th)|first|second|third|fourth|fifth|ides)\b|\b\d{1,2}\s*\/\s*\d{1,2}\b/i;
const MERIDIEM = /(\d|\b)(a\.?m\.?|p\.?m\.?|am|pm|a|p)\b|\b(morning|afternoon|evening|night|tonight|noon|midnight|lunch)\b/i;
const PAST = /\b(ago|last|past|yesterday|previous|before (today|yesterday|now)|earlier|this past|recent)\b/i;
const SKIP = /\b(end of|beginning of|upcoming|in a day|after \d+ days|15 to noon|for \d+'|(morning|tonight|tonite) (at|@) [1-5]\b|cet|gmt|pst|bst|ist|cst|est|utc|pdt|edt|from now|hence|back|later than|closest|all week|eom|bom|boy|eoy|early|late|mid \w+ch|for \d+ days|in \d+h|next (\d+|two|three|four|five|six) (weeks|months))\b|\bmid (march|april|may|june|july|august)|\b(morning|afternoon) at 1[12]\b|tonight at [1-5]\b|\b(year|years|decade|century|quarter|q[1-4]|h[12]|season|summer|winter|spring|fall|christmas|xmas|thanksgiving|easter|halloween|valentine|memorial|labor|boss|mlk|martin|presidents?|new year|eve|holiday|since|until now|from now on|weekend|ides|week-end|hours?|minutes?|mins?|seconds?|sec|min|h\b)/i;

/** The clinic's reading of an hour written without am or pm. */
function clinic(time: string, phrase: string): string {
  const [h, m] = time.split(':').map(Number);
  if (!MERIDIEM.test(phrase) && !/\b(0\d|1[3-9]|2[0-3])[:h]?\d\d|\b(1[3-9]|2[0-3])h/.test(phrase)) {
    const base = h % 12 === 0 ? 12 : h % 12;
    if (base >= 1 && base <= 6) return `${pad(base + 12)}:${pad(m)}`;
    if (base >= 7 && base <= 11) return `${pad(base)}:${pad(m)}`;
  }
  return time;
}

const PARTS: Array<[RegExp, [string, string]]> = [
  [/\bmorning\b/i, ['08:00', '12:00']],
  [/\bafternoon(ish)?\b/i, ['12:00', '17:00']],
  [/\blunch\b/i, ['12:00', '14:00']],
  [/\bevening\b/i, ['17:00', '21:00']],
  [/\b(night|tonight)\b/i, ['20:00', '23:59']],
];

function expectation(kind: string, args: string, phrase: string): DateExpectation | null {
  const names = NAMES_A_DAY.test(phrase);
  if (kind === 'datetime') {
    const m = /^\(([^)]*)\)\s*(\w+)/.exec(args.trim());
    if (!m) return null;
    const t = tuple(m[1]);
    const grain = m[2];
    if (grain === 'Day') return { date: dateOf(t) };
    if (/\bin (\d+|a|one|two|three) (days?|weeks?)$/i.test(phrase)) return { date: dateOf(t) };
    if (grain === 'Hour' || grain === 'Minute') {
      const time = clinic(timeOf(t), phrase);
      return names ? { date: dateOf(t), time } : { time };
    }
    return null;
  }
  if (kind === 'datetimeInterval') {
    const m = /^\(\(([^)]*)\),\s*\(([^)]*)\)\)\s*(\w+)/.exec(args.trim());
    if (!m) return null;
    const [a, b, grain] = [tuple(m[1]), tuple(m[2]), m[3]];
    if (grain === 'Day' || grain === 'Week' || grain === 'Month') {
      const end = new Date(Date.UTC(b[0], b[1] - 1, b[2]) - 86_400_000).toISOString().slice(0, 10);
      return { from: dateOf(a), to: end };
    }
    if (grain === 'Hour' || grain === 'Minute') {
      if (dateOf(a) !== dateOf(b) && !(b[3] === 0 && b[4] === 0)) return null;
      // 'after lunch' is after the lunch break (Duckling files it under lunch itself).
      const part = /\bafter lunch\b/i.test(phrase) ? null : PARTS.find(([re]) => re.test(phrase) && !/\b(early|late|mid)/i.test(phrase));
      // Duckling's end is exclusive at its grain ('3-4pm' runs to 17:00, '9:30 - 11:00' to 11:01): the
      // last hour or minute named is where a person's span ends.
      const endMinutes = b[3] * 60 + b[4] - (grain === 'Hour' ? 60 : 1);
      const end = `${pad(Math.floor(endMinutes / 60))}:${pad(endMinutes % 60)}`;
      let window: [string, string] = part ? part[1] : [clinic(timeOf(a), phrase), b[3] === 0 && b[4] === 0 ? '23:59' : clinic(end, phrase)];
      if (window[1] <= window[0]) return null;
      if (!part && /\bafter lunch\b/i.test(phrase)) window = ['13:00', '23:59'];
      return names ? { date: dateOf(a), window } : { window };
    }
    return null;
  }
  if (kind === 'datetimeOpenInterval') {
    const m = /^(After|Before)\s*\(([^)]*)\)\s*(\w+)/.exec(args.trim());
    if (!m) return null;
    const t = tuple(m[2]);
    if (m[3] !== 'Hour' && m[3] !== 'Minute') return null;
    const time = clinic(timeOf(t), phrase);
    const window: [string, string] = m[1] === 'After' ? [time, '23:59'] : ['00:00', time];
    return names ? { date: dateOf(t), window } : { window };
  }
  return null;
}

function main(): void {
  const root = process.argv[2];
  if (!root) throw new Error('usage: tsx test/corpus/build-duckling-corpus.ts <duckling checkout>');
  const source = fs.readFileSync(path.join(root, 'Duckling/Time/EN/Corpus.hs'), 'utf8');
  // The main examples, at the main reference time (the latent and "diff" sets use other options).
  const main = source.slice(source.indexOf('allExamples = concat'));
  const cases: DateCase[] = [];
  const seen = new Set<string>();
  for (const block of main.matchAll(/examples \((datetime\w*) ([\s\S]*?)\)\s*\[([\s\S]*?)\n\s*\]/g)) {
    const [, kind, args, list] = block;
    for (const q of list.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const phrase = q[1].replace(/\\"/g, '"');
      if (SKIP.test(phrase) || PAST.test(phrase) || /\d{4}/.test(phrase) || seen.has(phrase.toLowerCase())) continue;
      if (/^(now|right now|just now|at the moment|atm|at this time)$/i.test(phrase)) continue;
      let expect = expectation(kind, args, phrase);
      if (!expect) continue;
      // A day before the reference time said without 'last' (Duckling reads 'Sunday, Feb 10' two days
      // back): the clinic reads days ahead, and cannot know which was meant.
      if (expect.date && expect.date < REF.slice(0, 10)) continue;
      // 'tuesday' on a Tuesday: Duckling takes next week's; a receptionist asks.
      if (/^(this )?(tuesday|tue|tues)\.?$/i.test(phrase)) expect = { ask: true };
      seen.add(phrase.toLowerCase());
      cases.push({ text: phrase, now: REF, expect, source: 'Duckling Duckling/Time/EN/Corpus.hs' });
    }
  }
  const out = path.join(__dirname, 'dates.duckling.en.json');
  fs.writeFileSync(out, `${JSON.stringify(cases, null, 1)}\n`);
  console.log(`${cases.length} cases written to ${out}`);
}

main();
