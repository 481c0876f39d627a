import { DateTime } from 'luxon';
import type { WhenReading } from '../understanding/dates';
import type { Turn } from '../flow';
import type { SlotOptions } from '../../src/services/availability';

/**
 * The times to offer a patient: free slots of the doctors in question, inside what they asked for
 * (a day, a span, a part of the day, a time they would like to be near), never at a time the patient
 * is already booked, earliest first (or nearest the time asked for).
 */
export interface Offer {
  start: number;
  doctorId: string;
  doctorName: string;
  /** Where the doctor works at that time (null for a clinic that names no locations). */
  locationId?: string | null;
}

/** Which visit and where, per doctor: a kind of visit only applies to the doctors who offer it. */
export type VisitOptions = (doctorId: string) => SlotOptions;
const noOptions: VisitOptions = () => ({});

const DAY = 86_400_000;
/** How far ahead 'any time' looks. */
const LOOKAHEAD_DAYS = 60;

export interface OfferQuery {
  doctors: Array<{ id: string; name: string }>;
  when: WhenReading | null;
  /** Only times after this instant ('more', 'later'). */
  after?: number | null;
  count?: number;
  /** An appointment being moved: its own time is not "busy". */
  moving?: string | null;
  visit?: VisitOptions;
}

/** The span of days a reading covers, in the patient's zone, as instants [from, to). */
export function spanOf(when: WhenReading | null, t: Turn): { from: number; to: number } {
  const now = t.deps.now();
  const day = (iso: string) => DateTime.fromISO(iso, { zone: t.zone }).startOf('day');
  if (when?.kind === 'day') return { from: day(when.date).toMillis(), to: day(when.date).plus({ days: 1 }).toMillis() };
  if (when?.kind === 'range') return { from: day(when.from).toMillis(), to: day(when.to).plus({ days: 1 }).toMillis() };
  return { from: now, to: now + LOOKAHEAD_DAYS * DAY };
}

function minutesOf(instant: number, zone: string): number {
  const dt = DateTime.fromMillis(instant, { zone });
  return dt.hour * 60 + dt.minute;
}

/** Whether a slot suits what was asked: its window of the day, or (for a time alone) nothing else. */
export function suits(when: WhenReading | null, instant: number, zone: string): boolean {
  if (!when || when.kind === 'asap' || when.kind === 'ask') return true;
  const window = 'window' in when ? when.window : undefined;
  if (!window) return true;
  const m = minutesOf(instant, zone);
  return m >= window.start && m < window.end;
}

/** The time of day asked for, if any ('3pm', 'Friday at 10'). */
export function exactTime(when: WhenReading | null): number | null {
  if (!when) return null;
  if ((when.kind === 'day' || when.kind === 'time') && when.time !== undefined) return when.time;
  return null;
}

export async function patientBusy(t: Turn, moving?: string | null): Promise<Array<{ start: number; end: number }>> {
  if (!t.actor?.patientId) return [];
  const mine = await t.deps.services.appointments.listForPatient(t.actor, t.actor.patientId, 'upcoming', 50);
  return mine.filter((a) => a.id !== moving).map((a) => ({ start: a.startsAt.getTime(), end: a.endsAt.getTime() }));
}

export async function findOffers(t: Turn, q: OfferQuery): Promise<Offer[]> {
  const count = q.count ?? 3;
  const { from, to } = spanOf(q.when, t);
  const start = Math.max(from, q.after ? q.after + 1 : 0);
  if (start >= to) return [];
  const busy = await patientBusy(t, q.moving);
  const wanted = exactTime(q.when);
  const all: Offer[] = [];
  for (const d of q.doctors) {
    // More than we show: some fall outside the window or at the patient's own appointments.
    const narrowed = wanted !== null || Boolean(q.when && 'window' in q.when && q.when.window);
    const slots = await t.deps.services.availability.freeSlots(d.id, new Date(start), new Date(to), narrowed ? undefined : 40, (q.visit ?? noOptions)(d.id));
    for (const s of slots) {
      if (!suits(q.when, s.start, t.zone)) continue;
      if (busy.some((b) => s.start < b.end && b.start < s.end)) continue;
      all.push({ start: s.start, doctorId: d.id, doctorName: d.name, locationId: s.locationId ?? null });
    }
  }
  if (wanted !== null) {
    // Nearest the time asked for first, then the earliest day.
    const distance = (o: Offer) => Math.abs(minutesOf(o.start, t.zone) - wanted);
    all.sort((a, b) => distance(a) - distance(b) || a.start - b.start);
    return all.slice(0, count).sort((a, b) => a.start - b.start);
  }
  return all.sort((a, b) => a.start - b.start || a.doctorName.localeCompare(b.doctorName)).slice(0, count);
}

/** The free slot at exactly the day and time asked for, if there is one. */
export async function exactOffer(
  t: Turn,
  doctor: { id: string; name: string },
  when: WhenReading | null,
  moving?: string | null,
  visit: VisitOptions = noOptions,
): Promise<Offer | null> {
  if (!when || when.kind !== 'day' || when.time === undefined) return null;
  const at = DateTime.fromISO(when.date, { zone: t.zone }).startOf('day').plus({ minutes: when.time }).toMillis();
  const slots = await t.deps.services.availability.freeSlots(doctor.id, new Date(at), new Date(at + 1), 1, visit(doctor.id));
  if (slots[0]?.start !== at) return null;
  const busy = await patientBusy(t, moving);
  if (busy.some((b) => at < b.end && b.start < slots[0].end)) return null;
  return { start: at, doctorId: doctor.id, doctorName: doctor.name, locationId: slots[0].locationId ?? null };
}

/**
 * The nearest free times to an instant the patient could not have, never their own booked times:
 * the nearest before and the nearest after first (a Saturday with nothing offers Friday and Monday),
 * then the next nearest.
 */
export async function nearestOffers(
  t: Turn,
  doctor: { id: string; name: string },
  around: number,
  moving?: string | null,
  visit: VisitOptions = noOptions,
): Promise<Offer[]> {
  const busy = await patientBusy(t, moving);
  const near = (await t.deps.services.availability.nearestFreeSlots(doctor.id, new Date(around), 12, visit(doctor.id)))
    .filter((s) => s.start !== around && s.start > t.deps.now() && !busy.some((b) => s.start < b.end && b.start < s.end))
    .sort((a, b) => Math.abs(a.start - around) - Math.abs(b.start - around) || a.start - b.start);
  const before = near.find((s) => s.start < around);
  const after = near.find((s) => s.start > around);
  const chosen = [before, after].filter((s): s is NonNullable<typeof s> => Boolean(s));
  for (const s of near) if (chosen.length < 3 && !chosen.includes(s)) chosen.push(s);
  return chosen
    .slice(0, 3)
    .sort((a, b) => a.start - b.start)
    .map((s) => ({ start: s.start, doctorId: doctor.id, doctorName: doctor.name, locationId: s.locationId ?? null }));
}
