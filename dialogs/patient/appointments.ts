import { DateTime } from 'luxon';
import type { AppointmentView } from '../../src/domain/appointment';
import type { Flow, FlowStart, Next, Turn } from '../flow';
import { numbered, pick, yesNoChoices } from '../flow';
import { doctorName, formatClock, formatDate, formatSlot } from '../support/format';

/** A slot in the patient's zone and language. */
const slot = (t: Turn, instant: number | Date) => formatSlot(instant, t.zone, t.deps.now(), t.locale);
import type { Understood } from '../understanding';
import type { WhenReading } from '../understanding/dates';
import { spanOf, suits } from './offers';
import type { BookingData } from './booking';

/**
 * A patient's own appointments: the list, one of them (move it or call it off), past ones. Words
 * carry straight to the one meant ('cancel my 3pm', 'move my appointment with Dr Patel'). Nothing is
 * listed before the date-of-birth check.
 */
export type AppointmentsStep = 'list' | 'item' | 'cancel' | 'past';

export interface Item {
  id: string;
  startsAt: number;
  doctorId: string;
  doctor: string;
  /** Part of a recurring series; `later` of its visits come after this one. */
  seriesId?: string | null;
  later?: number;
}

export interface AppointmentsData {
  /** What they came to do: look, change one, call one off, move one. */
  mode: 'view' | 'change' | 'cancel' | 'reschedule';
  /** What they said of which one: a day or time, doctors. */
  filter?: { when?: WhenReading | null; doctorIds?: string[] } | null;
  appts?: Item[] | null;
  appt?: Item | null;
  /** A line before the list (why this list). */
  note?: string | null;
}

type Out = Next<'appointments'>;

/** The check comes first; then this very step again, with the same data. */
function verifyFirst(t: Turn, step: AppointmentsStep, d: AppointmentsData): Out | null {
  if (t.state.verified) return null;
  return { start: { flow: 'verification', data: { then: { flow: 'appointments', step, data: d } } } };
}

export function appointmentsFrom(mode: AppointmentsData['mode'], u: Understood): AppointmentsData {
  const filter = u.when || u.doctors.length ? { when: u.when, doctorIds: u.doctors.map((d) => d.id) } : null;
  return { mode, filter };
}

async function describe(t: Turn, appts: AppointmentView[]): Promise<Item[]> {
  const names = new Map<string, string>();
  for (const id of new Set(appts.map((a) => a.doctorId))) names.set(id, doctorName((await t.deps.services.doctors.get(id)).fullName));
  return appts.map((a) => ({
    id: a.id,
    startsAt: a.startsAt.getTime(),
    doctorId: a.doctorId,
    doctor: names.get(a.doctorId)!,
    seriesId: a.seriesId ?? null,
    later: a.seriesId ? appts.filter((b) => b.seriesId === a.seriesId && b.startsAt > a.startsAt).length : 0,
  }));
}

/**
 * Does an appointment fit what was said of it ('my 3pm', 'Friday's', 'with Dr Patel')? A part of
 * the day names where it goes, not which it is ('move my friday appointment to the afternoon').
 */
function fits(t: Turn, a: Item, filter: AppointmentsData['filter'], mode: AppointmentsData['mode'] = 'view'): boolean {
  if (!filter) return true;
  if (filter.doctorIds?.length && !filter.doctorIds.includes(a.doctorId)) return false;
  const when = filter.when;
  // 'my friday appointment' said on a Friday: today's or next Friday's, whichever they hold.
  if (when?.kind === 'ask') return when.options.some((o) => fits(t, a, { ...filter, when: o.reading }, mode));
  if (!when || when.kind === 'asap') return true;
  if (when.kind !== 'time') {
    const { from, to } = spanOf(when, t);
    if (a.startsAt < from || a.startsAt >= to) return false;
  }
  const time = 'time' in when ? when.time : undefined;
  if (time !== undefined) {
    const dt = DateTime.fromMillis(a.startsAt, { zone: t.zone });
    if (dt.hour * 60 + dt.minute !== time) return false;
  }
  return mode === 'reschedule' || suits(when, a.startsAt, t.zone);
}

/** 'at 3:00 PM', 'on Fri 4 Dec', 'with Dr Patel': what was said of the appointment, in words. */
function describeFilter(t: Turn, filter: NonNullable<AppointmentsData['filter']>): string {
  const parts: string[] = [];
  const when = filter.when;
  if (when?.kind === 'day') parts.push(t.say('appts.filterOn', { day: formatDate(DateTime.fromISO(when.date, { zone: t.zone }).toJSDate(), t.zone, undefined, t.locale) }));
  if (when?.kind === 'range') parts.push(t.say('appts.filterThen'));
  if (when && (when.kind === 'day' || when.kind === 'time') && when.time !== undefined) parts.push(t.say('appts.filterAt', { time: formatClock(when.time, t.locale) }));
  if (filter.doctorIds?.length) parts.push(t.say('appts.filterDoctor'));
  return parts.join(' ') || t.say('appts.filterLike');
}

/** Moving one is booking a new time for it ('to the afternoon': that day's afternoon). */
function moveStart(a: Item, when?: WhenReading | null, zone?: string): { flow: 'booking'; data: BookingData } {
  let to: WhenReading | null = when && 'window' in when && when.window ? when : null;
  // A part of the day alone ('to the afternoon') is that part of the appointment's own day.
  if (to?.kind === 'time' && zone) to = { kind: 'day', date: DateTime.fromMillis(a.startsAt, { zone }).toISODate()!, window: to.window, yearShown: false };
  return { flow: 'booking', data: { moving: a.id, doctorId: a.doctorId, doctorName: a.doctor.replace(/^Dr /, ''), byName: true, when: to } };
}

export const appointmentsFlow: Flow<'appointments'> = {
  name: 'appointments',
  role: 'patient',
  first: 'list',
  steps: {
    list: {
      help: 'appts.listHelp',
      async ask(t, d) {
        const check = verifyFirst(t, 'list', d);
        if (check) return check;
        const upcoming = await describe(t, await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'upcoming', 10));
        if (upcoming.length === 0) return { done: [{ text: t.say('appts.none') }] };
        const matching = upcoming.filter((a) => fits(t, a, d.filter, d.mode));
        if (d.filter && matching.length === 0) {
          // Never a guess at which one was meant: the list, and they choose.
          return { to: 'list', data: { filter: null, appts: null, note: t.say('appts.noneLike', { what: describeFilter(t, d.filter) }) }, replace: true };
        }
        if (matching.length === 1 && d.mode !== 'view' && !d.note) {
          if (d.mode === 'cancel') return { to: 'cancel', data: { appt: matching[0] }, replace: true };
          if (d.mode === 'reschedule') return { start: moveStart(matching[0], d.filter?.when, t.zone), replace: true };
          return { to: 'item', data: { appt: matching[0] }, replace: true };
        }
        const list = matching.slice(0, 5);
        const head = t.say(d.mode === 'cancel' ? 'appts.whichCancel' : d.mode === 'reschedule' ? 'appts.whichMove' : d.mode === 'change' ? 'appts.whichChange' : 'appts.upcoming');
        return {
          stay: [{ text: d.note ? `${d.note} ${head}` : head, choices: numbered(list, (a) => `${slot(t, a.startsAt)}, ${a.doctor}`) }, { text: t.say(d.mode === 'view' ? 'appts.replyChange' : 'appts.replyNumber') }],
          data: { appts: list },
        };
      },
      async answer(t, d, u) {
        // A list of one: 'yes' (or 'sí') takes it, as a receptionist would.
        const item = pick(d.appts ?? undefined, u) ?? (u.yesNo === 'yes' && d.appts?.length === 1 ? d.appts[0] : null);
        if (item) {
          if (d.mode === 'cancel') return { to: 'cancel', data: { appt: item } };
          if (d.mode === 'reschedule') return { start: moveStart(item, d.filter?.when, t.zone) };
          return { to: 'item', data: { appt: item } };
        }
        // 'the 3pm one', 'the one with Dr Patel'.
        if (u.when || u.doctors.length) {
          const matching = (d.appts ?? []).filter((a) => fits(t, a, { when: u.when, doctorIds: u.doctors.map((x) => x.id) }));
          if (matching.length === 1 && u.intent !== 'book') return { to: d.mode === 'cancel' ? 'cancel' : 'item', data: { appt: matching[0] } };
        }
        if (u.choice !== null) return { retry: t.say('booking.numberFrom', { count: (d.appts ?? []).length }) };
        return { unhandled: true };
      },
    },

    item: {
      help: 'appts.itemHelp',
      async ask(t, d) {
        const a = d.appt!;
        return [
          {
            text: t.say('appts.item', { when: slot(t, a.startsAt), doctor: a.doctor }),
            choices: [
              { label: t.say('appts.moveIt'), value: 'R' },
              { label: t.say('appts.callOff'), value: 'X' },
            ],
          },
        ];
      },
      async answer(t, d, u) {
        const word = u.text.trim().toLowerCase();
        if (/^(r|move( it)?|reschedule|change( it)?)$/.test(word) || u.intent === 'reschedule') return { start: moveStart(d.appt!) };
        if (/^(x|call (it )?off|cancel it|delete it)$/.test(word) || u.intent === 'cancel') return { to: 'cancel' };
        if (u.when && u.intent !== 'cancel') return { start: { flow: 'booking', data: { ...moveStart(d.appt!).data, when: u.when } } };
        return { unhandled: true };
      },
    },

    cancel: {
      help: 'appts.cancelHelp',
      async ask(t, d) {
        const check = verifyFirst(t, 'cancel', d);
        if (check) return check;
        const a = d.appt!;
        if (a.seriesId && a.later) {
          const choices = [t.say('appts.justThis'), t.say('appts.thisAndRest', { count: a.later }), t.say('appts.keepIt')];
          return [{ text: t.say('appts.cancelSeriesAsk', { when: slot(t, a.startsAt), doctor: a.doctor }), choices: numbered(choices, (x) => x) }];
        }
        return [{ text: t.say('appts.cancelAsk', { when: slot(t, a.startsAt), doctor: a.doctor }), choices: yesNoChoices(t) }];
      },
      async answer(t, d, u) {
        const a = d.appt!;
        if (a.seriesId && a.later) {
          if (u.choice === 3 || (u.yesNo === 'no' && u.choice === null)) return { done: [{ text: t.say('appts.kept') }] };
          if (u.choice === 2) {
            const cancelled = await t.deps.services.booking.cancelSeries(t.actor!, a.id, 'cancelled by the patient');
            return { done: [{ text: t.say('appts.cancelledSeries', { count: cancelled.length, when: slot(t, a.startsAt), doctor: a.doctor }) }] };
          }
          if (u.choice !== 1 && u.yesNo !== 'yes') return u.intent && u.intent !== 'cancel' ? { unhandled: true } : { retry: t.say('booking.numberFrom', { count: 3 }) };
        }
        if (u.yesNo === 'no') return { done: [{ text: t.say('appts.kept') }] };
        if (u.yesNo !== 'yes' && !(a.seriesId && a.later && u.choice === 1)) {
          if (u.intent && u.intent !== 'cancel') return { unhandled: true };
          return { retry: t.say('appts.cancelAgain'), alone: true };
        }
        await t.deps.services.booking.cancel(t.actor!, a.id, 'cancelled by the patient');
        return { done: [{ text: t.say('appts.cancelled', { when: slot(t, a.startsAt), doctor: a.doctor }) }] };
      },
    },

    past: {
      async ask(t, d) {
        const check = verifyFirst(t, 'past', d);
        if (check) return check;
        const past = await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'past', 5);
        if (past.length === 0) return { done: [{ text: t.say('appts.nonePast') }] };
        const items = await describe(t, past);
        const status: Record<string, string> = { booked: 'appts.statusDone', completed: 'appts.statusDone', cancelled: 'appts.statusCancelled', no_show: 'appts.statusMissed' };
        const lines = items.map((a, i) => `${slot(t, a.startsAt)}, ${a.doctor} (${t.say(status[past[i].status])})`);
        return { done: [{ text: [t.say('appts.recent'), ...lines].join('\n') }] };
      },
      async answer() {
        return { unhandled: true };
      },
    },
  },
};
