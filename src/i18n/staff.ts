import { DEFAULT_LOCALE } from './catalog';

/**
 * Staff read English, and see which language a patient reads beside their name: 'Lucía Fernández
 * (Spanish)'. English, the default, is not marked.
 */
const names = new Intl.DisplayNames(['en'], { type: 'language' });

export function languageName(locale: string): string {
  try {
    return names.of(locale) ?? locale;
  } catch {
    return locale;
  }
}

export function withLanguage(name: string, locale: string | null | undefined): string {
  return locale && locale !== DEFAULT_LOCALE ? `${name} (${languageName(locale)})` : name;
}
