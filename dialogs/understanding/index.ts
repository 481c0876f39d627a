import { choiceNumber, yesNo, type YesNo } from './answers';
import { findWhen, type WhenReading } from './dates';
import { MASK, classify, type Role } from './intents';
import { fold, matchDirectory, type Directory, type DoctorHit } from './lexicon';
import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import { locationsNamed, visitTypesNamed } from '../../src/domain/visits';
import { findRecurrence, type Recurrence } from './recurrence';

/**
 * The understanding layer: every message, at every step, read for all it says, before any dialog
 * step sees it. What it says it wants (the intent, by the classifier), and what it names: a day or
 * time, doctors, a specialty or symptom, a yes or no, a choice from a list. Steps take what they need
 * from it; what a step cannot use (a new request in the middle of another) the engine routes.
 */
export interface Understood {
  /** The message, cleaned. */
  text: string;
  intent: string | null;
  score: number;
  yesNo: YesNo | null;
  /** 1-based number of a listed item ('2', 'the second one'). */
  choice: number | null;
  when: WhenReading | null;
  doctors: DoctorHit[];
  specialty: string | null;
  /** Kinds of visit the message names ('first visit', 'follow-up'), by id: several when it is unclear which. */
  visitTypes: string[];
  /** A weekly series asked for ('every Tuesday at 10 for 6 weeks'): the first visit is `when`. */
  series: Recurrence | null;
  /** A location the message names ('downtown'), when exactly one. */
  location: { id: string; name: string } | null;
  /** The message with what was recognised taken out: for a search, or a name. */
  rest: string;
}

export interface UnderstandContext {
  role: Role;
  zone: string;
  now: number;
  /** 'nearest' where a day looked up may be past (a doctor's schedule). */
  prefer?: 'future' | 'nearest';
  directory: Directory;
  /** The language the person writes in ('en' by default): yes, no and choices are read in it too. */
  locale?: string;
}

/**
 * The clinic's directory with the language's everyday words for its specialties added ('piel',
 * 'médico de la piel' for Dermatology), made once per directory and language.
 */
const localized = new WeakMap<Directory, Map<string, Directory>>();
function directoryIn(dir: Directory, locale: string | undefined): Directory {
  const words = locale && locale !== DEFAULT_LOCALE ? catalog().words(locale).specialties : undefined;
  if (!words) return dir;
  let byLocale = localized.get(dir);
  if (!byLocale) localized.set(dir, (byLocale = new Map()));
  let out = byLocale.get(locale!);
  if (!out) {
    out = { ...dir, specialties: dir.specialties.map((s) => ({ ...s, keywords: [...s.keywords, ...(words[s.name] ?? [])] })) };
    byLocale.set(locale!, out);
  }
  return out;
}

export async function understand(original: string, ctx: UnderstandContext): Promise<Understood> {
  // 'every Tuesday at 10 for 6 weeks': the series is noted, and the rest ('Tuesday at 10') read as usual.
  const recurring = findRecurrence(original, ctx.locale);
  const text = recurring?.rest ?? original;
  const when = findWhen(text, { zone: ctx.zone, now: ctx.now, prefer: ctx.prefer, locale: ctx.locale });
  const withoutDate = when ? `${when.text.slice(0, when.start)} ${MASK.date} ${when.text.slice(when.end)}` : text;
  const folded = fold(withoutDate);
  const found = matchDirectory(folded, directoryIn(ctx.directory, ctx.locale));
  // The longest spans win where they overlap; then masked from the end, so positions stay right.
  const chosen: typeof found.spans = [];
  for (const span of [...found.spans].sort((a, b) => b.end - b.start - (a.end - a.start))) {
    if (!chosen.some((c) => span.start < c.end && c.start < span.end)) chosen.push(span);
  }
  let masked = folded;
  for (const span of chosen.sort((a, b) => b.start - a.start)) {
    masked = `${masked.slice(0, span.start)}${span.kind === 'doctor' ? MASK.doctor : MASK.specialty}${masked.slice(span.end)}`;
  }
  masked = masked.replace(/\s+/g, ' ').trim();
  const { intent, score } = masked ? await classify(ctx.role, masked, ctx.locale) : { intent: null, score: 0 };
  const rest = masked.replace(new RegExp(`\\b(${Object.values(MASK).join('|')})\\b`, 'g'), ' ').replace(/\s+/g, ' ').trim();
  const places = locationsNamed(text, ctx.directory.locations ?? []);
  return {
    text: original,
    series: recurring?.recurrence ?? null,
    intent,
    score,
    visitTypes: visitTypesNamed(text, ctx.directory.visitTypes ?? []).map((v) => v.id),
    location: places.length === 1 ? { id: places[0].id, name: places[0].name } : null,
    yesNo: yesNo(original, ctx.locale),
    choice: choiceNumber(original, ctx.locale),
    when: when?.reading ?? null,
    doctors: found.doctors,
    specialty: found.specialty,
    rest,
  };
}

