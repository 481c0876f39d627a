import { createMemo, type Memo } from '../../src/domain/memo';
import damerau from 'damerau-levenshtein';

/**
 * The clinic's own words: its doctors' names and its specialties, with the everyday words and
 * symptoms admins attach to each (`/clinic specialties add "Orthopedics" keywords="knee, back"`).
 * Matching forgives accents, case and a slip of the keyboard ('skni', 'dermatolgist'), and never
 * takes a number word or an everyday word for a name.
 */
export interface Directory {
  doctors: Array<{ id: string; fullName: string; specializations: string[] }>;
  specialties: Array<{ name: string; keywords: string[] }>;
  /** The clinic's locations, for 'downtown' in a message. */
  locations?: Array<{ id: string; name: string; address: string | null; phoneE164: string | null }>;
  /** Kinds of visit, the words that name them, and who offers them. */
  visitTypes?: Array<{ id: string; name: string; keywords: string[]; durationMinutes: number; doctorIds: string[]; intakeQuestions: string[] }>;
}

export interface DoctorHit {
  id: string;
  fullName: string;
}

export const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Words that are never a doctor's name, whatever a name may look like. */
const NOT_NAMES = new Set(
  (
    'one two three four five six seven eight nine ten first second third last next this that the a an to i me my you your see need want like ' +
    'with for at on in of and or is are am be can could would will please doctor doc dr dra book appointment appt time times day today tomorrow ' +
    'morning afternoon evening yes no ok okay sure thanks thank hi hello hey more later earlier other another any some new change move cancel ' +
    'reschedule instead actually how about what when who which free open available soon asap week weekend monday tuesday wednesday thursday ' +
    'friday saturday sunday pain sick kid kids child son daughter baby help menu back list'
  ).split(' '),
);

/** How far a word may stray from a name or keyword and still be it. */
function close(word: string, target: string): boolean {
  if (word === target) return true;
  if (word.length < 4 || target.length < 4) return false;
  return closeMemo(`${word}\u0000${target}`, () => closeByEdits(word, target));
}

function closeByEdits(word: string, target: string): boolean {
  if (word.length < 4 || target.length < 4) return false;
  const { steps } = damerau(word, target);
  // Four letters: only two swapped ('skni' for 'skin'), never another letter ('more' is not 'mole').
  if (target.length === 4) return steps === 1 && [...word].sort().join('') === [...target].sort().join('');
  return steps <= (target.length >= 8 ? 2 : 1);
}

/** Person forms of a specialty's name: Dermatology -> dermatologist, Pediatrics -> pediatrician. */
function forms(name: string): string[] {
  const n = fold(name);
  const out = [n];
  if (n.endsWith('ology')) out.push(`${n.slice(0, -1)}ist`, `${n.slice(0, -1)}ists`);
  if (n.endsWith('iatry')) out.push(`${n.slice(0, -1)}ist`);
  if (n.endsWith('ics')) out.push(`${n.slice(0, -3)}ician`, `${n.slice(0, -3)}ist`);
  if (n === 'general practice') out.push('gp', 'general practitioner', 'family doctor');
  return out;
}

export interface LexiconMatch {
  doctors: DoctorHit[];
  specialty: string | null;
  /** The words matched, so the rest of the message can be read for other things. */
  spans: Array<{ start: number; end: number; kind: 'doctor' | 'specialty' }>;
}

/** The directory made ready for matching: names folded once, words indexed by length. */
interface Compiled {
  specialties: Array<{ name: string; phrases: string[][] }>;
  /** Each distinct name word, with the doctors whose name has it and their other name words. */
  words: Map<string, Array<{ doc: DoctorHit; names: string[] }>>;
  /** The distinct name words by length, for typo candidates. */
  byLength: Map<number, string[]>;
  /** Typo candidates already worked out: people use the same words over and over. */
  candidates: Memo<string[]>;
}

/** Bounded, so a flood of made-up words cannot grow it without end. */
const MAX_REMEMBERED = 20_000;
const closeMemo = createMemo<boolean>(MAX_REMEMBERED);

const compiled = new WeakMap<Directory, Compiled>();

function compile(dir: Directory): Compiled {
  const hit = compiled.get(dir);
  if (hit) return hit;
  const words: Compiled['words'] = new Map();
  for (const d of dir.doctors) {
    const names = fold(d.fullName).split(' ').filter(Boolean);
    for (const n of new Set(names)) {
      const list = words.get(n) ?? [];
      list.push({ doc: { id: d.id, fullName: d.fullName }, names });
      words.set(n, list);
    }
  }
  const byLength: Compiled['byLength'] = new Map();
  for (const w of words.keys()) byLength.set(w.length, [...(byLength.get(w.length) ?? []), w]);
  const c: Compiled = {
    specialties: dir.specialties.map((s) => ({ name: s.name, phrases: [...forms(s.name), ...s.keywords.map(fold)].map((p) => p.split(' ').filter(Boolean)).filter((p) => p.length) })),
    words,
    byLength,
    candidates: createMemo<string[]>(MAX_REMEMBERED),
  };
  compiled.set(dir, c);
  return c;
}

/** Name words a typed word may be: itself, and those a slip of the keyboard away. */
function nameCandidates(c: Compiled, w: string): string[] {
  return c.candidates(w, () => {
    const out = c.words.has(w) ? [w] : [];
    if (w.length >= 4) {
      for (let len = w.length - 2; len <= w.length + 2; len++) for (const n of c.byLength.get(len) ?? []) if (n !== w && closeByEdits(w, n)) out.push(n);
    }
    return out;
  });
}

/** Doctors and specialties named in `text` (already lower-case or not). */
export function matchDirectory(text: string, dir: Directory): LexiconMatch {
  const c = compile(dir);
  const folded = fold(text);
  const words = [...folded.matchAll(/\S+/g)].map((m) => ({ w: m[0], start: m.index!, end: m.index! + m[0].length }));
  const spans: LexiconMatch['spans'] = [];

  // Specialties: a name, a person form, or a keyword (keywords may be several words: 'blood pressure').
  let specialty: string | null = null;
  let best = 0;
  for (const s of c.specialties) {
    for (const parts of s.phrases) {
      for (let i = 0; i + parts.length <= words.length; i++) {
        const slice = words.slice(i, i + parts.length);
        if (!slice.every((x, j) => close(x.w, parts[j]))) continue;
        // A longer phrase, or an exact one, wins over a shorter or fuzzier one.
        const score = parts.length * 10 + (slice.every((x, j) => x.w === parts[j]) ? 5 : 0);
        if (score > best) {
          best = score;
          specialty = s.name;
        }
        spans.push({ start: slice[0].start, end: slice[slice.length - 1].end, kind: 'specialty' });
      }
    }
  }

  // Doctors: a word of their name, after 'dr'/'doctor' or not; several doctors may share it.
  const hits = new Map<string, { doc: DoctorHit; score: number }>();
  for (const [i, x] of words.entries()) {
    if (NOT_NAMES.has(x.w) || /^\d/.test(x.w)) continue;
    const afterTitle = i > 0 && /^(dr|doctor|doc|dra)$/.test(words[i - 1].w);
    for (const n of nameCandidates(c, x.w)) {
      if (!(x.w === n || afterTitle || x.w.length >= 5)) continue;
      for (const { doc, names } of c.words.get(n)!) {
        const next = words[i + 1];
        // Two words of the same name ('anika patel') make it that doctor alone.
        const both = next && names.some((m) => m !== n && close(next.w, m));
        const score = (x.w === n ? 2 : 1) + (afterTitle ? 1 : 0) + (both ? 5 : 0);
        const prev = hits.get(doc.id);
        if (!prev || prev.score < score) hits.set(doc.id, { doc, score });
        spans.push({ start: afterTitle ? words[i - 1].start : x.start, end: both ? next.end : x.end, kind: 'doctor' });
      }
    }
  }
  const top = Math.max(0, ...[...hits.values()].map((h) => h.score));
  const doctors = [...hits.values()].filter((h) => h.score === top).map((h) => h.doc);
  return { doctors, specialty, spans };
}
