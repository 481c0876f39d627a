import { DateTime } from 'luxon';
import {
  BookingLimitError,
  InvalidStateError,
  NotFoundError,
  PatientBusyError,
  ServiceUnavailableError,
  SlotTakenError,
  SlotUnavailableError,
  ValidationError,
} from '../../src/domain/errors';
import type { Flow, Next, Turn } from '../flow';
import { numbered, pick, yesNoChoices } from '../flow';
import { errorText } from '../support/error-replies';
import { doctorName, formatClock, formatDate, formatSlot, formatTime } from '../support/format';
import type { Understood } from '../understanding';
import type { WhenReading } from '../understanding/dates';
import { exactOffer, exactTime, findOffers, nearestOffers, type Offer, type VisitOptions } from './offers';
import type { Directory } from '../understanding/lexicon';
import type { Recurrence } from '../understanding/recurrence';
import { patientBusy } from './offers';
import { placeText } from '../../src/i18n/place';
import { visitTypesNamed } from '../../src/domain/visits';
import { PATIENT_MAX_OCCURRENCES } from '../../src/services/booking';

/**
 * Booking (and moving) an appointment: who, when, yes. Whatever the first message said fills what
 * it can ('dermatologist tomorrow afternoon', 'book Dr Patel friday 10am') and only what is missing
 * is asked; every step still reads a new doctor, specialty or time ('actually thursday',
 * 'no, Dr Ortega'), and anything else is the engine's to route.
 */
export type BookingStep = 'who' | 'doctor' | 'visit' | 'times' | 'confirm' | 'series' | 'clarify' | 'reason' | 'intake';

export interface Candidate {
  id: string;
  name: string;
  specialties: string[];
  next?: number | null;
}

export interface BookingData {
  doctorId?: string | null;
  doctorName?: string | null;
  specialty?: string | null;
  /** Doctors to choose between (a shared name, or the others of a specialty). */
  candidates?: Candidate[] | null;
  when?: WhenReading | null;
  offered?: Offer[] | null;
  /** Only times after this ('more', 'later'). */
  after?: number | null;
  startsAt?: number | null;
  /** The appointment being moved, when this is a reschedule. */
  moving?: string | null;
  /** A line to say before the times (why these times). */
  note?: string | null;
  /** The doctor was named or chosen (not merely the one whose time was picked from a specialty's). */
  byName?: boolean;
  /** Show the specialties first ('list', 'what doctors do you have'). */
  listSpecialties?: boolean;
  /** The kind of visit named or chosen ('first visit'); the doctor's usual one when null. */
  visitTypeId?: string | null;
  /** Only times at this location ('downtown'). */
  locationId?: string | null;
  /** Where the time being confirmed is. */
  at?: string | null;
  /** After booking: the appointment the reason and intake answers are for, and the questions left. */
  booked?: string | null;
  questions?: string[] | null;
  /** A weekly series asked for; the time being confirmed is its first visit. */
  series?: Recurrence | null;
  /** The series' free starts, as planned when asked. */
  seriesStarts?: number[] | null;
  /** The time being confirmed, held for this patient alone until they answer (or it expires). */
  holdId?: string | null;
}

type Out = Next<'booking'>;

/** A booking started from what a message said. */
export function bookingFrom(u: Understood, extra: Partial<BookingData> = {}): BookingData {
  const one = u.doctors.length === 1 ? u.doctors[0] : null;
  return {
    doctorId: one?.id ?? null,
    doctorName: one?.fullName ?? null,
    byName: Boolean(one),
    candidates: u.doctors.length > 1 ? u.doctors.map((d) => ({ id: d.id, name: d.fullName, specialties: [] })) : null,
    specialty: u.specialty,
    when: u.when,
    visitTypeId: u.visitTypes.length === 1 ? u.visitTypes[0] : null,
    locationId: u.location?.id ?? null,
    series: u.series,
    ...extra,
  };
}

type Kind = NonNullable<Directory['visitTypes']>[number];

/** The kinds of visit a doctor offers. */
function kindsOf(dir: Directory, doctorId: string): Kind[] {
  return (dir.visitTypes ?? []).filter((v) => v.doctorIds.includes(doctorId));
}

/** Which visit and where, per doctor: the kind asked for where the doctor offers it, their usual one elsewhere. */
async function visitFor(t: Turn, d: BookingData): Promise<VisitOptions> {
  const dir = await directory(t);
  return (doctorId) => ({
    visitTypeId: d.visitTypeId && kindsOf(dir, doctorId).some((k) => k.id === d.visitTypeId) ? d.visitTypeId : null,
    locationId: d.locationId ?? null,
  });
}

/** ' at Downtown, 12 Main St' for a time offered, where the clinic names its places. */
async function whereOf(t: Turn, locationId: string | null | undefined, opts: { address?: boolean } = {}): Promise<string> {
  if (!locationId) return '';
  const dir = await directory(t);
  const all = dir.locations ?? [];
  const l = all.find((x) => x.id === locationId);
  if (!l) return '';
  return placeText(t.locale, { name: l.name, address: l.address, phone: l.phoneE164, named: all.length > 1 || Boolean(l.address) }, null, opts);
}

const dr = (name: string) => doctorName(name);
/** A slot in the patient's zone and language. */
const slot = (t: Turn, instant: number | Date) => formatSlot(instant, t.zone, t.deps.now(), t.locale);

/** The slot shown to a patient: its day and time, and the doctor when several are offered. */
function offerLabel(o: Offer, t: Turn, withDoctor: boolean): string {
  const when = slot(t, o.start);
  return withDoctor ? `${when}, ${dr(o.doctorName)}` : when;
}

async function directory(t: Turn) {
  if (!t.deps.directory) throw new Error('no directory');
  return t.deps.directory();
}

/** Where the booking goes from what it knows: the one place that decides what to ask next. */
async function proceed(t: Turn, d: BookingData): Promise<Out> {
  if (d.when?.kind === 'ask') return { to: 'clarify', data: d, replace: true };
  if (d.listSpecialties) return { to: 'who', data: d, replace: true };

  if (!d.doctorId) {
    const dir = await directory(t);
    if (d.candidates?.length) {
      const candidates = d.candidates.map((c) => ({ ...c, specialties: dir.doctors.find((x) => x.id === c.id)?.specializations ?? c.specialties }));
      // A shared name ('Dr Patel'): the one of them who can do the time asked for, if only one can.
      if (d.when) {
        const able: Candidate[] = [];
        const exact = exactTime(d.when) !== null;
        const visit = await visitFor(t, d);
        for (const c of candidates) {
          const can = exact ? await exactOffer(t, c, d.when, d.moving, visit) : (await findOffers(t, { doctors: [c], when: d.when, count: 1, moving: d.moving, visit }))[0];
          if (can) able.push(c);
        }
        // Nobody free at the very time: the one of them who works that day at all ('Dr Patel friday 10am').
        if (able.length === 0 && exact && d.when.kind === 'day') {
          const day: WhenReading = { kind: 'day', date: d.when.date, yearShown: d.when.yearShown };
          for (const c of candidates) if ((await findOffers(t, { doctors: [c], when: day, count: 1, moving: d.moving, visit })).length) able.push(c);
        }
        if (able.length === 1) return proceed(t, { ...d, doctorId: able[0].id, doctorName: able[0].name, candidates: null });
      }
      return { to: 'doctor', data: { ...d, candidates }, replace: true };
    }
    if (d.specialty) {
      const doctors = dir.doctors.filter((x) => x.specializations.includes(d.specialty!));
      if (doctors.length === 0) return { to: 'who', data: { ...d, specialty: null, note: t.say('booking.noSpecialist', { specialty: d.specialty }) }, replace: true };
      if (doctors.length === 1) return proceed(t, { ...d, doctorId: doctors[0].id, doctorName: doctors[0].fullName });
      // Several doctors of that specialty: the earliest times among them, whoever has them.
      return offerTimes(t, d, doctors.map((x) => ({ id: x.id, name: x.fullName })));
    }
    return { to: 'who', data: d, replace: true };
  }
  // A doctor with several kinds of visit, and none named that they offer: one short question.
  // A move keeps the kind of visit it was booked as.
  if (!d.moving) {
    const kinds = kindsOf(await directory(t), d.doctorId);
    if (kinds.length > 1 && !kinds.some((k) => k.id === d.visitTypeId)) return { to: 'visit', data: { ...d, visitTypeId: null }, replace: true };
  } else if (d.visitTypeId === undefined) {
    const moving = (await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'upcoming', 50)).find((a) => a.id === d.moving);
    return proceed(t, { ...d, visitTypeId: moving?.visitTypeId ?? null });
  }
  return offerTimes(t, d, [{ id: d.doctorId, name: d.doctorName ?? '' }]);
}

async function offerTimes(t: Turn, d: BookingData, doctors: Array<{ id: string; name: string }>): Promise<Out> {
  const visit = await visitFor(t, d);
  // The very time asked for, with one doctor, is free: straight to the question.
  if (doctors.length === 1) {
    const exact = await exactOffer(t, doctors[0], d.when ?? null, d.moving, visit);
    if (exact) return { to: 'confirm', data: { ...d, startsAt: exact.start, doctorId: exact.doctorId, doctorName: exact.doctorName, at: exact.locationId ?? null, offered: null }, replace: true };
  }
  const offered = await findOffers(t, { doctors, when: d.when ?? null, after: d.after, moving: d.moving, visit });
  // 'first available', 'asap': the soonest time is the answer; the question is whether it suits.
  if (d.when?.kind === 'asap' && offered.length > 0) {
    const first = offered[0];
    return { to: 'confirm', data: { ...d, startsAt: first.start, doctorId: first.doctorId, doctorName: first.doctorName, at: first.locationId ?? null, offered }, replace: true };
  }
  if (offered.length > 0) {
    const note = d.note ?? notFreeNote(t, d.when ?? null, offered);
    return { to: 'times', data: { ...d, offered, note }, replace: true };
  }
  // Nothing in what was asked. A part of a day with none: that part of the days after it. A day:
  // the nearest times either side (one doctor) or the next ones from that day (a specialty). Else
  // the first free times; and for one doctor with nothing soon, their colleagues (below).
  if (d.when) {
    const day = d.when.kind === 'day' ? d.when.date : d.when.kind === 'range' ? d.when.from : null;
    const dayStart = day ? DateTime.fromISO(day, { zone: t.zone }).startOf('day').toMillis() : null;
    const window = 'window' in d.when ? d.when.window : undefined;
    if (dayStart !== null && window) {
      const part = await findOffers(t, { doctors, when: { kind: 'time', window }, after: Math.max(dayStart, d.after ?? 0), moving: d.moving, visit });
      if (part.length) return { to: 'times', data: { ...d, offered: part, note: t.say('booking.otherDays', { nothing: nothingOn(t, d.when, true) }), when: { kind: 'time', window } }, replace: true };
    }
    if (d.when.kind === 'day' && doctors.length === 1) {
      const around = DateTime.fromISO(d.when.date, { zone: t.zone }).plus({ minutes: exactTime(d.when) ?? 9 * 60 }).toMillis();
      const near = await nearestOffers(t, doctors[0], around, d.moving, visit);
      if (near.length) return { to: 'times', data: { ...d, offered: near, note: t.say('booking.nearestTimes', { nothing: nothingOn(t, d.when) }), when: null }, replace: true };
    }
    const from = dayStart !== null && dayStart > t.deps.now() ? dayStart - 1 : d.after;
    const later = (await findOffers(t, { doctors, when: null, after: from, moving: d.moving, visit })).concat();
    const any = later.length ? later : await findOffers(t, { doctors, when: null, after: d.after, moving: d.moving, visit });
    if (any.length) return { to: 'times', data: { ...d, offered: any, note: t.say(later.length && dayStart !== null ? 'booking.nextTimes' : 'booking.firstTimes', { nothing: nothingOn(t, d.when) }), when: null }, replace: true };
  }
  if (doctors.length === 1 && !d.moving) {
    const others = await colleagues(t, doctors[0].id, visit);
    if (others.length) {
      return { to: 'doctor', data: { ...d, candidates: others, note: t.say('booking.nothingSoon', { doctor: dr(doctors[0].name) }), doctorId: null, doctorName: null }, replace: true };
    }
  }
  return { done: [{ text: doctors.length === 1 ? t.say('booking.noneForWeeks', { doctor: dr(doctors[0].name) }) : t.say('booking.noneForWeeksAny') }] };
}

/** 'Nothing is free on Sat 5 Dec.', naming what was asked where it can. */
function nothingOn(t: Turn, when: WhenReading, then = false): string {
  if (when.kind === 'day') {
    const day = `${formatDate(DateTime.fromISO(when.date, { zone: t.zone }).toJSDate(), t.zone, undefined, t.locale)}${when.yearShown ? ` ${when.date.slice(0, 4)}` : ''}`;
    return t.say(then ? 'booking.nothingOnThen' : 'booking.nothingOn', { day });
  }
  return t.say('booking.nothingThen');
}

/** Why these times, when a time was asked for and they are not all at it. */
function notFreeNote(t: Turn, when: WhenReading | null, offered: Offer[]): string | null {
  const wanted = exactTime(when);
  if (wanted === null) return null;
  const label = formatClock(wanted, t.locale);
  if (when?.kind === 'time') {
    const atIt = offered.every((o) => formatTime(o.start, t.zone, t.locale) === label);
    return t.say(atIt ? 'booking.freeAt' : 'booking.nearestTo', { time: label });
  }
  const day = when?.kind === 'day' ? formatDate(DateTime.fromISO(when.date, { zone: t.zone }).toJSDate(), t.zone, undefined, t.locale) : '';
  return day ? t.say('booking.notFreeOn', { time: label, day }) : t.say('booking.notFree', { time: label });
}

/** A time alone said about times already on one day ('the 3:30 one', 'at 4 then') is that day's. */
function onSameDay(prev: WhenReading | null | undefined, next: WhenReading, offered: Offer[] | null | undefined, zone: string): WhenReading {
  if (next.kind !== 'time') return next;
  let date: string | null = prev?.kind === 'day' ? prev.date : null;
  // A time picked out of the list ('the 3:30 one') is on the list's day; a part of the day is any day's.
  if (!date && offered?.length && next.time !== undefined) {
    const days = new Set(offered.map((o) => DateTime.fromMillis(o.start, { zone }).toISODate()));
    if (days.size === 1) date = [...days][0];
  }
  if (!date) return next;
  return { kind: 'day', date, time: next.time, window: next.window, yearShown: prev?.kind === 'day' ? prev.yearShown : false };
}

/** The other doctors of a doctor's specialties who have a free time soon. */
async function colleagues(t: Turn, doctorId: string, visit: VisitOptions): Promise<Candidate[]> {
  const dir = await directory(t);
  const specs = dir.doctors.find((x) => x.id === doctorId)?.specializations ?? [];
  const out: Candidate[] = [];
  for (const other of dir.doctors.filter((x) => x.id !== doctorId && x.specializations.some((s) => specs.includes(s)))) {
    const [first] = await findOffers(t, { doctors: [{ id: other.id, name: other.fullName }], when: null, count: 1, visit });
    if (first) out.push({ id: other.id, name: other.fullName, specialties: other.specializations, next: first.start });
  }
  return out.slice(0, 4);
}

/** What an answer at any booking step says about the booking itself: a doctor, a specialty, a time. */
function changes(u: Understood, t?: Turn, d?: BookingData): Partial<BookingData> | null {
  const c: Partial<BookingData> = {};
  if (u.doctors.length === 1) Object.assign(c, { doctorId: u.doctors[0].id, doctorName: u.doctors[0].fullName, byName: true, candidates: null, specialty: null });
  else if (u.doctors.length > 1) Object.assign(c, { doctorId: null, doctorName: null, candidates: u.doctors.map((x) => ({ id: x.id, name: x.fullName, specialties: [] })) });
  else if (u.specialty) Object.assign(c, { specialty: u.specialty, doctorId: null, doctorName: null, candidates: null });
  if (u.when) c.when = t && d ? onSameDay(d.when, u.when, d.offered, t.zone) : u.when;
  if (u.visitTypes.length === 1 && u.visitTypes[0] !== d?.visitTypeId) c.visitTypeId = u.visitTypes[0];
  if (u.location && u.location.id !== d?.locationId) c.locationId = u.location.id;
  if (u.series) c.series = u.series;
  return Object.keys(c).length ? { ...c, after: null, note: null, offered: null, listSpecialties: false } : null;
}

/**
 * Who a new day or time is asked of: the doctor named, or (when the doctor only came with a time
 * picked from a specialty's list) every doctor of that specialty again.
 */
function sameWho(d: BookingData): Partial<BookingData> {
  if (d.specialty && !d.byName && !d.moving) return { doctorId: null, doctorName: null, specialty: d.specialty };
  return { doctorId: d.doctorId, doctorName: d.doctorName, specialty: d.specialty };
}

/** Requests that are not about this booking ('cancel my 3pm instead', 'my appointments'). */
const ELSEWHERE = new Set(['cancel', 'reschedule', 'list', 'past', 'details', 'help', 'thanks', 'bye']);
/** Small talk never outweighs a day or time in the same message ('el de las 12:30' is a pick, not thanks). */
const SMALL_TALK = new Set(['help', 'thanks', 'bye']);
const elsewhere = (u: Understood) =>
  u.choice === null && u.yesNo === null && u.intent !== null && ELSEWHERE.has(u.intent) && u.score >= 0.8 && !(u.when && SMALL_TALK.has(u.intent));

/** The specialties of a directory, gathered once per directory read (every doctor's, sorted). */
const specialtyNames = new WeakMap<object, string>();

async function specialtiesList(t: Turn): Promise<string> {
  const dir = await directory(t);
  let names = specialtyNames.get(dir);
  if (names === undefined) specialtyNames.set(dir, (names = [...new Set(dir.doctors.flatMap((d) => d.specializations))].sort().join(', ')));
  return t.say('booking.specialties', { names });
}

export const bookingFlow: Flow<'booking'> = {
  name: 'booking',
  role: 'patient',
  first: 'who',
  leave: (t, d) => release(t, d),
  steps: {
    who: {
      help: 'booking.whoHelp',
      async ask(t, d) {
        if (d.listSpecialties) return [{ text: t.say('booking.whichOfList', { list: await specialtiesList(t) }) }];
        if (d.doctorId || d.specialty || d.candidates?.length) return proceed(t, d);
        return [{ text: t.say('booking.askWho', { note: d.note ? `${d.note} ` : '' }) }];
      },
      async answer(t, d, u) {
        if ((u.intent === 'specialties' || t.says('list', u.text)) && !u.specialty && !u.doctors.length) return { retry: t.say('booking.whichOf', { list: await specialtiesList(t) }), alone: true };
        // A number with no list to pick from is never a name ('three' is not Dr Rahman), nor is a
        // bare 'yes' (a reply to a question already gone): neither is looked up as a doctor.
        if ((u.choice !== null || (u.yesNo === 'yes' && !u.when)) && !u.doctors.length && !u.specialty) {
          return { retry: t.say('booking.notANumber', { list: await specialtiesList(t) }), alone: true };
        }
        const c = changes(u, t, d);
        if (c && (c.doctorId || c.specialty || c.candidates)) return proceed(t, { ...d, ...c, when: c.when ?? d.when });
        if (u.intent && ELSEWHERE.has(u.intent)) return { unhandled: true };
        if (c?.when) return { to: 'who', data: { ...d, when: c.when, note: t.say('booking.gotTime') }, replace: true };
        // Words the clinic's list does not know: the database's looser search (names, keywords, typos).
        if (u.rest.length >= 3) {
          const found = await t.deps.services.doctors.search(u.text, { limit: 5, slotsPerDoctor: 1 });
          if (found.length === 1) return proceed(t, { ...d, doctorId: found[0].doctor.id, doctorName: found[0].doctor.fullName });
          if (found.length > 1) return proceed(t, { ...d, candidates: found.map((f) => ({ id: f.doctor.id, name: f.doctor.fullName, specialties: f.doctor.specializations })) });
        }
        if (u.intent && u.intent !== 'book') return { unhandled: true };
        return { retry: t.say('booking.noDoctorFor', { list: await specialtiesList(t) }), alone: true };
      },
    },

    doctor: {
      help: 'booking.doctorHelp',
      async ask(t, d) {
        const list = d.candidates ?? [];
        const soon = (c: Candidate) => (c.next ? t.say('booking.nextFree', { when: slot(t, c.next) }) : '');
        const label = (c: Candidate) => `${dr(c.name)}${c.specialties.length ? ` (${c.specialties[0]})` : ''}${soon(c)}`;
        return [{ text: d.note ?? t.say('booking.whichDoctor'), choices: numbered(list, label) }];
      },
      async answer(t, d, u) {
        if (elsewhere(u)) return { unhandled: true };
        const chosen = pick(d.candidates ?? undefined, u);
        if (chosen) return proceed(t, { ...d, doctorId: chosen.id, doctorName: chosen.name, byName: true, candidates: null, note: null });
        // 'Dr Ortega' among the doctors listed, or any other.
        const c = changes(u, t, d);
        if (c?.doctorId) return proceed(t, { ...d, ...c });
        if (c?.candidates && d.candidates) {
          const both = c.candidates.filter((x) => d.candidates!.some((y) => y.id === x.id));
          if (both.length === 1) return proceed(t, { ...d, doctorId: both[0].id, doctorName: both[0].name, byName: true, candidates: null, note: null });
        }
        if (c) return proceed(t, { ...d, ...c, candidates: c.candidates ?? d.candidates });
        if (u.choice !== null) return { retry: t.say('booking.numberFrom', { count: (d.candidates ?? []).length }) };
        return { unhandled: true };
      },
    },

    visit: {
      help: 'booking.visitHelp',
      async ask(t, d) {
        const kinds = kindsOf(await directory(t), d.doctorId!);
        if (kinds.length < 2) return proceed(t, { ...d, visitTypeId: kinds[0]?.id ?? null });
        return [{ text: t.say('booking.whichVisit', { doctor: dr(d.doctorName!) }), choices: numbered(kinds, (k) => (/\(\d+ min\)$/.test(k.name) ? k.name : t.say('booking.visitLabel', { name: k.name, minutes: k.durationMinutes }))) }];
      },
      async answer(t, d, u) {
        if (elsewhere(u)) return { unhandled: true };
        const kinds = kindsOf(await directory(t), d.doctorId!);
        const named = visitTypesNamed(u.text, kinds);
        const chosen = pick(kinds, u) ?? (named.length === 1 ? named[0] : undefined);
        const c = changes(u, t, d);
        if (chosen) return proceed(t, { ...d, ...(c ?? {}), visitTypeId: chosen.id });
        if (c) return proceed(t, { ...d, ...c });
        if (u.choice !== null) return { retry: t.say('booking.numberFrom', { count: kinds.length }) };
        return { unhandled: true };
      },
    },

    times: {
      help: 'booking.timesHelp',
      async ask(t, d) {
        const offered = d.offered ?? [];
        const several = new Set(offered.map((o) => o.doctorId)).size > 1;
        const one = several ? null : offered[0]?.doctorName ?? d.doctorName;
        const head = d.note ?? (one ? t.say('booking.freeWith', { doctor: dr(one) }) : t.say('booking.free'));
        return [{ text: head, choices: numbered(offered, (o) => offerLabel(o, t, several)) }, { text: t.say('booking.replyTimes') }];
      },
      async answer(t, d, u) {
        if (elsewhere(u)) return { unhandled: true };
        const offered = d.offered ?? [];
        const chosen = pick(offered, u);
        if (chosen) return { to: 'confirm', data: { startsAt: chosen.start, doctorId: chosen.doctorId, doctorName: chosen.doctorName, at: chosen.locationId ?? null } };
        // 'the 3:30 one': a time that is one of those offered.
        const wanted = exactTime(u.when);
        if (wanted !== null && !u.doctors.length) {
          const sameDay = u.when?.kind === 'day' ? u.when.date : null;
          const match = offered.filter((o) => {
            const dt = DateTime.fromMillis(o.start, { zone: t.zone });
            return dt.hour * 60 + dt.minute === wanted && (!sameDay || dt.toISODate() === sameDay);
          });
          if (match.length === 1) return { to: 'confirm', data: { startsAt: match[0].start, doctorId: match[0].doctorId, doctorName: match[0].doctorName, at: match[0].locationId ?? null } };
        }
        // 'more', 'later', 'other days' (not 'next Tue 3pm', which is a time of its own).
        const more =
          !u.when &&
          !u.doctors.length &&
          !u.specialty &&
          (u.intent === 'more' || /\b(more|later|other days?|another day|different day|next ones?)\b/.test(u.text.toLowerCase()) || t.says('more', u.text));
        if (more) {
          if (/\b(other days?|another day|different day)\b/.test(u.text.toLowerCase()) && offered.length) {
            // Days after the ones shown, whatever day was asked for: 'other days' leaves that day.
            const lastDay = DateTime.fromMillis(offered[offered.length - 1].start, { zone: t.zone }).endOf('day').toMillis();
            return proceed(t, { ...d, when: null, after: lastDay, note: null });
          }
          const after = offered.length ? offered[offered.length - 1].start : d.after;
          return proceed(t, { ...d, after, note: null });
        }
        const c = changes(u, t, d);
        if (c) return proceed(t, { ...d, ...c, ...(c.doctorId || c.specialty || c.candidates ? {} : sameWho(d)) });
        if (u.yesNo === 'no') return { retry: t.say('booking.otherTime'), alone: true };
        if (u.choice !== null) return { retry: t.say('booking.numberFrom', { count: offered.length }) };
        return { unhandled: true };
      },
    },

    confirm: {
      help: 'booking.confirmHelp',
      async ask(t, d) {
        if (d.series && !d.moving) return { to: 'series', data: d, replace: true };
        const when = slot(t, d.startsAt!);
        // The kind of visit is named where the doctor has several; the place where the clinic has several.
        const kinds = kindsOf(await directory(t), d.doctorId!);
        const kind = kinds.length > 1 ? kinds.find((k) => k.id === d.visitTypeId) : undefined;
        const doctor = kind ? `${dr(d.doctorName!)} (${kind.name})` : dr(d.doctorName!);
        const text = t.say(d.moving ? 'booking.confirmMove' : 'booking.confirm', { doctor, when, where: await whereOf(t, d.at, { address: false }) });
        // The time is the patient's alone while they answer: nobody else is offered it or can take it.
        const held = await holdFor(t, d);
        if ('next' in held) return held.next;
        return { stay: [{ text, choices: yesNoChoices(t) }], data: { holdId: held.holdId } };
      },
      async answer(t, d, u) {
        if (elsewhere(u)) return { unhandled: true };
        if (u.yesNo === 'yes' || (u.intent === 'yes' && !u.when && !u.doctors.length)) return book(t, d);
        if (u.yesNo === 'no' && !u.when && !u.doctors.length) {
          await release(t, d);
          if (d.offered?.length) return { to: 'times', data: { note: null } };
          return proceed(t, { ...d, when: null, after: null, note: null });
        }
        const c = changes(u, t, d);
        if (c) return proceed(t, { ...d, ...c, ...(c.doctorId || c.specialty || c.candidates ? {} : sameWho(d)) });
        const chosen = pick(d.offered ?? undefined, u);
        if (chosen) return { to: 'confirm', data: { startsAt: chosen.start, doctorId: chosen.doctorId, doctorName: chosen.doctorName, at: chosen.locationId ?? null }, replace: true };
        if (u.intent && u.intent !== 'book' && u.intent !== 'no') return { unhandled: true };
        return { retry: t.say('booking.confirmAgain'), alone: true };
      },
    },

    series: {
      help: 'series.help',
      async ask(t, d) {
        const series = d.series!;
        if (!series.occurrences) return [{ text: t.say('series.howMany') }];
        const plan = await t.deps.services.availability.planSeries(d.doctorId!, new Date(d.startsAt!), {
          occurrences: series.occurrences,
          everyWeeks: series.everyWeeks,
          zone: t.zone,
          avoid: await patientBusy(t),
          ...(await visitFor(t, d))(d.doctorId!),
        });
        const free = plan.filter((o) => o.free).map((o) => o.startsAt.getTime());
        const words = seriesWords(t, d, free.length ? free : [d.startsAt!], series);
        if (free.length === plan.length) {
          return { stay: [{ text: t.say('series.confirmAll', { ...words, count: plan.length, where: await whereOf(t, d.at, { address: false }) }), choices: yesNoChoices(t) }], data: { seriesStarts: free } };
        }
        if (free.length < 2) return { stay: [{ text: t.say('series.tooFew', { free: free.length, count: plan.length, doctor: words.doctor }) }], data: { seriesStarts: null } };
        const day = (at: Date) => formatDate(at, t.zone, t.deps.now(), t.locale);
        const list = plan
          .filter((o) => !o.free)
          .map((o) => (o.alternatives.length ? t.say('series.nearest', { day: day(o.startsAt), times: o.alternatives.map((a) => slot(t, a.start)).join(', ') }) : day(o.startsAt)))
          .join('; ');
        return { stay: [{ text: t.say('series.confirmSome', { free: free.length, count: plan.length, doctor: words.doctor, list }), choices: yesNoChoices(t) }], data: { seriesStarts: free } };
      },
      async answer(t, d, u) {
        const series = d.series!;
        if (!series.occurrences) {
          const n = u.choice ?? (u.series?.occurrences ?? null);
          const max = PATIENT_MAX_OCCURRENCES;
          if (n !== null && n >= 2 && n <= max) return { to: 'series', data: { series: { ...series, occurrences: n } }, replace: true };
          if (elsewhere(u)) return { unhandled: true };
          return { retry: t.say('series.howMany'), alone: true };
        }
        if (elsewhere(u)) return { unhandled: true };
        const starts = d.seriesStarts ?? [];
        if (u.yesNo === 'yes' && starts.length >= 2 && !u.when && !u.doctors.length) {
          try {
            const kind = (await visitFor(t, d))(d.doctorId!);
            const { appointments } = await t.deps.services.booking.bookSeries(t.actor!, {
              doctorId: d.doctorId!,
              patientId: t.actor!.patientId!,
              starts: starts.map((x) => new Date(x)),
              everyWeeks: series.everyWeeks,
              channel: t.msg.channel,
              visitTypeId: kind.visitTypeId,
            });
            t.told.push(...appointments.map((a) => a.id));
            const words = seriesWords(t, d, starts, series);
            return { done: [{ text: t.say('series.booked', { ...words, count: appointments.length, where: await whereOf(t, appointments[0].locationId) }) }] };
          } catch (err) {
            if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError) {
              return { to: 'series', data: {}, replace: true, say: [{ text: t.say('series.taken') }] };
            }
            if (err instanceof BookingLimitError || err instanceof ValidationError) return { done: [{ text: errorText(err, t.say, t.locale) }] };
            throw err;
          }
        }
        if (u.yesNo === 'no' && !u.when && !u.doctors.length) return { done: [{ text: t.say('series.declined') }] };
        const c = changes(u, t, d);
        if (c) return proceed(t, { ...d, ...c, ...(c.doctorId || c.specialty || c.candidates ? {} : sameWho(d)) });
        return { retry: t.say('series.help'), alone: true };
      },
    },

    clarify: {
      help: 'booking.clarifyHelp',
      async ask(t, d) {
        if (d.when?.kind !== 'ask') return proceed(t, d);
        return [{ text: d.when.question, choices: numbered(d.when.options, (o) => o.label) }];
      },
      async answer(t, d, u) {
        const options = d.when?.kind === 'ask' ? d.when.options : [];
        const chosen = pick(options, u);
        if (chosen) return proceed(t, { ...d, when: chosen.reading });
        if (u.when && u.when.kind !== 'ask') return proceed(t, { ...d, when: u.when });
        if (/\b(today|hoy)\b/i.test(u.text) && options[0]) return proceed(t, { ...d, when: options[0].reading });
        if (/\b(next|que viene|próximo|proximo|siguiente)\b/i.test(u.text) && options[1]) return proceed(t, { ...d, when: options[1].reading });
        return { unhandled: true };
      },
    },

    reason: {
      help: 'booking.reasonHelp',
      optional: true,
      async ask(t, d) {
        return [{ text: t.say('booking.bookedAskReason', { doctor: dr(d.doctorName!), when: slot(t, d.startsAt!), where: await whereOf(t, d.at) }) }];
      },
      async answer(t, d, u) {
        if (!tellsAboutVisit(u)) return { unhandled: true };
        const reason = u.text.replace(/\s+/g, ' ').trim();
        if (reason.length > 200) return { retry: t.say('booking.reasonTooLong'), alone: true };
        await t.deps.services.booking.addVisitDetails(t.actor!, d.booked!, { reason });
        return afterReason(t, d);
      },
    },

    intake: {
      help: 'booking.intakeHelp',
      optional: true,
      async ask(t, d) {
        const [question] = d.questions ?? [];
        if (!question) return { done: [{ text: t.say('booking.intakeDone', { doctor: dr(d.doctorName!) }) }] };
        return [{ text: t.say('booking.intakeAsk', { question }) }];
      },
      async answer(t, d, u) {
        const [question, ...rest] = d.questions ?? [];
        if (!question) return { unhandled: true };
        if (/^\s*(skip|saltar|omitir)\s*[.!]?\s*$/i.test(u.text)) return { to: 'intake', data: { questions: rest }, replace: true };
        if (!tellsAboutVisit(u)) return { unhandled: true };
        const answer = u.text.replace(/\s+/g, ' ').trim();
        if (answer.length > 200) return { retry: t.say('booking.reasonTooLong'), alone: true };
        await t.deps.services.booking.addVisitDetails(t.actor!, d.booked!, { answer: { question, answer } });
        return { to: 'intake', data: { questions: rest }, replace: true };
      },
    },
  },
};

/** 'every Tuesday', the time, the first and last dates and the doctor, as a series' texts say them. */
function seriesWords(t: Turn, d: BookingData, starts: number[], series: Recurrence) {
  const first = DateTime.fromMillis(starts[0], { zone: t.zone }).setLocale(t.locale);
  return {
    doctor: dr(d.doctorName!),
    every: t.say(series.everyWeeks > 1 ? 'series.everyOther' : 'series.every', { day: first.toFormat('cccc') }),
    time: formatTime(starts[0], t.zone, t.locale),
    first: formatDate(new Date(starts[0]), t.zone, t.deps.now(), t.locale),
    last: formatDate(new Date(starts[starts.length - 1]), t.zone, t.deps.now(), t.locale),
  };
}

/** Requests that end the after-booking questions: the patient has moved on to something else. */
const MOVED_ON = new Set(['cancel', 'reschedule', 'list', 'past', 'details', 'help', 'thanks', 'bye', 'more', 'specialties', 'hours']);

/**
 * Whether a message after booking tells about the visit ('knee pain since Monday') rather than
 * asking for something new: no day or doctor in it, no yes, no or number alone, no other request,
 * and not a new booking ('book another one').
 */
function tellsAboutVisit(u: Understood): boolean {
  if (u.when || u.doctors.length || u.choice !== null) return false;
  if (u.yesNo !== null && u.text.trim().split(/\s+/).length <= 3) return false;
  if (u.intent && MOVED_ON.has(u.intent) && u.score >= 0.8) return false;
  if (u.intent === 'book' && /\b(book|appointment|appt|another|schedule|cita|reservar|pedir)\b/i.test(u.text)) return false;
  return u.text.trim().length >= 2;
}

/** After the reason: the kind of visit's intake questions, if the clinic set any; else thanks. */
async function afterReason(t: Turn, d: BookingData): Promise<Out> {
  const kind = (await directory(t)).visitTypes?.find((k) => k.id === d.visitTypeId);
  const questions = kind?.intakeQuestions ?? [];
  if (questions.length) return { to: 'intake', data: { questions }, replace: true };
  return { done: [{ text: t.say('booking.reasonSaved', { doctor: dr(d.doctorName!) }) }] };
}

/** Holds the time being confirmed; or, when it cannot be had, what to say instead. */
async function holdFor(t: Turn, d: BookingData): Promise<{ holdId: string | null } | { next: Out }> {
  const visit = (await visitFor(t, d))(d.doctorId!);
  try {
    const held = await t.deps.services.booking.hold(t.actor!, {
      doctorId: d.doctorId!,
      patientId: t.actor!.patientId!,
      startsAt: new Date(d.startsAt!),
      visitTypeId: d.moving ? undefined : visit.visitTypeId,
      locationId: d.at ?? null,
      moving: d.moving ?? null,
    });
    return { holdId: held.id };
  } catch (err) {
    // A move by less than its own length overlaps the patient's own appointment: no hold, the move checks at YES.
    if (err instanceof PatientBusyError && d.moving) return { holdId: null };
    // Redis or the database away: the question is still asked; YES books, or says to try again.
    if (err instanceof ServiceUnavailableError) return { holdId: null };
    if (err instanceof BookingLimitError) return { next: { done: [{ text: errorText(err, t.say, t.locale) }] } };
    if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError) return { next: await notAvailable(t, d, err) };
    throw err;
  }
}

/** Gives the patient's hold back (NO, or another time). */
async function release(t: Turn, d: BookingData): Promise<void> {
  if (d.holdId) await t.deps.services.booking.releaseHold(t.actor!, d.holdId).catch(() => undefined);
}

/** A time that cannot be had: why, and the nearest ones instead. */
async function notAvailable(t: Turn, d: BookingData, err: SlotTakenError | SlotUnavailableError | PatientBusyError): Promise<Out> {
  const startsAt = new Date(d.startsAt!);
  // Before the date-of-birth check, "you already have an appointment then" would tell a phone's
  // holder something of the patient's record: the same words as any time that cannot be had.
  const sorry =
    err instanceof SlotTakenError ? t.say('booking.justTaken') : err instanceof PatientBusyError && !t.state.verified ? t.say('booking.cannotBook') : errorText(err, t.say, t.locale);
  const near = await nearestOffers(t, { id: d.doctorId!, name: d.doctorName! }, startsAt.getTime(), d.moving, await visitFor(t, d));
  if (near.length === 0) return { done: [{ text: t.say('booking.nothingNearby', { sorry, doctor: dr(d.doctorName!) }) }] };
  return { to: 'times', data: { offered: near, note: t.say('booking.nearest', { sorry }), holdId: null }, replace: true };
}

/** YES at the question: book (or move), then say so, whatever the outcome. */
async function book(t: Turn, d: BookingData): Promise<Out> {
  const { booking } = t.deps.services;
  const startsAt = new Date(d.startsAt!);
  const name = dr(d.doctorName!);
  try {
    const visit = (await visitFor(t, d))(d.doctorId!);
    const appt = d.moving
      ? await booking.reschedule(t.actor!, d.moving, startsAt, d.holdId ?? null)
      : await booking.book(t.actor!, { doctorId: d.doctorId!, patientId: t.actor!.patientId!, startsAt, channel: t.msg.channel, visitTypeId: visit.visitTypeId, locationId: d.at ?? null, holdId: d.holdId ?? null });
    t.told.push(appt.id);
    if (appt.videoUrl || d.moving) {
      const where = appt.videoUrl ? placeText(t.locale, null, appt.videoUrl) : await whereOf(t, appt.locationId);
      return { done: [{ text: t.say(d.moving ? 'booking.moved' : 'booking.booked', { doctor: name, when: slot(t, appt.startsAt), where }) }] };
    }
    // Booked: the reason for the visit is asked in the same text, and only read if the next one tells it.
    return { to: 'reason', data: { booked: appt.id, at: appt.locationId ?? null, visitTypeId: appt.visitTypeId ?? null, startsAt: appt.startsAt.getTime() }, replace: true };
  } catch (err) {
    // A YES sent again after a reply that never arrived (or an error after the commit): the
    // booking is there, and the patient hears so instead of "taken".
    if (err instanceof SlotTakenError || err instanceof PatientBusyError || err instanceof InvalidStateError) {
      const mine = (await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'upcoming', 20)).find(
        (a) => a.doctorId === d.doctorId && a.startsAt.getTime() === startsAt.getTime(),
      );
      if (mine) {
        t.told.push(mine.id);
        return { done: [{ text: t.say(d.moving ? 'booking.moved' : 'booking.booked', { doctor: name, when: slot(t, mine.startsAt), where: await whereOf(t, mine.locationId) }) }] };
      }
    }
    if (err instanceof BookingLimitError) return { done: [{ text: errorText(err, t.say, t.locale) }] };
    if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError) return notAvailable(t, d, err);
    if (err instanceof ServiceUnavailableError || err instanceof ValidationError || err instanceof NotFoundError) {
      return { done: [{ text: t.say('booking.startAgain', { error: errorText(err, t.say, t.locale) }) }] };
    }
    throw err;
  }
}
