import type { Catalog } from './catalog';

/**
 * Which language a message is in, and whether it asks to switch. Short texts defeat statistical
 * language guessers ("hola" is three letters of evidence), so a first message is read against each
 * language's own marker words and letters (ñ, ¿, ¡ for Spanish); a message that marks no language
 * leaves the conversation in the one it has.
 */
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The language a message is most likely in, when its words say so; null when nothing marks one. */
export function detectLanguage(text: string, catalog: Catalog): string | null {
  const words = ` ${fold(text)} `;
  let best: string | null = null;
  let bestScore = 0;
  for (const locale of catalog.locales) {
    const w = catalog.words(locale);
    let score = 0;
    for (const marker of w.detect) if (words.includes(` ${fold(marker)} `)) score += 1;
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
  const t = fold(text).replace(/^(en|in|habla|hablar|speak|cambiar a|change to|switch to)\s+/, '');
  if (!t || t.split(' ').length > 3) return null;
  for (const locale of catalog.locales) {
    const w = catalog.words(locale);
    if ([w.name, ...w.switch].some((s) => fold(s) === t)) return { switchTo: locale };
  }
  for (const locale of catalog.locales) if ((catalog.words(locale).keywords.language ?? []).some((s) => fold(s) === t)) return { ask: true };
  return null;
}
