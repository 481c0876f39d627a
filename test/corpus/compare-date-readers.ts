/**
 * The measurement behind the choice of date reader: the same corpus read by chrono-node and by
 * Microsoft Recognizers-Text used as they come (first result, future reading, mapped to a day, a
 * time, a span or a window), and by ours (Recognizers-Text with the clinic's rules on top). A reader
 * used as it comes has no way to ask, so what it does not get right is wrong or not read.
 *
 *   npx tsx test/corpus/compare-date-readers.ts [file.json ...]
 */
import * as chrono from 'chrono-node';
import { DateTimeRecognizer } from '@microsoft/recognizers-text-date-time';
import { Culture } from '@microsoft/recognizers-text-number';
import { DateTime } from 'luxon';
import type { DateCase, DateExpectation } from './date-case';
import { CORPUS_FILES, loadCases, scoreDates } from './score-dates';

type Reading = DateExpectation | null;

const hm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
/** The wall clock of `now` as a Date whose local fields are it (both libraries read local fields). */
const wallClock = (now: string) => {
  const d = DateTime.fromISO(now);
  return new Date(d.year, d.month - 1, d.day, d.hour, d.minute);
};

export function chronoReading(text: string, now: string, locale = 'en'): Reading {
  const [r] = (locale === 'es' ? chrono.es.casual : chrono.casual).parse(text, wallClock(now), { forwardDate: true });
  if (!r) return null;
  const start = r.start.date();
  const dayKnown = r.start.isCertain('day') || r.start.isCertain('weekday');
  const timeKnown = r.start.isCertain('hour');
  if (r.end) {
    const end = r.end.date();
    if (ymd(start) !== ymd(end)) return { from: ymd(start), to: ymd(end) };
    return { ...(dayKnown ? { date: ymd(start) } : {}), window: [hm(start), hm(end)] };
  }
  const out: DateExpectation = {};
  if (dayKnown || !timeKnown) out.date = ymd(start);
  if (timeKnown) out.time = hm(start);
  return out;
}

const recognizers = { en: new DateTimeRecognizer(Culture.English).getDateTimeModel(), es: new DateTimeRecognizer(Culture.Spanish).getDateTimeModel() };
type Value = { value?: string; start?: string; end?: string };

export function recognizersReading(text: string, now: string, locale = 'en'): Reading {
  const [r] = recognizers[locale === 'es' ? 'es' : 'en'].parse(text, wallClock(now)).filter((x) => x.typeName.startsWith('datetimeV2.'));
  if (!r) return null;
  const values = ((r.resolution?.values ?? []) as Value[]);
  const v = values[values.length - 1];
  if (!v) return null;
  const kind = r.typeName.replace('datetimeV2.', '');
  const time = (s: string) => s.slice(0, 5);
  switch (kind) {
    case 'date':
      return v.value ? { date: v.value } : null;
    case 'time':
      return v.value ? { time: time(v.value) } : null;
    case 'datetime':
      return v.value ? { date: v.value.slice(0, 10), time: time(v.value.slice(11)) } : null;
    case 'daterange':
      return v.start && v.end ? { from: v.start, to: DateTime.fromISO(v.end).minus({ days: 1 }).toISODate()! } : null;
    case 'timerange':
      return v.start && v.end ? { window: [time(v.start), time(v.end)] } : null;
    case 'datetimerange':
      return v.start && v.end ? { date: v.start.slice(0, 10), window: [time(v.start.slice(11)), time(v.end.slice(11))] } : null;
    default:
      return null;
  }
}

const canon = (x: unknown) => JSON.stringify(x, Object.keys((x ?? {}) as object).sort());

export interface ReaderScore {
  reader: string;
  cases: number;
  right: number;
  wrong: number;
  missed: number;
  asked: number;
}

function scoreBare(reader: string, read: (text: string, now: string, locale?: string) => Reading, cases: DateCase[]): ReaderScore {
  const s: ReaderScore = { reader, cases: cases.length, right: 0, wrong: 0, missed: 0, asked: 0 };
  for (const c of cases) {
    let got: Reading = null;
    try {
      got = read(c.text, c.now, c.locale);
    } catch {
      got = null;
    }
    if (!got) s.missed++;
    else if (canon(got) === canon(c.expect)) s.right++;
    else s.wrong++;
  }
  return s;
}

export function compareReaders(cases: DateCase[]): ReaderScore[] {
  // Lookups ('nearest') are our own notion; the bare readers are scored on booking phrasings.
  const booking = cases.filter((c) => (c.prefer ?? 'future') === 'future');
  const ours = scoreDates(booking);
  return [
    scoreBare('chrono-node 2 (casual, forwardDate)', chronoReading, booking),
    scoreBare('Recognizers-Text 1.3 as it comes', recognizersReading, booking),
    { reader: 'ours (Recognizers-Text + clinic rules)', cases: ours.cases, right: ours.right, wrong: ours.wrong, missed: ours.missed, asked: ours.asked },
  ];
}

export function formatReaderScore(s: ReaderScore): string {
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.cases)).toFixed(1)}%`.padStart(6);
  return `${s.reader.padEnd(42)} right ${pct(s.right)}  wrong ${pct(s.wrong)}  not read ${pct(s.missed)}  asked ${pct(s.asked)}`;
}

if (require.main === module) {
  const files = process.argv.slice(2);
  const cases = loadCases(files.length ? files : CORPUS_FILES);
  for (const s of compareReaders(cases)) console.log(formatReaderScore(s));
}
