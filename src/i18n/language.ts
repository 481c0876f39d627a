import { createMemo } from '../domain/memo';
import { DEFAULT_LOCALE, type Catalog, type LocaleWords } from './catalog';

/**
 * Which language a message is in, and whether it asks to switch. Short texts defeat statistical
 * language guessers ("hola" is three letters of evidence), so a first message is read against each
 * language's own marker words and letters (ñ, ¿, ¡ for Spanish); a message that marks no language
 * leaves the conversation in the one it has.
 */
/** Lower case, no accents, no punctuation: how words are compared across languages. */
export const foldWords = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * A catalog word folded, remembered: the catalogs' words are a fixed set, compared with every
 * message (folding them afresh each time was a measurable share of a turn).
 */
const foldedWords = createMemo<string>(10_000);
const folded = (word: string) => foldedWords(word, () => foldWords(word));

/** The language a message is most likely in, when its words say so; null when nothing marks one. */
export function detectLanguage(text: string, catalog: Catalog): string | null {
  const words = ` ${foldWords(text)} `;
  let best: string | null = null;
  let bestScore = 0;
  for (const locale of catalog.locales) {
    const w = catalog.words(locale);
    let score = 0;
    for (const marker of w.detect) if (words.includes(` ${folded(marker)} `)) score += 1;
    if (locale === 'es' && /[ñ¿¡]/i.test(text)) score += 1;
    if (score > bestScore) {
      best = locale;
      bestScore = score;
    }
  }
  return best;
}

export type LanguageRequest = { switchTo: string } | { ask: true } | null;

/** "ESPAÑOL", "english", "en español": a switch; "idioma", "language": which one? */
export function languageRequest(text: string, catalog: Catalog): LanguageRequest {
  const t = foldWords(text).replace(/^(en|in|habla|hablar|speak|cambiar a|change to|switch to)\s+/, '');
  if (!t || t.split(' ').length > 3) return null;
  for (const locale of catalog.locales) {
    const w = catalog.words(locale);
    if ([w.name, ...w.switch].some((s) => folded(s) === t)) return { switchTo: locale };
  }
  for (const locale of catalog.locales) if ((catalog.words(locale).keywords.language ?? []).some((s) => folded(s) === t)) return { ask: true };
  return null;
}

/** Whether `text` is, alone, one of the language's words for a keyword ('otras' for more, 'ayuda' for help). */
export function saysKeyword(catalog: Catalog, locale: string, keyword: keyof LocaleWords['keywords'], text: string): boolean {
  const t = foldWords(text);
  return (catalog.words(locale).keywords[keyword] ?? []).some((w) => folded(w) === t);
}

/**
 * The language (other than English) whose list of carrier words holds `text`, alone: AYUDA for
 * help, ALTO for opt-out, SÍ for opt-in. English keeps its own carrier lists (adapters/sms/keywords.ts).
 */
export function carrierWordLocale(catalog: Catalog, list: 'help' | 'optOut' | 'optIn', text: string): string | null {
  const t = foldWords(text);
  for (const locale of catalog.locales) {
    if (locale === DEFAULT_LOCALE) continue;
    const w = catalog.words(locale);
    const words = list === 'help' ? (w.keywords.help ?? []) : (w[list] ?? []);
    if (words.some((x) => folded(x) === t)) return locale;
  }
  return null;
}
