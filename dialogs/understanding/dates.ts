import { DateTimeRecognizer } from '@microsoft/recognizers-text-date-time';
import { Culture } from '@microsoft/recognizers-text-number';
import { DateTime } from 'luxon';
import { catalog, DEFAULT_LOCALE, formatIn } from '../../src/i18n/catalog';

/**
 * Days and times as a clinic receptionist reads them. Microsoft Recognizers-Text (the recognizer Bot
 * Framework's own prompts use) finds and resolves the phrase; it keeps every reading it cannot rule
 * out (last Friday and this Friday; 3 AM and 3 PM), and the clinic's rules below choose among them:
 *
 * - A bare hour is read in clinic hours: 1 to 6 is afternoon, 7 to 11 morning, 12 noon ("at 3" is
 *   3 PM, "at 9" 9 AM). "7p", "1030", "10.30", "half past 3", "a quarter to 11" mean what people mean.
 * - A day is the next one (booking) or the nearest one (a doctor's own schedule, where last Friday is
 *   a real question); the reader says so when it moved into another year, so a reply can name it.
 * - A weekday said on that same weekday, with no time still ahead today, could be today or a week on:
 *   that is a question, never a guess.
 * - Spans are spans: "next week", "rest of the week", "within 2 weeks", "after lunch", "by 2pm".
 * - "ASAP", "first available", "earliest" mean the soonest free time.
 *
 * What Recognizers-Text does not read at all (ordinal days, "friday after next", "after 5") is read by
 * the small rules at the top; nothing else here parses dates by hand.
 */

export interface Window {
  /** Minutes after local midnight, [start, end). */
  start: number;
  end: number;
}

export type WhenReading =
  | { kind: 'day'; date: string; time?: number; window?: Window; yearShown: boolean }
  | { kind: 'range'; from: string; to: string; window?: Window; yearShown: boolean }
  | { kind: 'time'; time?: number; window?: Window }
  | { kind: 'asap' }
  | { kind: 'ask'; question: string; options: Array<{ label: string; reading: WhenReading }> };

export interface ReadOptions {
  /** The person's IANA zone: "today" and every wall-clock time are theirs. */
  zone: string;
  now: number;
  /** 'future' for booking; 'nearest' for looking things up (a schedule, a day off already taken). */
  prefer?: 'future' | 'nearest';
  /** The language the message is in: 'es' reads it with Recognizers-Text's Spanish model. */
  locale?: string;
}

/** What was read, and where in the text (so the rest of the message can be read for other things). */
export interface WhenFound {
  reading: WhenReading;
  /** Where in `text`, the message as the reader normalised it (lower case, '1030' as '10:30'). */
  start: number;
  end: number;
  text: string;
}

const END_OF_DAY = 24 * 60 - 1;
/** Parts of the day as the clinic keeps them (Recognizers-Text's own end the afternoon at 4). */
const DAY_PARTS: Record<string, Window> = {
  morning: { start: 8 * 60, end: 12 * 60 },
  afternoon: { start: 12 * 60, end: 17 * 60 },
  evening: { start: 17 * 60, end: 21 * 60 },
  night: { start: 20 * 60, end: END_OF_DAY },
  lunch: { start: 12 * 60, end: 14 * 60 },
};
const PART_TIMEX: Record<string, keyof typeof DAY_PARTS> = { TMO: 'morning', TAF: 'afternoon', TEV: 'evening', TNI: 'night' };

/** The clinic's part of the day a phrase names plainly ('afternoon', not 'late afternoon'), if any. */
function plainPart(matched: string, timex: string): Window | null {
  // Spanish parts of the day: 'por la tarde' is the afternoon (Recognizers calls it evening),
  // 'por la mañana' the morning ('mañana' alone is tomorrow), 'por la noche' the evening. A date's
  // digits ('el 7 de diciembre por la tarde') do not count against it; a clock time does.
  if (!/\ba las?\b|\d:\d\d|\d\s*(am|pm)\b|\btemprano\b|primera hora|última hora/.test(matched)) {
    if (/\b(por|de|en|a|la|esta) tarde\b|^tarde$/.test(matched)) return DAY_PARTS.afternoon;
    if (/\b(por|de|en|a|esta) la mañana\b|\besta mañana\b|^la mañana$/.test(matched)) return DAY_PARTS.morning;
    if (/\b(por|de|en|a) la noche\b|\b(esta|la) noche\b/.test(matched)) return DAY_PARTS.evening;
  }
  // With clock times ('5 to seven in the morning') the part of the day only says which half.
  if (/\b(early|late|mid|middle|later)\b|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b/.test(matched)) return null;
  if (/\b(al )?mediod[ií]a\b/.test(matched)) return DAY_PARTS.lunch;
  const code = /T(MO|AF|EV|NI)$/.exec(timex)?.[0].slice(1);
  if (code && PART_TIMEX[`T${code}`]) return DAY_PARTS[PART_TIMEX[`T${code}`]];
  const word = Object.keys(DAY_PARTS).find((p) => new RegExp(`\\b${p}(time)?\\b`).test(matched));
  return word ? DAY_PARTS[word] : null;
}
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const WEEKDAY = '(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)';
const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12 };

/** A bare hour (no am/pm) in clinic hours. */
export function clinicHour(hour: number): number {
  return hour >= 1 && hour <= 6 ? hour + 12 : hour;
}

const MERIDIEM = /(\d|\b)(a\.?m\.?|p\.?m\.?|am|pm)\b|\b(morning|afternoon|evening|night|tonight|noon|midnight)\b|\d\s*[ap]\b|\bin \d+ (hours?|minutes?|mins?)\b/i;
const MERIDIEM_ES = /\d\s*(a\.m\.|p\.m\.)|\b(am|pm)\b|\b(de|por|en) la (mañana|tarde|noche)\b|\b(madrugada|mediod[ií]a|medianoche|esta noche|esta tarde|esta mañana)\b/i;

const models = new Map<string, ReturnType<DateTimeRecognizer['getDateTimeModel']>>();
function model(locale = 'en') {
  const culture = locale === 'es' ? Culture.Spanish : Culture.English;
  let m = models.get(culture);
  if (!m) models.set(culture, (m = new DateTimeRecognizer(culture).getDateTimeModel()));
  return m;
}

/** Spanish words that may be a day or a time; other messages skip the recognizer. */
const DATEISH_ES =
  /\d|\b(hoy|mañana|manana|pasado|ayer|semana|finde|mes|tarde|noche|mediod[ií]a|almuerzo|comida|comer|antes|pronto|posible|próxim[oa]|proxim[oa]|siguiente|que viene|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|libre|disponible)\b/i;

/** Anything that could be a day or a time; other messages ("yes", "2", "skin doctor") skip the recognizer. */
const DATEISH = new RegExp(
  [
    '\\d',
    '\\b(today|tonight|tomorrow|tmrw|tmr|yesterday|week|weekend|month|morning|afternoon|evening|night|noon|midnight|lunch|asap|soon|soonest|earliest|available|now|later|next|this|coming|rest|within|after|before|by|until|till)\\b',
    `\\b${WEEKDAY}\\b`,
    '\\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\b',
    '\\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half|quarter|first|second|third|fifteenth|twentieth|thirtieth)\\b',
  ].join('|'),
  'i',
);

const cache = new Map<string, WhenFound | null>();

/** The day or time in `text`, or null when there is none. */
export function findWhen(text: string, opts: ReadOptions): WhenFound | null {
  const key = `${opts.locale ?? 'en'}|${opts.zone}|${Math.floor(opts.now / 60_000)}|${opts.prefer ?? 'future'}|${text}`;
  if (cache.has(key)) return cache.get(key)!;
  const read_ = read(text, opts);
  const found: WhenFound | null = read_ ? { ...read_, text: normalize(text) } : null;
  if (cache.size > 5000) cache.clear();
  cache.set(key, found);
  return found;
}

export function readWhen(text: string, opts: ReadOptions): WhenReading | null {
  return findWhen(text, opts)?.reading ?? null;
}

type Local = DateTime<boolean>;

type Found = Omit<WhenFound, 'text'>;

function read(raw: string, opts: ReadOptions): Found | null {
  const spanish = opts.locale === 'es';
  const text = spanish ? normalizeEs(raw) : normalize(raw);
  if (!text.trim() || !(spanish ? DATEISH_ES : DATEISH).test(text)) return null;
  const now = DateTime.fromMillis(opts.now, { zone: opts.zone });
  const ctx: Ctx = { now, prefer: opts.prefer ?? 'future', locale: opts.locale };

  const early = spanish ? earlyRulesEs(text, ctx) : earlyRules(text, ctx);
  if (early) return early;

  // Recognizers works on a Date whose local fields are the person's wall clock; what it returns is
  // wall clock again, rebuilt in their zone below, so the server's own zone never matters.
  const reference = new Date(now.year, now.month - 1, now.day, now.hour, now.minute);
  const results = model(opts.locale)
    .parse(text, reference)
    .filter((r) => /^datetimeV2\.(date|time|datetime|daterange|timerange|datetimerange|duration)$/.test(r.typeName));
  const kinds = results.map((r) => r.typeName.replace('datetimeV2.', ''));
  // Only a plain day (or nothing) leaves room for a time it did not read; a range already has its ends.
  if (kinds.every((k) => k === 'date')) {
    // What it does not read: 'the 15th', 'after 5', 'between 2 and 4'.
    const late = lateRules(text, ctx, results.length > 0);
    if (late) return late;
  }
  if (results.length === 0) return null;

  let reading: WhenReading | null = null;
  let start = Infinity;
  let end = -1;
  for (const r of results) {
    const piece = resolve(r.typeName.replace('datetimeV2.', ''), r.text, (r.resolution?.values ?? []) as Value[], ctx, text);
    if (!piece) continue;
    reading = reading ? merge(reading, piece, ctx) : piece;
    start = Math.min(start, r.start);
    end = Math.max(end, r.end + 1);
  }
  if (!reading) return null;
  return { reading: weekdayAgrees(openEnded(finish(reading, ctx, text), text.slice(0, start)), text, ctx), start, end };
}

/**
 * 'Fri, Jul 18' when the 18th of July is a Thursday this year: the year in which they agree, the
 * nearest; when no year near agrees, a question rather than a guess.
 */
function weekdayAgrees(reading: WhenReading, text: string, ctx: Ctx): WhenReading {
  if (reading.kind !== 'day') return reading;
  const named = new RegExp(`\\b${WEEKDAY}\\b`).exec(text);
  const monthDay = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|\b\d{1,2}(st|nd|rd|th)? (of )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\b\d{1,2}\/\d{1,2}\b/.test(text);
  if (!named || !monthDay || /\d{4}/.test(text)) return reading;
  const wd = weekdayIndex(named[1]);
  const date = DateTime.fromISO(reading.date, { zone: ctx.now.zoneName! });
  if (date.weekday === wd) return reading;
  // This year or next (last year too when looking things up); further off is more likely a slip.
  const today0 = ctx.now.startOf('day');
  const candidates = (ctx.prefer === 'future' ? [0, 1] : [-1, 0, 1])
    .map((y) => date.set({ year: ctx.now.year + y }))
    .filter((d) => d.isValid && d.month === date.month && d.weekday === wd && (ctx.prefer !== 'future' || d >= today0));
  if (candidates.length === 0) {
    const label = (d: DateTime) => say(ctx, d, 'format.date');
    const sameWeekday = date.plus({ days: ((wd - date.weekday + 7) % 7) - (((wd - date.weekday + 7) % 7) > 3 ? 7 : 0) });
    return {
      kind: 'ask',
      question: text_(ctx, 'dates.wrongWeekday', { date: say(ctx, date, 'format.dayMonth'), weekday: say(ctx, date, 'format.weekday'), a: label(date), b: label(sameWeekday) }),
      options: [
        { label: label(date), reading: dayReading(date, ctx) },
        { label: label(sameWeekday), reading: dayReading(sameWeekday, ctx) },
      ],
    };
  }
  const today = ctx.now.startOf('day').toMillis();
  const nearest = candidates.sort((a, b) => Math.abs(a.toMillis() - today) - Math.abs(b.toMillis() - today))[0];
  return { ...reading, date: iso(nearest), yearShown: nearest.year !== ctx.now.year };
}

/** 'through 2pm', 'from 2 pm', 'no later than 11': a time with one side open is a window. */
function openEnded(reading: WhenReading, before: string): WhenReading {
  if ((reading.kind !== 'time' && reading.kind !== 'day') || reading.time === undefined || reading.window) return reading;
  const { time, ...rest } = reading;
  if (/\b(through|thru|until|till|by|before|no later than|up to|not after|hasta|antes de)( las?)?\s*$/.test(before)) return { ...rest, window: { start: 0, end: time } };
  if (/\b(from|after|starting(?: at| from)?|any ?time after|later than|not before|no earlier than|desde|a partir de|después de|despues de)( las?)?\s*$/.test(before)) return { ...rest, window: { start: time, end: END_OF_DAY } };
  return reading;
}

/** A question's words, and a day as the person reads it, in their language (the catalogs). */
const text_ = (ctx: Ctx, key: string, vars: Record<string, unknown>) => catalog().t(ctx.locale ?? DEFAULT_LOCALE, key, vars);
const say = (ctx: Ctx, d: DateTime, key: string) => formatIn(d, key, ctx.locale ?? DEFAULT_LOCALE);

interface Ctx {
  now: Local;
  prefer: 'future' | 'nearest';
  locale?: string;
}

type Value = { timex?: string; type?: string; value?: string; start?: string; end?: string; Mod?: string };

/** Spelling a recognizer should not stumble on: '1030' and '10.30' as 10:30, 'noonish' as noon. */
export function normalize(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/@/g, ' at ')
    .replace(/\b(at)\s+(\d{1,4}(?::\d\d)?)\s*ish\b/g, '$1 $2')
    .replace(/(?<![-–]\s*)\b(\d{1,4}(?::\d\d)?)\s*ish\b/g, 'around $1')
    .replace(/\b(\d{1,2}(?::\d\d)?)\s*ish\b/g, '$1')
    .replace(/\b(morning|afternoon|evening)ish\b/g, '$1')
    .replace(/\btomorrows\b/g, 'tomorrow')
    // '1030' and '10.30' are times only where a time is meant: after 'at', or with am/pm, or alone.
    .replace(/\b(at|@)\s+(\d{1,2})[.]?(\d{2})\b(?![/.-]\d)/g, (m, at, h, mm) => (Number(h) < 24 && Number(mm) < 60 ? `${at} ${h}:${mm}` : m))
    .replace(/\b(by|after|before)\s+(1[0-2]|[1-9])[.]?([0-5]\d)\b(?![/.-]\d)/g, '$1 $2:$3')
    .replace(/(?<![\d.])\b(\d{1,2})[.]?([0-5]\d)\s*(am|pm|a\.m\.|p\.m\.)/g, '$1:$2 $3')
    .replace(/^(\d{1,2})(\d{2})$/g, (m, h, mm) => (Number(h) < 24 && Number(mm) < 60 ? `${h}:${mm}` : m))
    .replace(/\b(\d{1,2})(?::(\d{2}))?\s*(a|p)\b(?!\.?m)/g, (_m, h, mm, ap) => `${h}:${mm ?? '00'}${ap}m`)
    .replace(/\bin the (a\.?m\.?|p\.?m\.?)(?=\s|$)/g, '$1')
    .replace(/\b(\d{1,2})h(\d{2})?\b/g, (_m, h, mm) => `${h}:${mm ?? '00'}`)
    .replace(/\b(at|@) (\d{1,2}) ([0-5]\d)\b/g, '$1 $2:$3')
    .replace(/\b(five|ten|twenty|twenty-five|quarter|\d{1,2}) after (\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?=\s*(?:am|pm)?\b)/g, '$1 past $2')
    .replace(/\bhalf (\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?! (past|to))/g, 'half past $1')
    .replace(/^(\d{1,2}(?::\d\d)?\s*(?:am|pm)?) (tomorrow|today|tonight|this morning|this afternoon|this evening)\b/, '$2 at $1')
    .replace(/^(sat|sun)\.?(?=$|,| at | \d)/, (_m, d) => (d === 'sat' ? 'saturday' : 'sunday'))
    .replace(/\b(noonish|midday|mid-day|mid day)\b/g, 'noon')
    .replace(/\bmid-?morning\b/g, '10am')
    .replace(/\bmid-?afternoon\b/g, '2pm')
    .replace(/\btonite\b/g, 'tonight')
    .replace(/\b(morning|afternoon|evening)s\b/g, '$1')
    .replace(/\btmrw?\b/g, 'tomorrow')
    .replace(/\s+/g, ' ')
    .trim();
}

const iso = (d: Local) => d.toISODate()!;
const hm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const minutesOf = (hhmmss: string) => {
  const [h, m] = hhmmss.split(':').map(Number);
  return h * 60 + m;
};

function dayReading(date: Local, ctx: Ctx, extra: { time?: number; window?: Window } = {}): WhenReading {
  return { kind: 'day', date: iso(date), ...extra, yearShown: date.year !== ctx.now.year };
}

/** Clinic rules for what Recognizers-Text reads wrongly: tried before it. */
function earlyRules(text: string, ctx: Ctx): Found | null {
  const span = (m: RegExpExecArray) => ({ start: m.index, end: m.index + m[0].length });
  let m: RegExpExecArray | null;

  if ((m = /\b(asap|as soon as possible|first available|earliest|soonest|next available|whenever is soonest|anytime soon|first (?:free|open) (?:time|slot|appointment))\b/.exec(text))) {
    return { reading: { kind: 'asap' }, ...span(m) };
  }
  // '20th of next month', 'the 3rd of this month'.
  if ((m = /\b(?:the )?(\d{1,2})(?:st|nd|rd|th)? of (?:the )?(next|this|current|coming|following) month\b/.exec(text))) {
    const month = ctx.now.startOf('month').plus({ months: m[2] === 'this' || m[2] === 'current' ? 0 : 1 });
    const day = Number(m[1]);
    if (day >= 1 && day <= month.daysInMonth!) return { reading: dayReading(month.set({ day }), ctx), ...span(m) };
  }
  // 'after lunch' (Recognizers reads 'lunch' alone, as noon to two).
  if (/\b(after|before) (lunch|lunchtime)\b/.test(text)) return lateRules(text, ctx, false);
  // 'friday after next': the Friday of the week after next week's.
  if ((m = new RegExp(`\\b${WEEKDAY} after next\\b`).exec(text))) {
    const wd = weekdayIndex(m[1]);
    let d = ctx.now.plus({ days: 1 });
    while (d.weekday !== wd) d = d.plus({ days: 1 });
    const rest = readRest(text, m.index + m[0].length, ctx);
    return { reading: dayReading(d.plus({ days: 7 }), ctx, timeOf(rest)), start: m.index, end: rest?.end ?? m.index + m[0].length };
  }
  // 'within 2 weeks', 'in the next 10 days'.
  if ((m = /\b(?:within|in the next|over the next|in the coming)\s+(\d{1,2}|a|one|two|three|four)\s+(day|week)s?\b/.exec(text))) {
    const n = /\d/.test(m[1]) ? Number(m[1]) : m[1] === 'a' ? 1 : NUMBER_WORDS[m[1]];
    const to = ctx.now.plus({ days: m[2] === 'week' ? 7 * n : n });
    return { reading: { kind: 'range', from: iso(ctx.now), to: iso(to), yearShown: to.year !== ctx.now.year }, ...span(m) };
  }
  // A weekday and a day of the month: 'Tuesday the 19th' is the next 19th that is a Tuesday.
  if ((m = new RegExp(`\\b${WEEKDAY},? (?:the )?(\\d{1,2})(?:st|nd|rd|th)\\b`).exec(text))) {
    const wd = weekdayIndex(m[1]);
    const day = Number(m[2]);
    for (let i = 0, d = ctx.now.startOf('month'); i < 24; i++, d = d.plus({ months: 1 })) {
      if (day > d.daysInMonth!) continue;
      const c = d.set({ day });
      if (c < ctx.now.startOf('day') || c.weekday !== wd) continue;
      const rest = readRest(text, m.index + m[0].length, ctx);
      return { reading: dayReading(c, ctx, timeOf(rest)), start: m.index, end: rest?.end ?? m.index + m[0].length };
    }
  }
  // 'the 15th at 9' (Recognizers reads the 9 and drops the day): a day of the month with no month.
  if (!MONTH_WORD.test(text) && (m = ORDINAL_DAY.exec(text))) {
    const found = ordinalDay(text, m, ctx);
    if (found) return found;
  }
  return null;
}

/** Clinic rules for what Recognizers-Text does not read at all: tried when it found no time. */
function lateRules(text: string, ctx: Ctx, foundDay: boolean): Found | null {
  let m: RegExpExecArray | null;
  // 'the 15th', 'on the 3rd at 2': the next such day of a month.
  if (!foundDay && ctx.locale !== 'es' && (m = ORDINAL_DAY.exec(text))) {
    const found = ordinalDay(text, m, ctx);
    if (found) return found;
  }
  // 'after 5', 'before 11', 'by 2pm', 'between 2 and 4', 'after lunch': a window of the day.
  const window = ctx.locale === 'es' ? windowRuleEs(text) : windowRule(text);
  if (window) {
    const before = text.slice(0, window.start).trim();
    const dayPart = before ? read(before, { zone: ctx.now.zoneName!, now: ctx.now.toMillis(), prefer: ctx.prefer, locale: ctx.locale }) : null;
    if (dayPart && dayPart.reading.kind === 'day' && dayPart.reading.time === undefined) {
      return { reading: { ...dayPart.reading, window: window.window }, start: dayPart.start, end: window.end };
    }
    if (dayPart && dayPart.reading.kind === 'range') return { reading: { ...dayPart.reading, window: window.window }, start: dayPart.start, end: window.end };
    const after = text.slice(window.end).trim();
    const dayAfter = after ? read(after, { zone: ctx.now.zoneName!, now: ctx.now.toMillis(), prefer: ctx.prefer, locale: ctx.locale }) : null;
    if (dayAfter && (dayAfter.reading.kind === 'day' || dayAfter.reading.kind === 'range') && !('time' in dayAfter.reading && dayAfter.reading.time !== undefined)) {
      return { reading: { ...dayAfter.reading, window: window.window }, start: window.start, end: window.end + 1 + dayAfter.end };
    }
    return { reading: { kind: 'time', window: window.window }, start: window.start, end: window.end };
  }
  return null;
}

const MONTH_WORD = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\bmonth\b/;
const ORDINAL_DAY = /\b(?:on )?the (\d{1,2})(?:st|nd|rd|th)\b(?! of| (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))/;

/** The next day of a month with that number ('the 15th'), with a time said after it. */
function ordinalDay(text: string, m: RegExpExecArray, ctx: Ctx): Found | null {
  const day = Number(m[1]);
  if (day < 1 || day > 31) return null;
  let d = ctx.now.startOf('month');
  for (let i = 0; i < 13 && (day > d.daysInMonth! || d.set({ day }) < ctx.now.startOf('day')); i++) d = d.plus({ months: 1 });
  const rest = readRest(text, m.index + m[0].length, ctx);
  return { reading: dayReading(d.set({ day }), ctx, timeOf(rest)), start: m.index, end: rest?.end ?? m.index + m[0].length };
}

/** A time said after a day ('the 15th at 9'), and where it ends in `text`: the rest may be a doctor's name. */
function readRest(text: string, from: number, ctx: Ctx): { time?: number; window?: Window; end: number } | null {
  const rest = text.slice(from);
  const found = rest.trim() ? read(rest, { zone: ctx.now.zoneName!, now: ctx.now.toMillis(), prefer: ctx.prefer, locale: ctx.locale }) : null;
  if (!found || found.reading.kind !== 'time') return null;
  const lead = rest.length - rest.trimStart().length;
  return { time: found.reading.time, window: found.reading.window, end: from + lead + found.end };
}

const timeOf = (rest: { time?: number; window?: Window } | null) => (rest ? { time: rest.time, window: rest.window } : {});

function hourOf(h: string, min: string | undefined, meridiem: string | undefined): number | null {
  let hour = NUMBER_WORDS[h] ?? Number(h);
  const minute = min ? Number(min) : 0;
  if (!Number.isFinite(hour) || hour > 23 || minute > 59) return null;
  if (meridiem?.startsWith('p') && hour < 12) hour += 12;
  else if (meridiem?.startsWith('a') && hour === 12) hour = 0;
  else if (!meridiem && hour <= 12) hour = clinicHour(hour);
  return hour * 60 + minute;
}

const CLOCK = '(\\d{1,2}(?!\\d)|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?::(\\d{2}))?\\s*(am|pm|a\\.m\\.|p\\.m\\.)?(?![\\d/.-])';

function windowRule(text: string): { window: Window; start: number; end: number } | null {
  let m: RegExpExecArray | null;
  if ((m = /\b(after|before) (lunch|lunchtime)\b/.exec(text))) {
    return { window: m[1] === 'after' ? { start: 13 * 60, end: END_OF_DAY } : { start: 0, end: 12 * 60 }, start: m.index, end: m.index + m[0].length };
  }
  if ((m = new RegExp(`\\bbetween ${CLOCK} and ${CLOCK}`).exec(text))) {
    const a = hourOf(m[1], m[2], m[3] ?? m[6]);
    const b = hourOf(m[4], m[5], m[6]);
    if (a !== null && b !== null && b > a) return { window: { start: a, end: b }, start: m.index, end: m.index + m[0].length };
  }
  if ((m = new RegExp(`\\b(after|from|before|by|until|till) ${CLOCK}(?!\\s*(?:-|to|until|till)\\s*\\d)(?!\\s*(?:st|nd|rd|th|days?|weeks?|of|/))`).exec(text))) {
    const minutes = hourOf(m[2], m[3], m[4]);
    if (minutes === null) return null;
    const w = m[1] === 'after' || m[1] === 'from' ? { start: minutes, end: END_OF_DAY } : { start: 0, end: minutes };
    return { window: w, start: m.index, end: m.index + m[0].length };
  }
  return null;
}

function weekdayIndex(word: string): number {
  return WEEKDAYS.findIndex((d) => d.startsWith(word.slice(0, 3))) + 1;
}

/** A Recognizers-Text resolution, with its alternatives narrowed by the clinic's rules. */
function resolve(type: string, matched: string, values: Value[], ctx: Ctx, text: string): WhenReading | null {
  // In Spanish 'a' is 'to' ('de 5 a 6'), never 'am': only its own words say which half of the day.
  const explicitHalf = (ctx.locale === 'es' ? MERIDIEM_ES : MERIDIEM).test(matched);
  const day = (value: string) => DateTime.fromISO(value.slice(0, 10), { zone: ctx.now.zoneName! });
  const pickDay = (vs: Value[], field: 'value' | 'start') => {
    // 'Feb 30' resolves to no day at all.
    const days = vs.map((v) => day(v[field] ?? '')).filter((d) => d.isValid);
    return days.length ? choose(days, ctx, vs[0].timex ?? '', matched) : null;
  };
  const time = (vs: Value[], field: 'value' | 'start' | 'end') => {
    const times = [...new Set(vs.map((v) => v[field]?.slice(-8)).filter(Boolean) as string[])].map(minutesOf);
    if (times.length === 1) {
      // Spanish readings come one per clock time: a bare 1 to 6 ('de 5 a 6', 'a las 3:00') is still
      // the afternoon, unless the half of the day was said or the clock is 24-hour ('03:00').
      const only = times[0];
      if (ctx.locale === 'es' && !explicitHalf && only >= 60 && only < 7 * 60 && !/\b0\d:\d\d\b/.test(matched)) return only + 12 * 60;
      return only;
    }
    // Two readings twelve hours apart and nothing said of which: clinic hours decide.
    const t = Math.min(...times);
    if (explicitHalf) return t;
    const base = Math.floor(t / 60) % 12 === 0 ? 12 : Math.floor(t / 60) % 12;
    return clinicHour(base) * 60 + (t % 60);
  };

  switch (type) {
    case 'date': {
      if (values.length === 0 || !values[0].value) return null;
      const picked = pickDay(values, 'value');
      return picked;
    }
    case 'time': {
      const vs = values.filter((v) => v.value);
      if (vs.length === 0) return null;
      return { kind: 'time', time: time(vs, 'value') };
    }
    case 'datetime': {
      if (values[0]?.timex === 'FUTURE_REF' || values[0]?.timex === 'PRESENT_REF') return { kind: 'asap' };
      const vs = values.filter((v) => v.value);
      if (vs.length === 0) return null;
      const t = time(vs, 'value');
      const dates = vs.map((v) => v.value!.slice(0, 10));
      const uniq = [...new Set(dates)].map((d) => DateTime.fromISO(d, { zone: ctx.now.zoneName! })).filter((d) => d.isValid);
      if (uniq.length === 0) return null;
      const picked = choose(uniq, ctx, vs[0].timex ?? '', matched, t);
      if (picked.kind === 'day') return { ...picked, time: t };
      return picked;
    }
    case 'daterange': {
      const vs = values.filter((v) => v.start && v.end);
      if (vs.length === 0) return null;
      const v = ctx.prefer === 'future' ? vs[vs.length - 1] : nearestRange(vs, ctx);
      const from: DateTime = day(v.start!);
      if (!from.isValid || !day(v.end!).isValid) return null;
      // An end said in words ('Dec 20 to Jan 2', 'between 3 and 12') is the last day; a named
      // period's end ('next week', 'next 3 days') is the day after it.
      const explicitEnd = /\b(to|through|thru|till|until|between|al|hasta|entre)\b|\s[-–]\s|\d\s*[-–]\s*\d/.test(matched);
      const to = day(v.end!).minus({ days: explicitEnd ? 0 : 1 });
      return { kind: 'range', from: iso(from), to: iso(to), yearShown: to.year !== ctx.now.year || from.year !== ctx.now.year };
    }
    case 'timerange': {
      const vs = values.filter((v) => v.start || v.end);
      const part = plainPart(matched, values[0]?.timex ?? '');
      if (part) return { kind: 'time', window: part };
      if (vs.length === 0) return null;
      const start = vs[0].start ? time(vs, 'start') : 0;
      const end = saidEnd(matched, start) ?? (vs[0].end ? time(vs, 'end') : END_OF_DAY);
      return { kind: 'time', window: { start, end: end > start ? end : end + 12 * 60 } };
    }
    case 'datetimerange': {
      const vs = values.filter((v) => v.start && v.end);
      if (vs.length === 0) return null;
      const dates = [...new Set(vs.map((v) => v.start!.slice(0, 10)))].map((d) => DateTime.fromISO(d, { zone: ctx.now.zoneName! })).filter((d) => d.isValid);
      if (dates.length === 0) return null;
      const startTime = time(vs, 'start');
      const picked = choose(dates, ctx, vs[0].timex ?? '', matched, startTime);
      if (picked.kind !== 'day') return picked;
      const part = plainPart(matched, vs[0].timex ?? '');
      if (part) return { ...picked, window: part };
      if (vs[0].start!.slice(0, 10) !== vs[0].end!.slice(0, 10)) {
        return { kind: 'range', from: picked.date, to: vs[vs.length - 1].end!.slice(0, 10), yearShown: picked.yearShown };
      }
      let endTime = time(vs, 'end');
      if (endTime <= startTime) endTime += 12 * 60;
      return { ...picked, window: { start: startTime, end: Math.min(endTime, END_OF_DAY) } };
    }
    case 'duration': {
      // 'in 2 weeks' without 'within': the day that far ahead. Durations alone ('for 2 hours') say nothing.
      const seconds = Number(values[0]?.value);
      if (!/\bin\b/.test(text.slice(0, text.indexOf(matched))) || !Number.isFinite(seconds) || seconds < 86_400) return null;
      return dayReading(ctx.now.plus({ seconds }).startOf('day'), ctx);
    }
    default:
      return null;
  }
}

/**
 * The end of a span as said ('11:30-1:30' ends at 1:30): Recognizers-Text takes '1:30' there for
 * a duration and ends the span at 13:00. A bare end hour is the first one after the start.
 */
function saidEnd(matched: string, start: number): number | null {
  const m = /(?:-|–|\bto|\buntil|\btill)\s*(\d{1,2}):(\d{2})\s*(am|pm)?\s*$/.exec(matched);
  if (!m) return null;
  const h = Number(m[1]) % 12;
  const min = Number(m[2]);
  if (Number(m[1]) > 12 || min > 59) return null;
  if (m[3]) return (h + (m[3] === 'pm' ? 12 : 0)) * 60 + min;
  const am = h * 60 + min;
  return am > start ? am : am + 12 * 60;
}

function nearestRange(vs: Value[], ctx: Ctx): Value {
  const today = ctx.now.startOf('day').toMillis();
  return [...vs].sort((a, b) => Math.abs(Date.parse(a.start!) - today) - Math.abs(Date.parse(b.start!) - today))[0];
}

/**
 * One day among the readings: the next one for booking, the nearest date for looking up. A bare weekday
 * that is also today is a question, unless a time said with it is still ahead today.
 */
function choose(days: Local[], ctx: Ctx, timex: string, matched: string, time?: number): WhenReading {
  const today = ctx.now.startOf('day');
  const sorted = [...days].sort((a, b) => a.toMillis() - b.toMillis());
  const bareWeekday = /^XXXX-WXX-\d/.test(timex) && !/\b(next|this|coming|last|próximo|proximo|que viene|este|pasado|siguiente)\b/.test(matched);
  if (bareWeekday && sorted.some((d) => d.hasSame(today, 'day'))) {
    const nextWeek = today.plus({ days: 7 });
    if (time !== undefined) return dayReading(time > ctx.now.hour * 60 + ctx.now.minute ? today : nextWeek, ctx);
    const label = (d: Local) => say(ctx, d, 'format.date');
    const weekday = say(ctx, today, 'format.weekday');
    return {
      kind: 'ask',
      question: text_(ctx, 'dates.todayOrNext', { today: label(today), weekday, next: label(nextWeek) }),
      options: [
        { label: text_(ctx, 'dates.today', { date: label(today) }), reading: dayReading(today, ctx) },
        { label: text_(ctx, 'dates.nextWeekday', { weekday, date: label(nextWeek) }), reading: dayReading(nextWeek, ctx) },
      ],
    };
  }
  // Looking up: a date ('Nov 20') is the nearest one, past or ahead; a weekday alone ('friday') is
  // still the coming one, as people mean it ('last friday' comes resolved to its day).
  if (ctx.prefer === 'nearest' && !/^XXXX-WXX-\d/.test(timex)) {
    const nearest = [...sorted].sort((a, b) => Math.abs(a.toMillis() - today.toMillis()) - Math.abs(b.toMillis() - today.toMillis()))[0];
    return dayReading(nearest, ctx);
  }
  // 'this tuesday' said on a Friday is the coming one, whatever the recognizer's week says.
  let future = sorted.find((d) => d >= today) ?? sorted[sorted.length - 1];
  if (future < today && new RegExp(`^this ${WEEKDAY}$`).test(matched.trim())) future = future.plus({ days: 7 });
  if (future < today && /^XXXX-\d\d-\d\d/.test(timex)) future = future.plus({ years: 1 });
  return dayReading(future, ctx);
}

/** A day and, said apart, a time or a window ('Thursday from 9:30 to 11'). */
function merge(a: WhenReading, b: WhenReading, ctx: Ctx): WhenReading {
  const [dayPart, timePart] = a.kind === 'time' ? [b, a] : [a, b];
  if (timePart.kind !== 'time') return a;
  if (dayPart.kind === 'day' || dayPart.kind === 'range') {
    return { ...dayPart, ...(timePart.time !== undefined && dayPart.kind === 'day' ? { time: timePart.time } : {}), ...(timePart.window ? { window: timePart.window } : {}) };
  }
  if (dayPart.kind === 'ask' && timePart.time !== undefined) {
    const today = ctx.now.startOf('day');
    return dayReading(timePart.time > ctx.now.hour * 60 + ctx.now.minute ? today : today.plus({ days: 7 }), ctx, { time: timePart.time });
  }
  return dayPart;
}

/** A part of the day said in words ('tomorrow afternoon') is a window; one that already passed today moves on. */
function finish(reading: WhenReading, ctx: Ctx, text: string): WhenReading {
  if ((reading.kind === 'day' || reading.kind === 'range') && (reading.kind === 'range' || reading.time === undefined) && !reading.window) {
    const part = plainPart(text, '');
    if (part) return { ...reading, window: part };
    if (/\btonight\b/.test(text)) return { ...reading, window: DAY_PARTS.night };
  }
  return reading;
}

/** The reading as a plain record (for the date corpus and tests): date, time, from, to, window, asap, ask. */
export function describeReading(r: WhenReading | null): Record<string, unknown> | null {
  if (!r) return null;
  switch (r.kind) {
    case 'day':
      return { date: r.date, ...(r.time !== undefined ? { time: hm(r.time) } : {}), ...(r.window ? { window: [hm(r.window.start), hm(r.window.end)] } : {}) };
    case 'range':
      return { from: r.from, to: r.to, ...(r.window ? { window: [hm(r.window.start), hm(r.window.end)] } : {}) };
    case 'time':
      return { ...(r.time !== undefined ? { time: hm(r.time) } : {}), ...(r.window ? { window: [hm(r.window.start), hm(r.window.end)] } : {}) };
    case 'asap':
      return { asap: true };
    case 'ask':
      return { ask: true };
  }
}

/*
 * Spanish. The same Recognizers-Text, with its Spanish model, and the same clinic rules; what the
 * Spanish model does not read (the soonest time, a window of the day, "después del almuerzo") is
 * read by the rules below, as the English ones do for English.
 */

/** Spanish as people text it: accents often left out ('manana', 'proxima'), '¿' and '¡' dropped. */
export function normalizeEs(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[¿?¡!]/g, ' ')
    .replace(/\bmanana\b/g, 'mañana')
    .replace(/\bproxim([oa])\b/g, 'próxim$1')
    .replace(/\bmiercoles\b/g, 'miércoles')
    .replace(/\bsabado\b/g, 'sábado')
    .replace(/\bdespues\b/g, 'después')
    .replace(/\bmediodia\b/g, 'mediodía')
    .replace(/\bfinde\b/g, 'fin de semana')
    .replace(/\b(la )?semana (que viene|próxima)\b/g, 'la próxima semana')
    .replace(/\bel mes próximo\b/g, 'el próximo mes')
    // 'sobre las 10', 'hacia las 10', 'a eso de las 10': about ten is ten.
    .replace(/\b(sobre|hacia|como a|a eso de|tipo) (las?) /g, 'a $2 ')
    .replace(/\b(el )?mes que viene\b/g, 'el próximo mes')
    // 'a las 10.30', 'a las 10h30': the clock as Recognizers reads it ('el 4.22' may be a date).
    .replace(/\b(a las?) (\d{1,2})[.h]([0-5]\d)\b(?![/.-]\d)/g, '$1 $2:$3')
    .replace(/\s+/g, ' ')
    .trim();
}

const CLOCK_ES = '(\\d{1,2}(?!\\d)|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)(?::(\\d{2}))?(?: y (media|cuarto))?\\s*(am|pm|a\\.m\\.|p\\.m\\.|de la mañana|de la tarde|de la noche)?(?![\\d/.-])';
const NUMBER_WORDS_ES: Record<string, number> = { una: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, once: 11, doce: 12 };

function hourOfEs(h: string, min: string | undefined, fraction: string | undefined, said: string | undefined): number | null {
  const hour = NUMBER_WORDS_ES[h] ?? Number(h);
  const minutes = min ?? (fraction === 'media' ? '30' : fraction === 'cuarto' ? '15' : undefined);
  const meridiem = !said ? undefined : /^(a|de la mañana)/.test(said) ? 'am' : 'pm';
  return hourOf(String(hour), minutes, meridiem);
}

function windowRuleEs(text: string): { window: Window; start: number; end: number } | null {
  let m: RegExpExecArray | null;
  const at = (x: RegExpExecArray) => ({ start: x.index, end: x.index + x[0].length });
  if ((m = /\b(después|antes) (del almuerzo|de almorzar|de comer|de la comida)\b/.exec(text))) {
    return { window: m[1] === 'después' ? { start: 13 * 60, end: END_OF_DAY } : { start: 0, end: 12 * 60 }, ...at(m) };
  }
  if ((m = new RegExp(`\\bentre (?:las |la )${CLOCK_ES} y (?:las |la )?${CLOCK_ES}`).exec(text))) {
    const b = hourOfEs(m[5], m[6], m[7], m[8]);
    const a = hourOfEs(m[1], m[2], m[3], m[4] ?? m[8]);
    if (a !== null && b !== null && b > a) return { window: { start: a, end: b }, ...at(m) };
  }
  if ((m = new RegExp(`\\b(después de|a partir de|desde|antes de|hasta) (?:las |la )${CLOCK_ES}`).exec(text))) {
    const t = hourOfEs(m[2], m[3], m[4], m[5]);
    if (t === null) return null;
    const after = /^(después|a partir|desde)/.test(m[1]);
    return { window: after ? { start: t, end: END_OF_DAY } : { start: 0, end: t }, ...at(m) };
  }
  return null;
}

/** Spanish rules tried before Recognizers-Text: the soonest time, spans of days, windows. */
function earlyRulesEs(text: string, ctx: Ctx): Found | null {
  let m: RegExpExecArray | null;
  const at = (x: RegExpExecArray) => ({ start: x.index, end: x.index + x[0].length });
  if ((m = /\b(lo antes posible|cuanto antes|lo (?:más|mas) pronto(?: posible)?|la primera (?:hora|cita) (?:libre|disponible)|lo primero (?:libre|disponible)|la primera que haya|lo que haya antes|ya mismo)\b/.exec(text))) {
    return { reading: { kind: 'asap' }, ...at(m) };
  }
  // 'en dos semanas', 'en 3 días': that day.
  if ((m = /^(?:.*\s)?en (\d{1,2}|un|una|dos|tres|cuatro) (día|dias|días|semana|semanas)$/.exec(text))) {
    const n = /\d/.test(m[1]) ? Number(m[1]) : m[1] === 'un' || m[1] === 'una' ? 1 : NUMBER_WORDS_ES[m[1]];
    const d = ctx.now.plus({ days: m[2].startsWith('semana') ? 7 * n : n });
    return { reading: dayReading(d, ctx), start: text.lastIndexOf('en '), end: text.length };
  }
  // 'pasado mañana por la tarde' (the Spanish model resolves nothing for it).
  if ((m = /\bpasado mañana\b/.exec(text))) {
    const d = ctx.now.plus({ days: 2 }).startOf('day');
    const rest = readRest(text, m.index + m[0].length, ctx);
    const part = plainPart(text.slice(m.index + m[0].length).trim(), '');
    return { reading: dayReading(d, ctx, rest ? timeOf(rest) : part ? { window: part } : {}), start: m.index, end: rest?.end ?? text.length };
  }
  // 'jueves 3 a las 4': a weekday and its day of the month (Recognizers reads '3 a las 4' as 3 to 4).
  if ((m = /\b(lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo),? (?:el )?(\d{1,2})\b(?!\s*(?:de\b|del\b|[/:.h-]\d))/.exec(text))) {
    const wd = ['lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo'].indexOf(m[1].replace('miercoles', 'miércoles').replace('sabado', 'sábado')) + 1;
    const day = Number(m[2]);
    for (let i = 0, d = ctx.now.startOf('month'); i < 24 && wd > 0; i++, d = d.plus({ months: 1 })) {
      if (day > d.daysInMonth!) continue;
      const c = d.set({ day });
      if (c < ctx.now.startOf('day') || c.weekday !== wd) continue;
      const rest = readRest(text, m.index + m[0].length, ctx);
      return { reading: dayReading(c, ctx, timeOf(rest)), start: m.index, end: rest?.end ?? m.index + m[0].length };
    }
  }
  // 'dentro de 2 semanas', 'en los próximos 10 días'.
  if ((m = /\b(?:dentro de|en los próximos|en las próximas|antes de)\s+(\d{1,2}|un|una|dos|tres|cuatro)\s+(día|dias|días|semana|semanas)\b/.exec(text))) {
    const n = /\d/.test(m[1]) ? Number(m[1]) : m[1] === 'un' || m[1] === 'una' ? 1 : NUMBER_WORDS_ES[m[1]];
    const to = ctx.now.plus({ days: m[2].startsWith('semana') ? 7 * n : n });
    return { reading: { kind: 'range', from: iso(ctx.now), to: iso(to), yearShown: to.year !== ctx.now.year }, ...at(m) };
  }
  // Windows of a day ('después del almuerzo', 'entre las 2 y las 4', 'a partir de las 5'), with their day.
  if (windowRuleEs(text)) return lateRules(text, ctx, false);
  // 'el 15 a las 8' (Recognizers reads '15 a las 8' as 3 to 8 PM): a day of the month with no month.
  if (!MONTH_ES.test(text) && (m = /\bel (\d{1,2})(?!\s*(?:de\b|del\b|[/:.h-]\d))\b/.exec(text))) {
    const day = Number(m[1]);
    if (day >= 1 && day <= 31) {
      let d = ctx.now.startOf('month');
      for (let i = 0; i < 13 && (day > d.daysInMonth! || d.set({ day }) < ctx.now.startOf('day')); i++) d = d.plus({ months: 1 });
      const rest = readRest(text, m.index + m[0].length, ctx);
      return { reading: dayReading(d.set({ day }), ctx, timeOf(rest)), start: m.index, end: rest?.end ?? m.index + m[0].length };
    }
  }
  return null;
}

const MONTH_ES = /\b(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|ene|feb|mar|abr|jun|jul|ago|sep|sept|set|oct|nov|dic)\b|\b(lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\b/;
