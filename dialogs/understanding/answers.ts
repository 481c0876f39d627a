import { Culture } from '@microsoft/recognizers-text-number';
import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import { recognizeBoolean, recognizeNumber, recognizeOrdinal } from './recognizer-models';

/** Recognizers-Text's culture for a catalog language; English where it has none. */
const CULTURES: Record<string, string> = { en: Culture.English, es: Culture.Spanish, pt: Culture.Portuguese, fr: Culture.French, de: Culture.German, it: Culture.Italian, nl: Culture.Dutch };
const cultureOf = (locale: string) => CULTURES[locale.slice(0, 2)] ?? Culture.English;

/**
 * Yes, no and "which one", in any form: Recognizers-Text's boolean and number models ("yes please",
 * "👍", "nope", "the second one", "two"), with the clinic's own words on top, the ones a patient
 * texts and the library does not know ("sounds good", "book it", "nah", "that works").
 */
const YES = new Set([
  'ok', 'okay', 'okey', 'k', 'kk', 'yup', 'ya', 'yah', 'yeh', 'yea', 'yass', 'confirm', 'confirmed', 'book it', 'book', 'do it', 'go ahead', 'please do',
  'that works', 'works', 'works for me', 'that is fine', "that's fine", 'fine', 'perfect', 'great', 'good', 'sounds good', 'sounds great', 'sound good',
  'correct', 'right', "that's right", 'absolutely', 'definitely', 'certainly', 'of course', 'alright', 'all right', 'sure thing', 'yes yes',
  "let's do it", 'lets do it', 'please', 'yes ok', 'ok yes', 'okie dokie', 'indeed', 'affirmative', 'si', 'sí', '👌', '✅', '✔️', '🙂', '😊',
]);
const NO = new Set([
  'n', 'nah', 'nay', 'never', 'not really', 'nada', 'neither', 'none', 'none of them', 'not that one', 'no way', 'negative', "don't", 'dont',
  'not now', 'no no', "i don't think so", 'i dont think so', "don't like that", '👎', '❌', '✖️',
]);

/** Words that may ride along with a yes or a no without making it anything else. */
const FILLER = /\b(please|thanks|thank you|thx|ty|cheers|great|sure|ok|okay|that|is|it|one|yes|no|yeah|yep|nope|thank|so|much|very|very much|lol|haha|then|uh|um|oh|well|fine|that's)\b/g;

export type YesNo = 'yes' | 'no';

const clean = (text: string) => text.toLowerCase().replace(/[.!?,;:]+/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * A plain yes or no, or null. A message that says more than that ("no, Dr Ortega") is not a plain
 * answer: the rest may be a new request, and the step reads it as one.
 */
export function yesNo(text: string, locale = DEFAULT_LOCALE): YesNo | null {
  const t = clean(text);
  if (!t || t.length > 40) return null;
  if (YES.has(t)) return 'yes';
  if (NO.has(t)) return 'no';
  if (locale !== DEFAULT_LOCALE) {
    // The language's own words first ('claro', 'vale', 'no gracias'), then its Recognizers model.
    const words = catalog().words(locale);
    if (words.yes.some((w) => clean(w) === t)) return 'yes';
    if (words.no.some((w) => clean(w) === t)) return 'no';
    const own = recognizeBoolean(t, cultureOf(locale))[0];
    if (own && own.start === 0 && own.end + 1 >= t.length) return (own.resolution as { value: boolean }).value ? 'yes' : 'no';
  }
  const found = recognizeBoolean(t, Culture.English)[0];
  if (!found) return null;
  const rest = `${t.slice(0, found.start)} ${t.slice(found.end + 1)}`.replace(FILLER, ' ').trim();
  if (rest) return null;
  return (found.resolution as { value: boolean }).value ? 'yes' : 'no';
}

const DIGITS = /^(?:#|no\.?|nr\.?|number|option|choice|the)?\s*(\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:one|please|pls))?\s*[.)!]?$/;

/** Which item of a list: '1', '1.', '#2', 'option 3', 'one', 'the first', 'the second one'. */
export function choiceNumber(text: string, locale = DEFAULT_LOCALE): number | null {
  const t = clean(text);
  if (!t) return null;
  const digits = DIGITS.exec(t);
  if (digits) return Number(digits[1]);
  // Words only in a short message: 'the second one', not 'I have two kids'.
  if (t.split(' ').length > 4) return null;
  if (locale !== DEFAULT_LOCALE) {
    // 'la primera', 'el segundo', 'opción 2', 'dos': the language's ordinals and numbers.
    const culture = cultureOf(locale);
    const ordinal = recognizeOrdinal(t, culture)[0] ?? recognizeNumber(t.split(' ').length <= 2 ? t : '', culture)[0];
    const value = ordinal ? Number((ordinal.resolution as { value: string }).value) : NaN;
    if (Number.isInteger(value) && value >= 1 && value <= 20) return value;
  }
  const ordinal = recognizeOrdinal(t, Culture.English)[0];
  if (ordinal && /^\d+$/.test(String((ordinal.resolution as { value: string }).value))) return Number((ordinal.resolution as { value: string }).value);
  const rest = t === 'one' ? t : t.replace(/\b(the|one|number|option|please|pls)\b/g, ' ').trim();
  if (rest && /^(one|two|three|four|five|six|seven|eight|nine|ten)$/.test(rest)) {
    const n = recognizeNumber(rest, Culture.English)[0];
    if (n) return Number((n.resolution as { value: string }).value);
  }
  return null;
}
