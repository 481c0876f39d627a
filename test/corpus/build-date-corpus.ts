/**
 * Builds test/corpus/dates.recognizers.en.json from the public specification files of Microsoft
 * Recognizers-Text (MIT licence; https://github.com/microsoft/Recognizers-Text, Specs/DateTime/English).
 * Each spec case is a sentence, a reference time and the resolution the maintainers expect; a case is
 * kept when it asks for one day, instant, time, range or part of a day (not durations, repeats or time
 * zones), and its expectation is rewritten by the clinic's conventions, documented in
 * docs/conversation.md:
 *   - a day given without a year, or a weekday, is the next one (the spec's future resolution);
 *   - a bare hour from 1 to 6 is in the afternoon, 7 to 11 in the morning, 12 is noon;
 *   - a weekday that is the reference's own weekday is ambiguous: the reader must ask.
 *
 *   npx tsx test/corpus/build-date-corpus.ts <Recognizers-Text checkout> [English|Spanish]
 *
 * Spanish (Specs/DateTime/Spanish, written to dates.recognizers.es.json) follows the same conventions,
 * with Spanish words for the half of the day ('de la tarde') and its parts ('por la tarde' is the
 * afternoon, 'por la noche' the evening, as the reader keeps them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { DateExpectation, DateCase } from './date-case';

type SpecResult = {
  Text: string;
  TypeName?: string;
  Type?: string;
  Resolution?: { values?: Array<Record<string, string>> };
  Value?: { Timex?: string; FutureResolution?: Record<string, string>; PastResolution?: Record<string, string> };
};
type Spec = { Input: string; Context?: { ReferenceDateTime?: string }; Results: SpecResult[]; NotSupported?: string; NotSupportedByDesign?: string };

const FILES = ['DateTimeModel', 'DateParser', 'TimeParser', 'DatePeriodParser', 'DateTimeParser', 'TimePeriodParser', 'DateTimePeriodParser'];
const MERIDIEM_EN = /(\d|\b)(a\.?m\.?|p\.?m\.?|am|pm)\b|\b(morning|afternoon|evening|night|tonight|noon|midnight|lunch|dinner|breakfast)\b|\d\s*[ap]\b|o'clock in|\bin \d+ (hours?|minutes?|mins?)\b/i;
const MERIDIEM_ES = /(\d|\b)(a\.?m\.?|p\.?m\.?|am|pm)\b|\b(de|por|en) la (mañana|tarde|noche)\b|\b(mediod[ií]a|medianoche|madrugada|esta noche)\b/i;
let MERIDIEM = MERIDIEM_EN;

/** The clinic's reading of an hour written without am or pm. */
export function clinicHour(hour: number): number {
  if (hour >= 1 && hour <= 6) return hour + 12;
  return hour;
}

function timeOf(hhmmss: string, text: string, explicit24: boolean): string {
  let [h, m] = hhmmss.split(':').map(Number);
  // Only an hour the phrase gave as a bare number from 1 to 6 moves to the afternoon; the spec's
  // reading stands when the phrase says which half of the day, or is 24-hour clock.
  if (h >= 1 && h <= 6 && !MERIDIEM.test(text) && !explicit24) h = clinicHour(h);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

const is24 = (text: string) =>
  /\b(0\d|1[3-9]|2[0-3])[:h.]\d\d\b|\b(1[3-9]|2[0-3])\s*(to|-|until|till|and)\b|\b(to|until|till|and|from|at)\s+(1[3-9]|2[0-3])\b(?!\s*(st|nd|rd|th|of|\/))/.test(text);

/** Parts of the day as the clinic keeps them (Recognizers-Text ends the afternoon at 4). */
const PARTS_EN: Array<[RegExp, [string, string]]> = [
  [/\bmorning\b/i, ['08:00', '12:00']],
  [/\bafternoon\b/i, ['12:00', '17:00']],
  [/\b(evening|evenings)\b/i, ['17:00', '21:00']],
  [/\b(night|tonight)\b/i, ['20:00', '23:59']],
];
const PARTS_ES: Array<[RegExp, [string, string]]> = [
  [/\b(por|de|en|a) la mañana\b|\besta mañana\b/i, ['08:00', '12:00']],
  [/\b(por|de|en|a) la tarde\b|\besta tarde\b|^tarde$/i, ['12:00', '17:00']],
  [/\b(por|de|en|a) la noche\b|\besta noche\b/i, ['17:00', '21:00']],
];
let PARTS = PARTS_EN;

/** A part of the day said plainly, with no clock time and not 'early' or 'late': the clinic's span. */
function plainPart(text: string, window: [string, string]): [string, string] {
  if (/\b(early|late|mid|middle|later|temprano|primera hora|última hora)\b|-(morning|afternoon|evening|night)|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)\b/i.test(text)) return window;
  return PARTS.find(([re]) => re.test(text))?.[1] ?? window;
}

/** A window whose end came out before its start ('4:00 to 7') ends the same afternoon. */
function windowOf(a: string, b: string): [string, string] {
  const [h1, m1] = a.split(':').map(Number);
  const [h2, m2] = b.split(':').map(Number);
  if (h2 * 60 + m2 <= h1 * 60 + m1 && h2 + 12 < 24 && (h2 + 12) * 60 + m2 > h1 * 60 + m1) return [a, `${String(h2 + 12).padStart(2, '0')}:${String(m2).padStart(2, '0')}`];
  return [a, b];
}

/** An end said in words ('to the 22nd', 'between 3 and 12') is the last day; a named period's end is the day after. */
const explicitEnd = (text: string) => /\b(to|through|thru|till|until|between|al|hasta|entre)\b|\d\s*[-–]\s*\d/.test(text);

/** Readings twelve hours apart with nothing said of which: the clinic's hour. */
function clinicOf(times: string[], text: string): string {
  const uniq = [...new Set(times)];
  if (uniq.length === 1) return timeOf(uniq[0], text, is24(text));
  const [h, m] = uniq.map((t) => t.split(':').map(Number)).sort((a, b) => a[0] - b[0])[0];
  if (MERIDIEM.test(text)) return timeOf(`${h}:${m}`, text, true);
  const base = h % 12 === 0 ? 12 : h % 12;
  return `${String(clinicHour(base)).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function fromModel(r: SpecResult, ref: DateTime): DateExpectation | null {
  const values = r.Resolution?.values ?? [];
  if (values.length === 0 || values.some((v) => !v.value && !v.start && !v.end) && !values.some((v) => v.value || v.start)) return null;
  const type = (r.TypeName ?? '').replace('datetimeV2.', '');
  const future = (vs: Array<Record<string, string>>) => vs[vs.length - 1];
  const text = r.Text;
  switch (type) {
    case 'date': {
      const v = future(values);
      if (values.length === 2 && DateTime.fromISO(values[1].value).weekday === ref.weekday && /^XXXX-WXX-\d$/.test(v.timex)) return { ask: true };
      // Today is the next such day, not a year on.
      if (values.some((x) => x.value === ref.toISODate())) return { date: ref.toISODate()! };
      return { date: v.value };
    }
    case 'datetime': {
      if (/REF/.test(values[0].timex)) return values[0].timex === 'FUTURE_REF' ? { asap: true } : null;
      const date = future(values).value.split(' ')[0];
      const times = values.filter((x) => x.value.startsWith(date)).map((x) => x.value.split(' ')[1]);
      return { date, time: clinicOf(times, text) };
    }
    case 'time': {
      const times = values.filter((x) => x.value).map((x) => x.value);
      if (times.length === 0) return null;
      return { time: clinicOf(times, text) };
    }
    case 'daterange': {
      const v = future(values);
      if (!v.start || !v.end) return null;
      const to = DateTime.fromISO(v.end).minus({ days: explicitEnd(text) ? 0 : 1 }).toISODate()!;
      return { from: v.start, to };
    }
    case 'timerange': {
      const v = values.find((x) => x.start && x.end);
      if (!v) return null;
      return { window: plainPart(r.Text, windowOf(timeOf(v.start, text, is24(text)), timeOf(v.end, text, is24(text)))) };
    }
    case 'datetimerange': {
      const v = future(values.filter((x) => x.start && x.end));
      if (!v) return null;
      const [d1, t1] = v.start.split(' ');
      const [d2, t2] = v.end.split(' ');
      if (d1 !== d2) return null;
      return { date: d1, window: plainPart(r.Text, windowOf(timeOf(t1, text, is24(text)), timeOf(t2, text, is24(text)))) };
    }
    default:
      return null;
  }
}

function fromParser(r: SpecResult, ref: DateTime): DateExpectation | null {
  const f = r.Value?.FutureResolution;
  const timex = r.Value?.Timex ?? '';
  if (!f) return null;
  const text = r.Text;
  switch (r.Type) {
    case 'date':
      if (/^XXXX-WXX-\d$/.test(timex) && Number(timex.slice(-1)) === ref.weekday) return { ask: true };
      if (r.Value?.PastResolution?.date === ref.toISODate()) return { date: ref.toISODate()! };
      return f.date && f.date !== 'not resolved' ? { date: f.date } : null;
    case 'time':
      return f.time ? { time: timeOf(f.time, text, is24(text)) } : null;
    case 'datetime': {
      if (/REF/.test(timex)) return timex === 'FUTURE_REF' ? { asap: true } : null;
      if (!f.dateTime) return null;
      const [date, time] = f.dateTime.split(' ');
      return { date, time: timeOf(time, text, is24(text)) };
    }
    case 'daterange':
      if (!f.startDate || !f.endDate) return null;
      return { from: f.startDate, to: DateTime.fromISO(f.endDate).minus({ days: explicitEnd(text) ? 0 : 1 }).toISODate()! };
    case 'timerange':
      if (!f.startTime || !f.endTime) return null;
      return { window: plainPart(r.Text, windowOf(timeOf(f.startTime, text, is24(text)), timeOf(f.endTime, text, is24(text)))) };
    case 'datetimerange': {
      if (!f.startDateTime || !f.endDateTime) return null;
      const [d1, t1] = f.startDateTime.split(' ');
      const [d2, t2] = f.endDateTime.split(' ');
      if (d1 !== d2) return null;
      return { date: d1, window: plainPart(r.Text, windowOf(timeOf(t1, text, is24(text)), timeOf(t2, text, is24(text)))) };
    }
    default:
      return null;
  }
}

/** What is not an appointment request, by language: vague periods, holidays, the past. */
const SKIP = {
  English: [
    /year|decade|century|quarter|season|summer|winter|spring|fall|holiday|christmas|easter|thanksgiving|halloween|day of|weekend|ago|before that|since|until|till|last|past|previous|earlier|\bq[1-4]\b|\bh[12]\b|week \d|of the (week|month)|end of|fifth|should be/i,
    /\b(went|was|were|happened|drank|finished|has been|had|did|sales|weather|strike|partner|alarm|eod|eoy|the day|my day)\b| : /i,
    /\b(today|tomorrow|tonight)\b/i,
  ],
  Spanish: [
    /año|década|siglo|trimestre|semestre|temporada|verano|invierno|primavera|otoño|navidad|pascua|festivo|fin de semana|hace |desde|hasta|último|ultimo|pasad|anterior|semana \d|del mes|fin de|final de|quinto|principios|mediados|víspera|vispera|cumpleaños|\bq[1-4]\b/i,
    /\b(fue|fui|fuimos|era|estuvo|estaba|pasó|paso|terminé|termine|hubo|había|habia|volví|regresé|anoche|anteayer|celebr\w*|ventas|clima|tiempo hará|alarma|en el día|finalizar el día)\b| : /i,
    /\b(hoy|mañana|esta noche|pasado mañana)\b/i,
  ],
} as const;

function main(): void {
  const root = process.argv[2];
  const language = (process.argv[3] ?? 'English') as keyof typeof SKIP;
  if (!root || !SKIP[language]) throw new Error('usage: tsx test/corpus/build-date-corpus.ts <Recognizers-Text checkout> [English|Spanish]');
  if (language === 'Spanish') {
    MERIDIEM = MERIDIEM_ES;
    PARTS = PARTS_ES;
  }
  const [vague, notARequest, namesADay] = SKIP[language];
  const cases: DateCase[] = [];
  const seen = new Set<string>();
  for (const file of FILES) {
    const specFile = path.join(root, `Specs/DateTime/${language}`, `${file}.json`);
    if (!fs.existsSync(specFile)) continue;
    const specs = JSON.parse(fs.readFileSync(specFile, 'utf8').replace(/^\uFEFF/, '')) as Spec[];
    for (const s of specs) {
      if (s.NotSupported || s.NotSupportedByDesign || s.Results.length !== 1 || s.Input.length > 80) continue;
      const refText = s.Context?.ReferenceDateTime ?? (file === 'TimeParser' ? '2016-11-07T00:00:00' : undefined);
      if (!refText) continue;
      const ref = DateTime.fromISO(refText);
      const r = s.Results[0];
      // Skip holidays and vague periods ('the weekend', 'this year'): not how an appointment is asked for.
      if (vague.test(s.Input)) continue;
      // Said of the past, or not a request at all: not how anyone asks for an appointment.
      if (notARequest.test(s.Input)) continue;
      const expect = file === 'DateTimeModel' ? fromModel(r, ref) : fromParser(r, ref);
      if (!expect || Object.values(expect).some((v) => v === null || v === 'not resolved' || String(v).startsWith('0001'))) continue;
      // Overnight spans are not clinic hours; a day named in the phrase must be in the expectation.
      if (expect.window && expect.window[1] <= expect.window[0]) continue;
      if (namesADay.test(s.Input) && !expect.date && !expect.from) continue;
      const key = `${s.Input.toLowerCase()}|${refText}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cases.push({ text: s.Input, now: refText.slice(0, 16), expect, source: `Recognizers-Text Specs/DateTime/${language}/${file}.json` });
    }
  }
  const out = path.join(__dirname, `dates.recognizers.${language === 'Spanish' ? 'es' : 'en'}.json`);
  fs.writeFileSync(out, `${JSON.stringify(cases, null, 1)}\n`);
  console.log(`${cases.length} cases written to ${out}`);
}

main();
