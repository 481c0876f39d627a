/**
 * Scores the understanding layer's intents on phrasings it was not trained on: public chatbot
 * training sets (test/corpus/intents.public.en.json, sources named per line). A yes or a no counts
 * when the message is read as that answer.
 *
 *   npx tsx test/corpus/score-intents.ts [--failures] [--es]
 *
 * Spanish (--es, intents.public.es.json): greetings, goodbyes, yes and no from public Spanish Rasa
 * chatbots' training files, and clinic requests from our own transcripts, none of them in training.
 */
import fs from 'node:fs';
import path from 'node:path';
import { understand } from '../../dialogs/understanding';
import type { Directory } from '../../dialogs/understanding/lexicon';

export interface IntentCase {
  text: string;
  intent: string;
  source: string;
}

/** The demo clinic's directory, as the seed makes it. */
export const DEMO_DIRECTORY: Directory = {
  doctors: [
    ['Anika Patel', 'Dermatology'],
    ['James Okafor', 'General Practice'],
    ['José Núñez', 'Cardiology'],
    ['Mei Chen', 'Pediatrics'],
    ['Rahul Patel', 'Orthopedics'],
    ['Zoë Müller', 'Neurology'],
    ['Oliver Hughes', 'Psychiatry'],
    ['Aisha Rahman', 'Ear, Nose and Throat'],
    ['Carlos Ortega', 'Dermatology'],
    ['Hannah Brooks', 'General Practice'],
  ].map(([fullName, s], i) => ({ id: String(i), fullName, specializations: [s] })),
  specialties: [
    { name: 'General Practice', keywords: ['gp', 'family', 'general', 'checkup', 'primary care'] },
    { name: 'Dermatology', keywords: ['skin', 'rash', 'acne', 'mole'] },
    { name: 'Cardiology', keywords: ['heart', 'blood pressure', 'chest'] },
    { name: 'Pediatrics', keywords: ['children', 'child', 'kids', 'baby'] },
    { name: 'Orthopedics', keywords: ['bones', 'bone', 'joints', 'knee', 'back', 'sports injury'] },
    { name: 'Neurology', keywords: ['brain', 'nerves', 'headache', 'migraine'] },
    { name: 'Psychiatry', keywords: ['mental health', 'anxiety', 'depression'] },
    { name: 'Ear, Nose and Throat', keywords: ['ent', 'ear', 'nose', 'throat', 'sinus'] },
  ],
};

export async function scoreIntents(cases: IntentCase[], locale = 'en') {
  const failures: Array<{ c: IntentCase; got: string | null }> = [];
  let right = 0;
  for (const c of cases) {
    const u = await understand(c.text, { role: 'patient', zone: 'America/New_York', now: Date.parse('2026-11-27T19:30:00Z'), directory: DEMO_DIRECTORY, locale });
    const got = u.yesNo ?? u.intent;
    if (got === c.intent) right++;
    else failures.push({ c, got });
  }
  return { cases: cases.length, right, failures };
}

if (require.main === module) {
  const locale = process.argv.includes('--es') ? 'es' : 'en';
  const cases = JSON.parse(fs.readFileSync(path.join(__dirname, `intents.public.${locale}.json`), 'utf8')) as IntentCase[];
  void scoreIntents(cases, locale).then((s) => {
    if (process.argv.includes('--failures')) for (const f of s.failures) console.log(`${f.c.intent.padEnd(11)} got ${String(f.got).padEnd(11)} ${JSON.stringify(f.c.text)}`);
    console.log(`${s.cases} public phrasings: ${((100 * s.right) / s.cases).toFixed(1)}% of intents read right`);
  });
}
