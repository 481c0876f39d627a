/**
 * npm run bench:conversation: scripted patient and doctor conversations through the real dialog
 * engine (PostgreSQL, Redis, Redlock), built from the corpora in test/corpus: natural first messages
 * from public booking phrasings and the clinic's date phrasings, answered the way a patient would
 * answer what they are asked. Prints texts-to-book, % of turns understood, % of turns sent as one
 * SMS and as one segment, turn latency and the date and intent corpus scores. Asserts nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { smsBodies } from '../adapters/sms/render';
import { createRedisConversationStore } from '../dialogs/conversation-store';
import { createDialogEngine } from '../dialogs/engine';
import { smsSegments } from '../dialogs/support/format';
import { insertAdmin, insertPatient } from '../src/db/records';
import { seedDemoClinic } from '../src/db/seed';
import { createRegistrationThrottle } from '../src/limits/registration-throttle';
import { connectRedis, createRedis } from '../src/locks/redis';
import { createRedlockSlotLock } from '../src/locks/slot-lock';
import { createServices } from '../src/services';
import type { DateCase } from '../test/corpus/date-case';
import { compareReaders, formatReaderScore } from '../test/corpus/compare-date-readers';
import { CORPUS_FILES, CORPUS_FILES_ES, HELDOUT_ES, formatScore, loadCases, scoreDates } from '../test/corpus/score-dates';
import { scoreIntents, type IntentCase } from '../test/corpus/score-intents';
import { BENCH_REDIS_URL, benchPrefix, cleanUpBench, clearBenchKeys, createBenchDatabase, machine } from './support';

const ZONE = 'America/New_York';
/** The clock of issue 12's transcripts: Friday 27 November 2026, 14:30 in New York. */
const NOW = DateTime.fromISO('2026-11-27T14:30', { zone: ZONE }).toMillis();
const CORPUS = path.join(__dirname, '..', 'test', 'corpus');
const MAX_TEXTS = 8;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const share = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;

/** A small deterministic generator, so every run plays the same conversations. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

interface Script {
  kind: 'patient' | 'doctor';
  first: string;
  /** What the simulated person says when asked which doctor. */
  who?: string;
  /** Doctor scripts: the messages, in order. */
  lines?: string[];
}

/** Who people ask for, in the words they use (the demo clinic's doctors and specialties). */
const WHO = ['a dermatologist', 'the skin doctor', 'Dr Okafor', 'a GP', 'Dr Anika Patel', 'someone for my knee pain', 'a heart doctor', 'Dr Chen for my kid', 'Dr Ortega', 'a neurologist', 'my family doctor'];
const ASK = ['I need to see', 'book', 'can I get an appointment with', 'appointment with', 'I would like to see', 'is there anything with', ''];

function scripts(): Script[] {
  const rand = rng(12);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  // Day and time phrasings of the clinic corpus written for this very clock, and not questions.
  const dates = (JSON.parse(fs.readFileSync(path.join(CORPUS, 'dates.clinic.en.json'), 'utf8')) as DateCase[])
    .filter((c) => c.now === '2026-11-27T14:30' && !c.expect.ask && !c.prefer)
    .map((c) => c.text);
  const publicBook = (JSON.parse(fs.readFileSync(path.join(CORPUS, 'intents.public.en.json'), 'utf8')) as IntentCase[]).filter((c) => c.intent === 'book').map((c) => c.text);
  const out: Script[] = [];
  // Public booking phrasings as they come; the doctor asked for when the bot asks.
  for (const text of publicBook) out.push({ kind: 'patient', first: text, who: pick(WHO) });
  // The clinic's own: who and when in one message, in many word orders.
  for (let i = 0; i < 90; i++) {
    const who = pick(WHO);
    const when = pick(dates);
    const first = rand() < 0.7 ? `${pick(ASK)} ${who} ${when}` : `${when} with ${who}`;
    out.push({ kind: 'patient', first: first.replace(/\s+/g, ' ').trim(), who });
  }
  // Doctors: schedules and time off in their words, said no to (nothing changes between runs).
  const doctorLines = ['today', 'tomorrow', 'schedule next week', 'last friday', 'schedule Nov 20', 'schedule Dec 4', 'this week', 'my hours', 'my time off'];
  const offLines = ['off monday 2-5', 'off friday 2-5pm', 'vacation next week', 'off Dec 24', 'off tomorrow morning', 'off Dec 20 to Jan 2'];
  for (let i = 0; i < 12; i++) out.push({ kind: 'doctor', first: pick(doctorLines), lines: [pick(offLines), 'no', pick(doctorLines), 'menu', pick(['1', '2', '3'])] });
  return out;
}

/** What a patient answers to what they were asked; null when the bot said something they cannot answer. */
function answerTo(reply: string, s: Script, turn: number): string | null {
  const yes = ['yes', 'Yes.', 'ok', 'sure', 'yes please', '👍', 'yep', 'sounds good'];
  if (/^(Book|Move your appointment) .*\? Reply YES or NO\.$/m.test(reply)) return yes[turn % yes.length];
  if (/date of birth/i.test(reply)) return '05/06/1990';
  if (/Which doctor or kind of doctor|Which would you like|Please tell me a kind of doctor/.test(reply)) return s.who!.replace(/^(a|the|my|someone for my) /, '');
  if (/\n1 /.test(reply)) return turn % 2 ? '1' : 'the first one';
  return null;
}

/** Common Spanish given names and surnames (accents as people write them). */
const ES_FIRST = ['José', 'María', 'Lucía', 'Juan', 'Carmen', 'Luis', 'Ana', 'Sofía', 'Miguel', 'Ramón', 'Elena', 'Jorge', 'Inés', 'Pablo', 'Rocío', 'Andrés', 'Marta', 'Raúl', 'Teresa', 'Diego'];
const ES_LAST = ['García', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Díaz', 'Ruiz', 'Torres'];
const ES_OPENERS = ['hola', 'buenas tardes', 'buenos días', 'hola, quiero una cita', 'necesito una cita', 'quisiera pedir cita', 'hola buenas'];
const ES_YES = ['sí', 'si', 'claro', 'vale', 'de acuerdo', 'sí, por favor'];

async function spanishConversations(engine: ReturnType<typeof createDialogEngine>, setNow: (t: number) => void, start: number) {
  const out = { conversations: 0, turns: 0, replies: 0, oneSegment: 0, maxSegments: 0, booked: 0, english: 0 };
  const say = async (phone: string, text: string) => {
    const { replies, locale } = await engine.handle({ channel: 'sms', conversation: 'direct', senderId: phone, text });
    out.turns++;
    const bodies = smsBodies(replies, { locale });
    for (const b of bodies) {
      out.replies++;
      const seg = smsSegments(b);
      if (seg === 1) out.oneSegment++;
      out.maxSegments = Math.max(out.maxSegments, seg);
      if (/\b(Reply|Sorry|Please|What would|appointment)\b/.test(b)) {
        out.english++;
        if (process.env.SHOW_ES && out.english < 12) console.log(`EN after "${text}": ${b.slice(0, 140)}`);
      }
      if (seg > 2 && process.env.SHOW_ES) console.log(`LONG after "${text}": ${b}`);
    }
    return bodies.join('\n');
  };
  for (let i = 0; i < 40; i++) {
    setNow(start + i * 60_000);
    const phone = `+1555${String(60 + (i % 30)).padStart(3, '0')}${String(i).padStart(4, '0')}`;
    const name = `${ES_FIRST[i % ES_FIRST.length]} ${ES_LAST[i % ES_LAST.length]}`;
    out.conversations++;
    await say(phone, ES_OPENERS[i % ES_OPENERS.length]);
    await say(phone, name);
    await say(phone, `0${1 + (i % 9)}/1${i % 3}/19${60 + i}`);
    await say(phone, ES_YES[i % ES_YES.length]);
    await say(phone, '1');
    await say(phone, ['Dr Okafor', 'Dr Brooks', 'Dr Chen', 'Dr Anika Patel'][i % 4]);
    await say(phone, String(1 + (i % 3)));
    if (/^Reservado: /m.test(await say(phone, ES_YES[(i + 1) % ES_YES.length]))) out.booked++;
    await say(phone, '2');
    await say(phone, `0${1 + (i % 9)}/1${i % 3}/19${60 + i}`);
    await say(phone, 'menu');
  }
  return out;
}

async function main(): Promise<void> {
  console.log('Clinic Concierge conversation benchmark');
  console.log(machine());
  const bench = await createBenchDatabase('conversation');
  const redis = await connectRedis(createRedis(BENCH_REDIS_URL));
  const prefix = benchPrefix('conv');
  let now = NOW;
  const clock = () => now;
  try {
    await seedDemoClinic(bench.db);
    const services = createServices({ db: bench.db, locks: createRedlockSlotLock(redis, { prefix, ttlMs: 5000 }), now: clock, clinicTimezone: ZONE, settingsCacheMs: 60_000 });
    const engine = createDialogEngine({
      services,
      store: createRedisConversationStore(redis, prefix),
      registrations: createRegistrationThrottle(redis, prefix, services.settings),
      now: clock,
      clinicName: 'Demo Clinic',
      clinicTimezone: ZONE,
    });

    const all = scripts();
    const latencies: number[] = [];
    const textsToBook: number[] = [];
    /** Texts to book where the first message named who (a doctor, a specialty or a symptom). */
    const textsNamed: number[] = [];
    const long: string[] = [];
    let turns = 0;
    let understood = 0;
    let oneSms = 0;
    let oneSegment = 0;
    let notBooked = 0;
    const misses: string[] = [];
    const say = async (sender: string, text: string, channel: 'sms' | 'console') => {
      const t0 = performance.now();
      const { replies } = await engine.handle({ channel, conversation: 'direct', senderId: sender, text });
      latencies.push(performance.now() - t0);
      const bodies = smsBodies(replies);
      const reply = replies.map((r) => [r.text, ...(r.choices ?? []).map((c) => `${c.value} ${c.label}`)].join('\n')).join('\n');
      turns++;
      if (bodies.length === 1) oneSms++;
      if (bodies.every((b) => smsSegments(b) === 1)) oneSegment++;
      const lost = /Sorry, I didn't|I couldn't (read|find)|Please reply with a number/.test(reply);
      if (!lost) understood++;
      else if (misses.length < 8) misses.push(`"${text}" -> ${reply.split('\n')[0]}`);
      return reply;
    };

    const t0 = performance.now();
    let n = 0;
    for (const s of all) {
      now = NOW + n * 60_000;
      if (s.kind === 'doctor') {
        for (const line of [s.first, ...s.lines!]) await say('anika.patel@demo.clinic', line, 'console');
        continue;
      }
      const phone = `+1555050${String(n++).padStart(4, '0')}`;
      await insertPatient(bench.db, { name: 'Bench Patient', phone, dateOfBirth: '1990-05-06', timeZone: ZONE });
      let reply = await say(phone, s.first, 'sms');
      let texts = 1;
      while (!/^Booked: /m.test(reply) && texts < MAX_TEXTS) {
        const next = answerTo(reply, s, texts);
        if (!next) break;
        reply = await say(phone, next, 'sms');
        texts++;
      }
      if (/^Booked: /m.test(reply)) {
        textsToBook.push(texts);
        if (s.first.includes(s.who!)) {
          textsNamed.push(texts);
          if (texts > 3 && long.length < 5) long.push(`"${s.first}": ${texts} texts`);
        }
      }
      else {
        notBooked++;
        if (misses.length < 8) misses.push(`"${s.first}" ended at: ${reply.split('\n')[0]}`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;

    // Spanish: patients who write in Spanish register and book by the menu, list and change; every
    // reply counted in segments as it would be sent (accents kept: UCS-2 past one non-GSM letter).
    // Forty registrations in a few seconds: more than the clinic's hourly throttle lets through.
    await services.settings.update(await insertAdmin(bench.db, { name: 'Bench Admin', email: 'bench.admin@demo.clinic' }), 'registrationsPerHour', 1000);
    const spanish = await spanishConversations(engine, (t) => (now = t), NOW + n * 60_000);

    const patientsPlayed = all.filter((s) => s.kind === 'patient').length;
    console.log(`\n${all.length} conversations (${patientsPlayed} patients, ${all.length - patientsPlayed} doctor sessions), ${turns} turns`);
    console.log(`texts to book from a natural first message: median ${pct(textsToBook, 50)}, p90 ${pct(textsToBook, 90)}, max ${Math.max(...textsToBook)}; within 3: ${share(textsToBook.filter((x) => x <= 3).length, patientsPlayed)} (target: at most 3)`);
    console.log(`  when the first message names who: median ${pct(textsNamed, 50)}, max ${Math.max(...textsNamed)}; within 3: ${share(textsNamed.filter((x) => x <= 3).length, textsNamed.length)} of ${textsNamed.length}`);
    if (long.length) console.log(`  longer ones: ${long.join('; ')}`);
    console.log(`booked: ${share(textsToBook.length, patientsPlayed)} of patients (${notBooked} not within ${MAX_TEXTS} texts)`);
    console.log(`turns understood: ${share(understood, turns)}`);
    console.log(`turns sent as one SMS: ${share(oneSms, turns)} (target: at least 95%)`);
    console.log(`turns within one segment: ${share(oneSegment, turns)}`);
    console.log(`turn latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms; ${(turns / seconds).toFixed(0)} turns/s in one conversation at a time`);
    if (misses.length) console.log(`first misses:\n  ${misses.join('\n  ')}`);

    console.log('\ndate reader');
    for (const file of [...CORPUS_FILES, path.join(CORPUS, 'dates.duckling.en.json')]) console.log(`  ${path.basename(file)}: ${formatScore(scoreDates(loadCases([file])))}`);
    for (const file of [...CORPUS_FILES_ES, HELDOUT_ES]) console.log(`  ${path.basename(file)}: ${formatScore(scoreDates(loadCases([file])))}`);
    console.log('date readers compared on the Spanish corpora (booking phrasings):');
    for (const r of compareReaders(loadCases(CORPUS_FILES_ES))) console.log(`  ${formatReaderScore(r)}`);
    console.log('date readers compared on the Duckling corpus (booking phrasings):');
    for (const r of compareReaders(loadCases([path.join(CORPUS, 'dates.duckling.en.json')]))) console.log(`  ${formatReaderScore(r)}`);
    const intents = await scoreIntents(JSON.parse(fs.readFileSync(path.join(CORPUS, 'intents.public.en.json'), 'utf8')) as IntentCase[]);
    console.log(`intent classifier: ${intents.cases} public phrasings, ${share(intents.right, intents.cases)} read right`);
    const intentsEs = await scoreIntents(JSON.parse(fs.readFileSync(path.join(CORPUS, 'intents.public.es.json'), 'utf8')) as IntentCase[], 'es');
    console.log(`intent classifier, Spanish: ${intentsEs.cases} phrasings not in training (public Spanish chatbot data and clinic transcripts), ${share(intentsEs.right, intentsEs.cases)} read right`);
    console.log(
      `Spanish: ${spanish.conversations} conversations, ${spanish.turns} turns, ${spanish.booked} booked; replies within one segment: ${share(spanish.oneSegment, spanish.replies)} (target: at least 90%), most segments in a reply: ${spanish.maxSegments} (target: at most 2), English words in replies: ${spanish.english}`,
    );
    console.log(`peak memory (rss): ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    clearInterval(sampler);
    redis.disconnect();
    await bench.drop();
    await clearBenchKeys();
  }
}

main().catch(async (err) => {
  console.error(err);
  await cleanUpBench().catch(() => undefined);
  process.exit(1);
});
