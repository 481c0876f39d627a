import { ValidationError } from './errors';

/** A kind of visit the clinic offers: its own length, and time blocked around it. */
export interface VisitType {
  id: string;
  name: string;
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  telehealth: boolean;
  /** For telehealth: the video link, '{token}' replaced per appointment. */
  videoUrlTemplate?: string | null;
  /** Everyday words that name it ('first visit', 'follow-up'). */
  keywords: string[];
  /** Asked of the patient after booking, each one skippable. */
  intakeQuestions: string[];
}

/** A place the clinic sees patients. */
export interface Location {
  id: string;
  name: string;
  address: string | null;
  phoneE164: string | null;
  timeZone: string;
}

/** What the slot engine needs to place one visit: its length, its buffers, the doctor's grid. */
export interface VisitPlan {
  visitTypeId: string | null;
  name: string | null;
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  gridMinutes: number;
  telehealth: boolean;
  videoUrlTemplate: string | null;
}

export interface PlanningDoctor {
  fullName: string;
  slotMinutes: number;
  gridMinutes?: number | null;
  defaultVisitTypeId?: string | null;
}

/**
 * The visit a booking is for: the type asked for, if the doctor offers it; else the doctor's
 * default type; else (a doctor no type is set up for) their plain slot length with no buffers.
 * Start times step on the doctor's grid, or on the visit's length when the doctor has none, which
 * is how slots were laid out before visit types existed.
 */
export function planVisit(doctor: PlanningDoctor, offered: readonly VisitType[], requestedId?: string | null): VisitPlan {
  let type: VisitType | undefined;
  if (requestedId) {
    type = offered.find((t) => t.id === requestedId);
    if (!type) throw new ValidationError(`${doctor.fullName} does not offer that kind of visit.`, 'visitType');
  } else if (doctor.defaultVisitTypeId) {
    type = offered.find((t) => t.id === doctor.defaultVisitTypeId);
  }
  const duration = type?.durationMinutes ?? doctor.slotMinutes;
  return {
    visitTypeId: type?.id ?? null,
    name: type?.name ?? null,
    durationMinutes: duration,
    bufferBeforeMinutes: type?.bufferBeforeMinutes ?? 0,
    bufferAfterMinutes: type?.bufferAfterMinutes ?? 0,
    gridMinutes: doctor.gridMinutes ?? duration,
    telehealth: type?.telehealth ?? false,
    videoUrlTemplate: type?.videoUrlTemplate ?? null,
  };
}

/** Lower-case words with accents and punctuation folded, for matching what patients write. */
function fold(text: string): string {
  return ` ${text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()} `;
}

/**
 * The visit types a message names, by name or by their everyday words ('first visit', 'follow up').
 * Longest phrase wins, so 'new patient follow-up' reads as the follow-up if only that is a keyword.
 */
export function visitTypesNamed<T extends Pick<VisitType, 'id' | 'name' | 'keywords'>>(text: string, types: readonly T[]): T[] {
  const said = fold(text);
  let best = 0;
  const found: T[] = [];
  for (const t of types) {
    const phrases = [t.name, ...t.keywords].map(fold).filter((p) => p.trim().length > 2);
    const hit = Math.max(0, ...phrases.filter((p) => said.includes(p)).map((p) => p.length));
    if (hit === 0) continue;
    if (hit > best) {
      best = hit;
      found.length = 0;
      found.push(t);
    } else if (hit === best) found.push(t);
  }
  return found;
}

/** The locations a message names ('downtown', 'the Eastside clinic'), by any word of their name. */
export function locationsNamed<T extends Pick<Location, 'id' | 'name'>>(text: string, locations: readonly T[]): T[] {
  const said = fold(text);
  const generic = new Set(['clinic', 'office', 'centre', 'center', 'the', 'main', 'street', 'st', 'health', 'medical', 'clinica', 'consultorio']);
  return locations.filter((l) => {
    if (said.includes(fold(l.name))) return true;
    return fold(l.name)
      .trim()
      .split(' ')
      .filter((w) => w.length > 3 && !generic.has(w))
      .some((w) => said.includes(` ${w} `));
  });
}

/** A random token for a telehealth link, put where the template says '{token}'. */
export function videoUrl(template: string, token: string): string {
  return template.includes('{token}') ? template.replace('{token}', token) : `${template.replace(/\/$/, '')}/${token}`;
}
