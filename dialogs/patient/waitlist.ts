import { DateTime } from 'luxon';
import { BookingLimitError, PatientBusyError, SlotTakenError, SlotUnavailableError } from '../../src/domain/errors';
import type { WaitlistEntryView } from '../../src/services/waitlist';
import type { ConversationStore } from '../conversation-store';
import type { Flow, Turn } from '../flow';
import { numbered, pick, yesNoChoices } from '../flow';
import { errorText } from '../support/error-replies';
import { doctorName, formatDate, formatSlot } from '../support/format';
import type { ConversationState } from '../types';
import type { Understood } from '../understanding';
import type { WhenReading } from '../understanding/dates';

/**
 * The waitlist by text. 'Put me on the waitlist for Dr Patel next week, mornings' joins it (a doctor
 * or a specialty, a span of days, parts of the day); 'my waitlist' lists the entries and a number
 * leaves one. When a matching time frees up the worker texts an offer and puts the conversation at
 * 'offer', where YES books the held time and NO passes it on.
 */
export type WaitlistStep = 'who' | 'confirm' | 'list';
export interface WaitlistData {
  doctorId?: string | null;
  doctorName?: string | null;
  specialty?: string | null;
  when?: WhenReading | null;
  mode?: 'join' | 'list';
  entries?: Array<{ id: string; label: string }> | null;
  /** Doctors a name could be ('Dr Patel'): which one is asked. */
  candidates?: Array<{ id: string; name: string }> | null;
}

export type WaitlistOfferStep = 'reply';
export interface WaitlistOfferData {
  offerId: string;
}

const DEFAULT_DAYS = 14;

/** 'waitlist', 'waiting list', 'lista de espera': what the routing looks for. */
export const WAITLIST_WORDS = /\b(wait ?list|waiting list|lista de espera)\b/i;

export function waitlistFrom(u: Understood): WaitlistData {
  const one = u.doctors.length === 1 ? u.doctors[0] : null;
  const list = /\b(my|mi|mis)\b.*\b(wait ?list|waiting list|lista de espera)\b|\b(leave|off|quit|remove me|salir|quitarme|borrarme)\b/i.test(u.text);
  const candidates = u.doctors.length > 1 ? u.doctors.map((d) => ({ id: d.id, name: d.fullName })) : null;
  return { doctorId: one?.id ?? null, doctorName: one?.fullName ?? null, specialty: one || candidates ? null : u.specialty, candidates, when: u.when, mode: list ? 'list' : 'join' };
}

/** The entry's dates and parts of the day from what was said: a day, a span, a part of the day; two weeks by default. */
function span(t: Turn, when: WhenReading | null | undefined): { fromDate: string; toDate: string; window: { start: number; end: number } | null } {
  const today = DateTime.fromMillis(t.deps.now(), { zone: t.zone });
  const window = when && 'window' in when && when.window ? when.window : null;
  if (when?.kind === 'day') return { fromDate: when.date, toDate: when.date, window };
  if (when?.kind === 'range') return { fromDate: when.from, toDate: when.to, window };
  return { fromDate: today.toISODate()!, toDate: today.plus({ days: DEFAULT_DAYS - 1 }).toISODate()!, window };
}

function describe(t: Turn, e: Pick<WaitlistEntryView, 'fromDate' | 'toDate' | 'window'>): string {
  const day = (iso: string) => formatDate(DateTime.fromISO(iso, { zone: t.zone }).toJSDate(), t.zone, t.deps.now(), t.locale);
  const dates = e.fromDate === e.toDate ? day(e.fromDate) : t.say('waitlist.dates', { from: day(e.fromDate), to: day(e.toDate) });
  if (!e.window) return dates;
  const clock = (m: number) => DateTime.fromObject({ hour: Math.floor(m / 60) % 24, minute: m % 60 }).setLocale(t.locale).toFormat(t.locale === 'en' ? 'h:mm a' : 'HH:mm');
  return t.say('waitlist.between', { dates, from: clock(e.window.start), to: clock(e.window.end) });
}

const whoOf = (e: { doctorName?: string | null; specialty?: string | null }) => (e.doctorName ? doctorName(e.doctorName) : (e.specialty ?? ''));

export const waitlistFlow: Flow<'waitlist'> = {
  name: 'waitlist',
  role: 'patient',
  first: 'who',
  steps: {
    who: {
      help: 'waitlist.whoHelp',
      async ask(t, d) {
        if (d.mode === 'list') return { to: 'list', data: d, replace: true };
        if (d.doctorId || d.specialty) return { to: 'confirm', data: d, replace: true };
        if (d.candidates?.length) return [{ text: t.say('booking.whichDoctor'), choices: numbered(d.candidates, (c) => doctorName(c.name)) }];
        return [{ text: t.say('waitlist.askWho') }];
      },
      async answer(_t, d, u) {
        const chosen = pick(d.candidates ?? undefined, u) ?? (u.doctors.length === 1 ? d.candidates?.find((c) => c.id === u.doctors[0].id) : undefined);
        if (chosen) return { to: 'confirm', data: { doctorId: chosen.id, doctorName: chosen.name, candidates: null, when: u.when ?? d.when } };
        if (u.doctors.length === 1) return { to: 'confirm', data: { doctorId: u.doctors[0].id, doctorName: u.doctors[0].fullName, when: u.when ?? d.when } };
        if (u.specialty) return { to: 'confirm', data: { specialty: u.specialty, when: u.when ?? d.when } };
        return { unhandled: true };
      },
    },
    confirm: {
      help: 'waitlist.confirmHelp',
      async ask(t, d) {
        const s = span(t, d.when);
        return [{ text: t.say('waitlist.confirm', { who: whoOf(d), when: describe(t, s) }), choices: yesNoChoices(t) }];
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: t.say('waitlist.notJoined') }] };
        if (u.when && u.yesNo === null) return { to: 'confirm', data: { when: u.when }, replace: true };
        if (u.yesNo !== 'yes') return { unhandled: true };
        const s = span(t, d.when);
        const entry = await t.deps.services.waitlist.join(t.actor!, { patientId: t.actor!.patientId!, doctorId: d.doctorId ?? null, specialty: d.specialty ?? null, ...s, zone: t.zone });
        return { done: [{ text: t.say('waitlist.joined', { who: whoOf(entry), when: describe(t, entry) }) }] };
      },
    },
    list: {
      help: 'waitlist.listHelp',
      async ask(t) {
        const entries = await t.deps.services.waitlist.list(t.actor!, t.actor!.patientId!);
        if (entries.length === 0) return { done: [{ text: t.say('waitlist.none') }] };
        const items = entries.map((e) => ({ id: e.id, label: `${whoOf(e)}, ${describe(t, e)}` }));
        return { stay: [{ text: t.say('waitlist.yours'), choices: numbered(items, (i) => i.label) }, { text: t.say('waitlist.listHelp') }], data: { entries: items } };
      },
      async answer(t, d, u) {
        const entry = pick(d.entries ?? undefined, u);
        if (!entry) return u.choice !== null ? { retry: t.say('booking.numberFrom', { count: (d.entries ?? []).length }) } : { unhandled: true };
        await t.deps.services.waitlist.leave(t.actor!, entry.id);
        return { done: [{ text: t.say('waitlist.left', { entry: entry.label }) }] };
      },
    },
  },
};

/** Where the worker puts a patient's conversation when it texts them an offer. */
export async function awaitWaitlistOffer(store: ConversationStore, phone: string, offerId: string, expiresAt: number, now: number): Promise<void> {
  const previous = await store.load('sms', phone);
  const state: ConversationState = {
    v: 2,
    at: { flow: 'waitlistOffer', step: 'reply', data: { offerId } satisfies WaitlistOfferData },
    back: [],
    verified: previous?.verified ?? false,
    lastActivity: now,
    seq: previous?.seq ?? 0,
    keepUntil: expiresAt,
  };
  await store.save('sms', phone, state);
}

export const waitlistOfferFlow: Flow<'waitlistOffer'> = {
  name: 'waitlistOffer',
  role: 'patient',
  first: 'reply',
  steps: {
    reply: {
      help: 'waitlist.offerHelp',
      async ask(t) {
        return [{ text: t.say('waitlist.offerHelp') }];
      },
      async answer(t, d, u) {
        if (u.yesNo === null && u.intent !== 'yes') return { unhandled: true };
        const { waitlist, booking, doctors } = t.deps.services;
        const offer = await waitlist.offer(d.offerId);
        const live = offer && offer.outcome === 'offered' && offer.expiresAt.getTime() > t.deps.now() && offer.patientId === t.actor!.patientId;
        if (!live) return { done: [{ text: t.say('waitlist.offerGone') }] };
        if (u.yesNo === 'no') {
          await waitlist.answer(t.actor!, offer.id, 'declined');
          return { done: [{ text: t.say('waitlist.declined') }] };
        }
        const doctor = await doctors.get(offer.doctorId);
        try {
          const appt = await booking.book(t.actor!, { doctorId: offer.doctorId, patientId: offer.patientId, startsAt: offer.startsAt, channel: t.msg.channel, holdId: offer.holdId });
          await waitlist.answer(t.actor!, offer.id, 'accepted');
          t.told.push(appt.id);
          return { done: [{ text: t.say('booking.booked', { doctor: doctorName(doctor.fullName), when: formatSlot(appt.startsAt, t.zone, t.deps.now(), t.locale) }) }] };
        } catch (err) {
          if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError || err instanceof BookingLimitError) {
            await waitlist.answer(t.actor!, offer.id, 'declined').catch(() => undefined);
            return { done: [{ text: errorText(err, t.say, t.locale) }] };
          }
          throw err;
        }
      },
    },
  },
};
