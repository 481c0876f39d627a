import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n } from 'i18next';
import type { DateTime } from 'luxon';

/**
 * Every text a patient reads comes from a catalog per language (src/i18n/locales/<code>.json),
 * through i18next: placeholders ({{name}}), plural forms by the language's own rules (key_one,
 * key_other, from Intl.PluralRules), and English where a catalog lacks a key (a test makes sure none
 * does). Staff read English; patients read their own language.
 *
 * A language is its catalog plus its words (<code>.words.json: how it is recognised, switched to,
 * and what its yes, no and keywords are). Adding one is adding those two files.
 */
export const DEFAULT_LOCALE = 'en';

export interface LocaleWords {
  /** The language's own name, as a patient would type it to switch ("Español"). */
  name: string;
  /** Words that switch to this language ("español", "spanish"). */
  switch: string[];
  /** Words that mark a first message as this language ("hola", "quiero", "cita"). */
  detect: string[];
  yes: string[];
  no: string[];
  /**
   * Opt-out words of this language that carriers' own lists lack (ALTO, BAJA): honoured as STOP
   * is, whole message only, and answered by the service, since Twilio does not know them.
   */
  optOut?: string[];
  /** What an opted-out number may send, besides START and YES, to be texted again ('sí'). */
  optIn?: string[];
  /** Everyday words for the usual specialties, by the specialty's (English) name: 'piel' for Dermatology. */
  specialties?: Record<string, string[]>;
  /** The language's words for the engine's keywords: help, menu, back, exit, more, language. */
  keywords: Partial<Record<'help' | 'menu' | 'back' | 'exit' | 'more' | 'list' | 'language', string[]>>;
}

export interface Catalog {
  /** Every language with a catalog, English first. */
  locales: string[];
  has(locale: string | null | undefined): boolean;
  t(locale: string, key: string, vars?: Record<string, unknown>): string;
  words(locale: string): LocaleWords;
  /** The raw catalog of a language, for the completeness test. */
  messages(locale: string): Record<string, string>;
}

export function loadCatalog(dir = path.join(__dirname, 'locales')): Catalog {
  const files = fs.readdirSync(dir).filter((f) => /^[a-z]{2}(-[A-Z]{2})?\.json$/.test(f));
  const messages: Record<string, Record<string, string>> = {};
  const words: Record<string, LocaleWords> = {};
  for (const f of files) {
    const code = f.replace(/\.json$/, '');
    messages[code] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const wordsFile = path.join(dir, `${code}.words.json`);
    words[code] = fs.existsSync(wordsFile) ? JSON.parse(fs.readFileSync(wordsFile, 'utf8')) : { name: code, switch: [], detect: [], yes: [], no: [], keywords: {} };
  }
  if (!messages[DEFAULT_LOCALE]) throw new Error(`no ${DEFAULT_LOCALE}.json catalog in ${dir}`);
  const instance: i18n = i18next.createInstance();
  void instance.init({
    initAsync: false,
    resources: Object.fromEntries(Object.entries(messages).map(([code, m]) => [code, { translation: m }])),
    fallbackLng: DEFAULT_LOCALE,
    // Texts go out as SMS and chat text, not HTML; the channels escape what they render.
    interpolation: { escapeValue: false },
    returnNull: false,
    keySeparator: false,
    nsSeparator: false,
  });
  const locales = [DEFAULT_LOCALE, ...Object.keys(messages).filter((c) => c !== DEFAULT_LOCALE).sort()];
  const fixed = new Map(locales.map((l) => [l, instance.getFixedT(l)]));
  return {
    locales,
    has: (locale) => Boolean(locale && messages[locale]),
    t(locale, key, vars) {
      const lang = fixed.has(locale) ? locale : DEFAULT_LOCALE;
      const raw = messages[lang][key] ?? messages[DEFAULT_LOCALE][key];
      // A text with nothing to fill in (a date format, most button labels) is itself: i18next is
      // asked only when there is interpolation, nesting or a plural to choose. Every turn formats
      // dozens of these, and i18next's own path is the costlier one.
      if (raw !== undefined && vars?.count === undefined && !raw.includes('{{') && !raw.includes('$t(')) return raw;
      const t = fixed.get(lang)!;
      let v = vars ?? {};
      // 'Please {{call}}': the clinic's number where one is known (vars.clinicPhone), in the language's words.
      if (v.call === undefined && (raw === undefined || /\{\{\s*[cC]all\b/.test(raw) || raw.includes('$t('))) {
        const phone = typeof v.clinicPhone === 'string' && v.clinicPhone ? v.clinicPhone : null;
        const call = t(phone ? 'sms.callClinicAt' : 'sms.callClinic', { phone }) as string;
        v = { ...v, call, Call: call.charAt(0).toUpperCase() + call.slice(1) };
      }
      // Where a visit is: nothing to add unless the caller says (a one-site clinic names no place).
      if (v.where === undefined) v = { ...v, where: '' };
      return t(key, v) as string;
    },
    words: (locale) => words[locale] ?? words[DEFAULT_LOCALE],
    messages: (locale) => messages[locale] ?? {},
  };
}

/** A date and time as the reader reads it: the catalog's format for `key`, in their language's names. */
export function formatIn(dt: DateTime, key: string, locale: string, texts: Catalog = catalog()): string {
  // English keeps luxon's own default locale, as every reply before catalogs did.
  return (locale === DEFAULT_LOCALE ? dt : dt.setLocale(locale)).toFormat(texts.t(locale, key));
}

let shared: Catalog | null = null;
/** The catalogs shipped with the service, read once (they are data, not state). */
export function catalog(): Catalog {
  shared ??= loadCatalog();
  return shared;
}
