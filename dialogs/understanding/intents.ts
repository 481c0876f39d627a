import { containerBootstrap } from '@nlpjs/core';
import { LangEn } from '@nlpjs/lang-en-min';
import { LangEs } from '@nlpjs/lang-es';
import { Nlp } from '@nlpjs/nlp';
import { DOCTOR_TRAINING, PATIENT_TRAINING } from './training.en';
import { PATIENT_TRAINING_ES } from './training.es';

/**
 * The intent classifier: NLP.js (a small neural network over stemmed words), one model per role,
 * trained once per process on dialogs/understanding/training.en.ts in about 50 ms. Entities are
 * masked first (MASK below), so it learns "book <doctor> <date>", not the doctors' names.
 */
export const MASK = { date: 'zzdate', doctor: 'zzdoctor', specialty: 'zzspecialty' } as const;

export type Role = 'patient' | 'doctor';
export interface Classified {
  intent: string | null;
  score: number;
}

interface Model {
  process(locale: string, text: string): Promise<{ classifications: Array<{ intent: string; score: number }> }>;
}

const models = new Map<string, Promise<Model>>();

/** Languages the classifier is trained in, per role: staff read and write English. */
const TRAINING: Record<string, Partial<Record<Role, Record<string, string[]>>>> = {
  en: { patient: PATIENT_TRAINING, doctor: DOCTOR_TRAINING },
  es: { patient: PATIENT_TRAINING_ES },
};

const masked = (utterance: string) => utterance.replace(/@date/g, MASK.date).replace(/@doctor/g, MASK.doctor).replace(/@specialty/g, MASK.specialty);

async function train(role: Role, lang: string): Promise<Model> {
  const container = await containerBootstrap();
  container.use(Nlp);
  container.use(lang === 'es' ? LangEs : LangEn);
  // NLP.js logs every training epoch to the console unless told not to.
  container.registerConfiguration('nlu-??', { keepStopwords: true, nonefeatureValue: 1, nonedeltaMultiplier: 1.2, spellCheck: false, spellCheckDistance: 1, filterZeros: true, log: false }, true);
  const nlp = container.get('nlp');
  nlp.settings.autoSave = false;
  nlp.addLanguage(lang);
  const data = TRAINING[lang][role]!;
  for (const [intent, utterances] of Object.entries(data)) for (const u of utterances) nlp.addDocument(lang, masked(u), intent);
  await nlp.train();
  return nlp as Model;
}

/** Below this the classifier is guessing: the message is read for its answers and entities only. */
export const INTENT_THRESHOLD = 0.6;

export async function classify(role: Role, maskedText: string, locale = 'en'): Promise<Classified> {
  const lang = TRAINING[locale]?.[role] ? locale : 'en';
  let model = models.get(`${role}:${lang}`);
  if (!model) {
    model = train(role, lang);
    models.set(`${role}:${lang}`, model);
  }
  const result = await (await model).process(lang, maskedText);
  const [top] = result.classifications;
  if (!top || top.intent === 'None' || top.score < INTENT_THRESHOLD) return { intent: null, score: top?.score ?? 0 };
  return { intent: top.intent, score: top.score };
}
