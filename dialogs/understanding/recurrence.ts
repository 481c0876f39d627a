import { Culture } from '@microsoft/recognizers-text-number';
import { recognizeNumber } from './recognizer-models';

/**
 * A weekly series in a message: 'every Tuesday at 10 for 6 weeks', 'weekly, 8 sessions', 'every
 * other Monday for 3 months' is not (months are not weeks: asked, not guessed), 'cada martes a las
 * 10 durante 6 semanas'. Numbers are read by Recognizers-Text in the message's language; these
 * rules only know the clinic's ways of saying 'weekly' and 'how many'. What is left of the message
 * ('Tuesday at 10') is the first visit, for the date reader.
 */
export interface Recurrence {
  /** How many visits; null when the message does not say (the bot asks). */
  occurrences: number | null;
  everyWeeks: number;
}

const DAYS_EN = 'mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun';
const DAYS_ES = 'lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bados?|domingos?';

const RULES = {
  en: {
    every: new RegExp(`\\b(?:every|each)\\s+(other\\s+|second\\s+|2nd\\s+)?(?:(${DAYS_EN})\\b|week\\b)|\\bon\\s+(${DAYS_EN.replace(/s\?/g, '')})s\\b`, 'i'),
    weekly: /\b(weekly|once a week|(fortnightly|biweekly|every (?:two|2) weeks))\b/i,
    count: /\b(?:for\s+(?:the\s+next\s+)?)?([a-z0-9-]+)\s+(?:more\s+)?(?:weekly\s+|weeks?\s+of\s+)?(?:\w+\s+)?(weeks|sessions|visits|times|appointments)\b/i,
    culture: Culture.English,
  },
  es: {
    every: new RegExp(`\\b(?:cada|todos\\s+los)\\s+(?:(dos|2)\\s+)?(?:(${DAYS_ES})\\b|semanas?\\b)`, 'i'),
    weekly: /\b(semanal(?:mente)?|una vez (?:a|por) semana|(quincenal(?:mente)?|cada (?:dos|2) semanas))\b/i,
    count: /\b(?:durante\s+|por\s+)?([a-záéíóúñ0-9]+)\s+(semanas|sesiones|visitas|veces|citas)\b/i,
    culture: Culture.Spanish,
  },
} as const;

function readNumber(word: string, culture: string): number | null {
  if (/^\d+$/.test(word)) return Number(word);
  const [n] = recognizeNumber(word, culture);
  const value = n ? Number((n.resolution as { value?: string }).value) : NaN;
  return Number.isInteger(value) ? value : null;
}

export function findRecurrence(text: string, locale = 'en'): { recurrence: Recurrence; rest: string } | null {
  const r = locale === 'es' ? RULES.es : RULES.en;
  const every = r.every.exec(text);
  const weekly = r.weekly.exec(text);
  if (!every && !weekly) return null;
  const other = Boolean(every?.[1]) || Boolean(weekly?.[2]);
  let rest = text;
  let occurrences: number | null = null;
  const count = r.count.exec(text);
  if (count) {
    const n = readNumber(count[1], r.culture);
    if (n !== null && n > 0) {
      const unit = count[2].toLowerCase();
      // 'for 6 weeks' every other week is 3 visits; '6 sessions' is 6 whatever the gap.
      occurrences = /^(weeks|semanas)$/.test(unit) ? Math.ceil(n / (other ? 2 : 1)) : n;
      rest = rest.replace(count[0], ' ');
    }
  }
  // The first visit's day stays for the date reader ('every Tuesday' -> 'Tuesday').
  if (every) rest = rest.replace(every[0], every[2] ?? every[3] ?? ' ');
  if (weekly) rest = rest.replace(weekly[0], ' ');
  return { recurrence: { occurrences, everyWeeks: other ? 2 : 1 }, rest: rest.replace(/\s+/g, ' ').trim() };
}
