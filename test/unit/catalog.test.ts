import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import { detectLanguage, languageRequest } from '../../src/i18n/language';
import { SlotUnavailableError } from '../../src/domain/errors';
import { errorText } from '../../dialogs/support/error-replies';

/**
 * The catalogs every patient text comes from: no language may lack a key English has, or a
 * placeholder English fills, or have one English does not (it would print as "{{x}}"); plural keys
 * come in the forms the language's plural rules need.
 */
const c = catalog();
// {{call}} and {{Call}} are the same words, capitalised where a language starts a sentence with them.
const placeholders = (text: string) => [...text.matchAll(/{{\s*(\w+)\s*}}/g)].map((m) => (m[1] === 'Call' ? 'call' : m[1])).sort();
const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');

it('ships English and Spanish', () => {
  expect(c.locales).toEqual(['en', 'es']);
});

describe.each(c.locales.filter((l) => l !== DEFAULT_LOCALE))('the %s catalog', (locale) => {
  const en = c.messages(DEFAULT_LOCALE);
  const own = c.messages(locale);

  it('has every key English has, and no other', () => {
    const enKeys = new Set(Object.keys(en).map(base));
    const ownKeys = new Set(Object.keys(own).map(base));
    expect([...enKeys].filter((k) => !ownKeys.has(k))).toEqual([]);
    expect([...ownKeys].filter((k) => !enKeys.has(k))).toEqual([]);
  });

  it('fills the same placeholders in every text', () => {
    const wrong = Object.keys(own)
      .filter((k) => en[k] !== undefined || en[`${base(k)}_other`] !== undefined)
      .filter((k) => JSON.stringify(placeholders(own[k])) !== JSON.stringify(placeholders(en[k] ?? en[`${base(k)}_other`])));
    expect(wrong).toEqual([]);
  });

  it('has every plural form its language needs', () => {
    const forms = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    const plural = [...new Set(Object.keys(en).filter((k) => /_(one|other)$/.test(k)).map(base))];
    const missing = plural.flatMap((k) => forms.filter((f) => own[`${k}_${f}`] === undefined).map((f) => `${k}_${f}`));
    expect(missing).toEqual([]);
  });

  it('has its words: a name to switch by, words that mark it, yes and no', () => {
    const w = c.words(locale);
    expect(w.name).toBeTruthy();
    expect(w.detect.length).toBeGreaterThan(10);
    expect(w.yes.length).toBeGreaterThan(3);
    expect(w.no.length).toBeGreaterThan(1);
  });
});

it('fills placeholders and picks plural forms by the language’s rules', () => {
  expect(c.t('es', 'errors.limitUpcoming', { count: 1 })).toMatch(/^Ya tiene 1 cita pendiente,/);
  expect(c.t('es', 'errors.limitUpcoming', { count: 3 })).toMatch(/^Ya tiene 3 citas pendientes,/);
  expect(c.t('en', 'errors.limitUpcoming', { count: 3 })).toMatch(/^You already have 3 upcoming appointments,/);
  // An unknown language falls back to English rather than to a key.
  expect(c.t('xx', 'engine.stopped')).toBe('OK, I stopped that.');
});

it.each([
  ['hola', 'es'],
  ['Hola, quiero una cita', 'es'],
  ['necesito un dermatólogo', 'es'],
  ['¿tienen algo para el viernes?', 'es'],
  ['buenas tardes', 'es'],
  ['hi', 'en'],
  ['I need to book an appointment', 'en'],
  ['dermatologist tomorrow afternoon', 'en'],
  ['04/12/1988', null],
])('reads "%s" as %s', (text, locale) => {
  expect(detectLanguage(text, c)).toBe(locale);
});

it.each([
  ['ESPAÑOL', { switchTo: 'es' }],
  ['espanol', { switchTo: 'es' }],
  ['en español', { switchTo: 'es' }],
  ['Spanish', { switchTo: 'es' }],
  ['ENGLISH', { switchTo: 'en' }],
  ['inglés', { switchTo: 'en' }],
  ['idioma', { ask: true }],
  ['language', { ask: true }],
  ['I speak english at work and at home', null],
  ['hola', null],
])('takes "%s" as %j', (text, expected) => {
  expect(languageRequest(text, c)).toEqual(expected);
});

it('says why a time cannot be booked in the patient’s language, and in the same English as before', () => {
  const es = (key: string, vars?: Record<string, unknown>) => c.t('es', key, vars);
  const notice = new SlotUnavailableError("Appointments need at least 60 minutes' notice.", { kind: 'notice', minutes: 60 });
  expect(errorText(notice, es, 'es')).toBe('Las citas se piden al menos 60 minutos antes.');
  expect(errorText(notice)).toBe(notice.message);
  const doctor = new SlotUnavailableError('Anika Patel is not available then.', { kind: 'unavailable', doctor: 'Anika Patel' });
  expect(errorText(doctor, es, 'es')).toBe('Anika Patel no tiene consulta a esa hora.');
  expect(errorText(doctor)).toBe(doctor.message);
  expect(errorText(new SlotUnavailableError('That time has already passed.', { kind: 'past' }), es, 'es')).toBe('Esa hora ya ha pasado.');
});

it("says the clinic's number wherever a patient is told to call, when one is configured", () => {
  const texts = catalog();
  expect(texts.t('en', 'booking.noneForWeeksAny', { clinicPhone: '+1 555 010 2000' })).toBe(
    'Sorry, no doctor has anything free in the next weeks. Please call the clinic at +1 555 010 2000.',
  );
  expect(texts.t('es', 'booking.noneForWeeksAny', { clinicPhone: '+1 555 010 2000' })).toBe(
    'Perdone, no hay médicos libres en las siguientes semanas. Llame al centro al +1 555 010 2000.',
  );
  expect(texts.t('en', 'registration.declined')).toBe("No problem, we won't text you. To book, please call the clinic.");
  for (const locale of texts.locales) {
    for (const [key, text] of Object.entries(texts.messages(locale))) {
      if (/call the clinic|llame al centro/i.test(text) && !/^sms\./.test(key)) throw new Error(`${locale} ${key} names no number: use {{call}}`);
    }
  }
});
