import type { AppointmentView } from '../../src/domain/appointment';
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
import type { Slot } from '../../src/domain/slots';
import { no, numbered, pick, yes, type Outcome, type Steps, type Turn } from '../step';
import { errorText } from '../support/error-replies';
import { doctorName, formatSlot } from '../support/format';
import { readDateOfBirth, readTimeZone } from '../support/personal';
import { fitsWindow, readWhen, whenToRange } from '../support/when';
import type { Reply } from '../types';

/**
 * The patient's conversations, SMS first: every question works as plain text with numbered
 * choices. Ids never travel in the text: a number picks from what this conversation offered.
 */

export function patientMenuReplies(): Reply[] {
  return [
    {
      text: 'What would you like to do? Reply with a number.',
      choices: numbered(['Book an appointment', 'My upcoming appointments', 'Change or cancel one', 'Past appointments', 'My details'], (x) => x),
    },
  ];
}

type Offered = { start: number; end: number };
type ApptItem = { id: string; startsAt: number; doctorId: string; doctor: string };

const data = <T>(t: Turn, key: string) => t.state.data[key] as T;
const BOOK = /\b(book|appointment with|appt|see (a|an|the|dr|doctor)|need (a|an) (doctor|appointment))\b/i;

function doctorLabel(d: { fullName: string; specializations: string[] }): string {
  return `${doctorName(d.fullName)}${d.specializations.length ? ` (${d.specializations.join(', ')})` : ''}`;
}

/** Needs the date-of-birth check first? Then go there, and come back here afterwards. */
export function needsVerification(t: Turn, afterData?: Record<string, unknown>): Outcome | null {
  return t.state.verified ? null : { next: 'verify.dob', data: { after: t.state.at, afterData } };
}

/** The patient hears of a pause or a lock in words that reveal nothing of their record. */
const VERIFY_CLOSED = {
  paused: 'For your security, date of birth checks are paused for 15 minutes. Please try again later, or call the clinic.',
  locked:
    'For your security, access to your appointments by text is locked after too many wrong dates of birth. Please call the clinic to unlock it.',
} as const;

async function searchOutcome(t: Turn, query: string): Promise<Outcome> {
  const matches = await t.deps.services.doctors.search(query, { limit: 5, slotsPerDoctor: 1 });
  if (matches.length === 0) {
    return { retry: "I couldn't find a doctor for that. Try a kind of doctor (like dermatology or 'skin') or a name." };
  }
  const doctors = matches.map((m) => ({
    id: m.doctor.id,
    name: m.doctor.fullName,
    label: doctorLabel(m.doctor),
    next: m.nextSlots[0]?.start ?? null,
  }));
  if (doctors.length === 1) {
    return { next: 'book.when', data: { doctorId: doctors[0].id, doctorName: doctors[0].name, offered: null, intro: null } };
  }
  return { next: 'book.doctor', data: { doctors } };
}

async function offerSlots(t: Turn, slots: Slot[], intro: string): Promise<Outcome> {
  return { next: 'book.when', data: { offered: slots.map((s) => ({ start: s.start, end: s.end })), intro } };
}

export const patientSteps: Steps = {
  'patient.menu': {
    async ask() {
      return patientMenuReplies();
    },
    async answer(t, input) {
      const n = input.trim();
      if (n === '1' || /^book( an appointment)?$/i.test(n)) return { next: 'book.who', data: { query: null } };
      if (n === '2' || /\b(upcoming|my appointments?|next appointment)\b/i.test(n)) return { next: 'appts.list', data: { mode: 'view' } };
      if (n === '3' || /\b(change|reschedule|move|cancel)\b/i.test(n)) return { next: 'appts.list', data: { mode: 'change' } };
      if (n === '4' || /\b(past|history|previous)\b/i.test(n)) return { next: 'appts.past' };
      if (n === '5' || /\b(details|profile|my name|date of birth|birthday|time ?zone)\b/i.test(n)) return { next: 'profile.menu' };
      // 'book a skin doctor', 'Dr Patel', 'dermatology': straight to the search.
      const query = n.replace(BOOK, ' ').trim();
      if (query.length >= 3) {
        const outcome = await searchOutcome(t, query);
        if (!('retry' in outcome)) return outcome;
        if (BOOK.test(n)) return { next: 'book.who', data: { query: null } };
      }
      return { retry: "Sorry, I didn't understand that." };
    },
  },

  'book.who': {
    help: "Tell me the kind of doctor (like 'skin doctor' or 'cardiology') or a doctor's name (like 'Dr Patel').",
    async ask(t) {
      const query = data<string | null>(t, 'query');
      if (query) {
        t.state.data.query = null;
        return searchOutcome(t, query);
      }
      return [{ text: "Which doctor or kind of doctor would you like? For example 'skin doctor' or 'Dr Patel'." }];
    },
    async answer(t, input) {
      return searchOutcome(t, input);
    },
  },

  'book.doctor': {
    async ask(t) {
      const doctors = data<Array<{ label: string; next: number | null }>>(t, 'doctors');
      return [
        {
          text: 'I found these doctors. Reply with a number:',
          choices: numbered(doctors, (d) => `${d.label}${d.next ? `, next free ${formatSlot(d.next, t.zone)}` : ', no free times soon'}`),
        },
      ];
    },
    async answer(t, input) {
      const doctor = pick(data<Array<{ id: string; name: string }>>(t, 'doctors'), input);
      if (doctor) return { next: 'book.when', data: { doctorId: doctor.id, doctorName: doctor.name, offered: null, intro: null } };
      if (/^\d+$/.test(input)) return { retry: 'Please reply with one of the numbers shown.' };
      return searchOutcome(t, input);
    },
  },

  'book.when': {
    help: "Reply with a number to pick a time, or tell me a day or time like 'tomorrow afternoon', 'next Tue 3pm', 'Dec 5' or 'after 5'.",
    async ask(t) {
      let offered = data<Offered[] | null>(t, 'offered');
      const name = doctorName(data<string>(t, 'doctorName'));
      if (!offered) {
        const now = t.deps.now();
        const slots = await t.deps.services.availability.freeSlots(data<string>(t, 'doctorId'), new Date(now), new Date(now + 60 * 86_400_000), 3);
        if (slots.length === 0) {
          return { done: [{ text: `Sorry, ${name} has no free times coming up. Reply MENU to choose another doctor.` }] };
        }
        offered = slots;
        t.state.data.offered = slots.map((s) => ({ start: s.start, end: s.end }));
      }
      const intro = data<string | null>(t, 'intro') ?? `Next free times with ${name}:`;
      return [
        {
          text: `${intro}`,
          choices: numbered(offered, (s) => formatSlot(s.start, t.zone)),
        },
        { text: "Reply with a number, or tell me a day or time (like 'tomorrow afternoon')." },
      ];
    },
    async answer(t, input) {
      const chosen = pick(data<Offered[]>(t, 'offered'), input);
      if (chosen) return { next: 'book.confirm', data: { startsAt: chosen.start } };
      if (/^\d+$/.test(input)) return { retry: 'Please reply with one of the numbers shown.' };

      const when = readWhen(input, t.zone, t.deps.now());
      if (!when) return { retry: "I couldn't read that as a day or time. Try 'tomorrow afternoon', 'Dec 5' or 'next Tue 3pm'." };
      const doctorId = data<string>(t, 'doctorId');
      const { from, to } = whenToRange(when, t.zone);
      const inRange = (await t.deps.services.availability.freeSlots(doctorId, from, to)).filter((s) => fitsWindow(when, s.start, t.zone));
      if (when.exact !== null && when.namedDay) {
        // The very time asked for is free: no need to offer a list.
        const exact = inRange.find((s) => localMinutes(s.start, t.zone) === when.exact);
        if (exact) return { next: 'book.confirm', data: { startsAt: exact.start } };
      }
      let slots = inRange;
      if (when.exact !== null) {
        slots = [...inRange].sort((a, b) => distance(a.start, when.exact!, t.zone) - distance(b.start, when.exact!, t.zone) || a.start - b.start);
      }
      slots = slots.slice(0, 3).sort((a, b) => a.start - b.start);
      if (slots.length > 0) return offerSlots(t, slots, 'Free times then:');
      const nearest = await t.deps.services.availability.nearestFreeSlots(doctorId, from, 3);
      if (nearest.length === 0) return { retry: 'There is nothing free then, nor close to it.' };
      return offerSlots(t, nearest, 'Nothing is free then. The nearest free times are:');
    },
  },

  'book.confirm': {
    async ask(t) {
      const when = formatSlot(data<number>(t, 'startsAt'), t.zone);
      const name = doctorName(data<string>(t, 'doctorName'));
      const text = data<string>(t, 'appointmentId')
        ? `Move your appointment with ${name} to ${when}? Reply YES to confirm or NO to pick another time.`
        : `Book ${name} on ${when}? Reply YES to confirm or NO to pick another time.`;
      return [{ text, choices: [{ label: 'Yes', value: 'YES' }, { label: 'No', value: 'NO' }] }];
    },
    async answer(t, input) {
      if (no(input)) return { next: 'book.when', data: { intro: null } };
      if (!yes(input)) return { retry: 'Please reply YES to confirm or NO to pick another time.' };
      const { booking } = t.deps.services;
      const startsAt = new Date(data<number>(t, 'startsAt'));
      const doctorId = data<string>(t, 'doctorId');
      const name = doctorName(data<string>(t, 'doctorName'));
      const moving = data<string | undefined>(t, 'appointmentId');
      try {
        const appt = moving
          ? await booking.reschedule(t.actor!, moving, startsAt)
          : await booking.book(t.actor!, { doctorId, patientId: t.actor!.patientId!, startsAt, channel: t.msg.channel });
        t.told.push(appt.id);
        return {
          done: [
            {
              text: `${moving ? 'Moved' : 'Booked'}: ${name} on ${formatSlot(appt.startsAt, t.zone)}. We'll text you a reminder. Reply MENU for anything else.`,
            },
          ],
        };
      } catch (err) {
        // A YES sent again after a reply that never arrived (or an error after the commit): the
        // booking is there, and the patient hears so instead of "taken".
        if (err instanceof SlotTakenError || err instanceof PatientBusyError || err instanceof InvalidStateError) {
          const mine = (await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'upcoming', 20)).find(
            (a) => a.doctorId === doctorId && a.startsAt.getTime() === startsAt.getTime(),
          );
          if (mine) {
            t.told.push(mine.id);
            return { done: [{ text: `${moving ? 'Moved' : 'Booked'}: ${name} on ${formatSlot(mine.startsAt, t.zone)}. We'll text you a reminder. Reply MENU for anything else.` }] };
          }
        }
        if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError) {
          const nearest = (await t.deps.services.availability.nearestFreeSlots(doctorId, startsAt, 4)).filter((s) => s.start !== startsAt.getTime()).slice(0, 3);
          // Before the date-of-birth check, "you already have an appointment then" would tell a
          // phone's holder something of the patient's record: the same words as any unavailable time.
          const sorry =
            err instanceof SlotTakenError ? 'Sorry, that time was just taken.' : err instanceof PatientBusyError && !t.state.verified ? "Sorry, that time can't be booked." : errorText(err);
          if (nearest.length === 0) return { done: [{ text: `${sorry} ${name} has nothing else free nearby. Reply MENU to start again.` }] };
          return offerSlots(t, nearest, `${sorry} The nearest free times are:`);
        }
        if (err instanceof BookingLimitError) return { done: [{ text: errorText(err) }] };
        if (err instanceof ServiceUnavailableError || err instanceof ValidationError || err instanceof NotFoundError) {
          return { done: [{ text: `${errorText(err)} Reply MENU to start again.` }] };
        }
        throw err;
      }
    },
  },

  'verify.dob': {
    help: 'To protect your details I check your date of birth once per conversation. Send it like 04/12/1988.',
    async ask(t) {
      const state = await t.deps.services.patients.verificationState(t.actor!);
      if (state !== 'open') return { done: [{ text: VERIFY_CLOSED[state] }] };
      return [{ text: 'To keep your details private, please reply with your date of birth (for example 04/12/1988).' }];
    },
    async answer(t, input) {
      const dob = readDateOfBirth(input, t.zone);
      if (!dob) return { retry: 'Please send your date of birth like 04/12/1988.' };
      const result = await t.deps.services.patients.checkDateOfBirth(t.actor!, dob);
      if (result === 'ok') {
        t.state.verified = true;
        // Carry on where they were going; BACK from there skips this check.
        const after = data<string>(t, 'after');
        t.state.back.pop();
        return { next: after, replace: true, data: data<Record<string, unknown> | undefined>(t, 'afterData') ?? {} };
      }
      if (result === 'wrong') return { retry: "That doesn't match our records. Please try again." };
      return { done: [{ text: result === 'paused' ? `That doesn't match our records. ${VERIFY_CLOSED.paused}` : VERIFY_CLOSED.locked }] };
    },
  },

  'appts.list': {
    async ask(t) {
      const check = needsVerification(t);
      if (check) return check;
      const upcoming = await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'upcoming', 5);
      if (upcoming.length === 0) return { done: [{ text: 'You have no upcoming appointments. Reply 1 to book one.' }] };
      const items = await describe(t, upcoming);
      t.state.data.appts = items;
      const change = data<string>(t, 'mode') === 'change';
      return [
        {
          text: change ? 'Which appointment would you like to change or cancel?' : 'Your upcoming appointments:',
          choices: numbered(items, (a) => `${formatSlot(a.startsAt, t.zone)}, ${a.doctor}`),
        },
        { text: change ? 'Reply with its number.' : 'Reply a number to change or cancel one, or MENU.' },
      ];
    },
    async answer(t, input) {
      const item = pick(data<ApptItem[]>(t, 'appts'), input);
      if (!item) return { retry: 'Please reply with one of the numbers shown.' };
      return { next: 'appts.item', data: { appt: item } };
    },
  },

  'appts.item': {
    async ask(t) {
      const a = data<ApptItem>(t, 'appt');
      return [
        {
          text: `${formatSlot(a.startsAt, t.zone)} with ${a.doctor}. Reply R to reschedule or X to cancel it.`,
          choices: [
            { label: 'Reschedule', value: 'R' },
            { label: 'Cancel it', value: 'X' },
          ],
        },
      ];
    },
    async answer(t, input) {
      const a = data<ApptItem>(t, 'appt');
      if (/^(r|reschedule|move|change)$/i.test(input)) {
        return { next: 'book.when', data: { appointmentId: a.id, doctorId: a.doctorId, doctorName: a.doctor.replace(/^Dr /, ''), offered: null, intro: null } };
      }
      if (/^(x|cancel( it)?)$/i.test(input)) return { next: 'appts.cancel' };
      return { retry: 'Please reply R to reschedule or X to cancel.' };
    },
  },

  'appts.cancel': {
    async ask(t) {
      const a = data<ApptItem>(t, 'appt');
      return [
        {
          text: `Cancel your appointment on ${formatSlot(a.startsAt, t.zone)} with ${a.doctor}? Reply YES to cancel it or NO to keep it.`,
          choices: [
            { label: 'Yes, cancel', value: 'YES' },
            { label: 'No, keep it', value: 'NO' },
          ],
        },
      ];
    },
    async answer(t, input) {
      const a = data<ApptItem>(t, 'appt');
      if (no(input)) return { done: [{ text: 'OK, it stays booked. Reply MENU for anything else.' }] };
      if (!yes(input)) return { retry: 'Please reply YES to cancel it or NO to keep it.' };
      await t.deps.services.booking.cancel(t.actor!, a.id, 'cancelled by the patient');
      return { done: [{ text: `Cancelled: ${formatSlot(a.startsAt, t.zone)} with ${a.doctor}. Reply MENU to book another time.` }] };
    },
  },

  'appts.past': {
    async ask(t) {
      const check = needsVerification(t);
      if (check) return check;
      const past = await t.deps.services.appointments.listForPatient(t.actor!, t.actor!.patientId!, 'past', 5);
      if (past.length === 0) return { done: [{ text: 'You have no past appointments with us yet.' }] };
      const items = await describe(t, past);
      const status: Record<string, string> = { booked: 'done', completed: 'done', cancelled: 'cancelled', no_show: 'missed' };
      return {
        done: [
          {
            text: ['Your recent appointments:', ...items.map((a, i) => `${formatSlot(a.startsAt, t.zone)}, ${a.doctor} (${status[past[i].status]})`)].join('\n'),
          },
        ],
      };
    },
    async answer() {
      return { done: [] };
    },
  },

  'profile.menu': {
    async ask(t) {
      const check = needsVerification(t);
      if (check) return check;
      const me = await t.deps.services.patients.get(t.actor!, t.actor!.patientId!);
      return [
        {
          text: `Your details: ${me.fullName}, times shown in ${me.timeZone}. What would you like to change?`,
          choices: numbered(['Name', 'Date of birth', 'Time zone'], (x) => x),
        },
      ];
    },
    async answer(_t, input) {
      const n = input.trim().toLowerCase();
      if (n === '1' || n === 'name') return { next: 'profile.name' };
      if (n === '2' || /birth|dob/.test(n)) return { next: 'profile.dob' };
      if (n === '3' || /zone/.test(n)) return { next: 'profile.zone' };
      return { retry: 'Please reply 1, 2 or 3.' };
    },
  },

  'profile.name': {
    async ask() {
      return [{ text: 'What is your full name?' }];
    },
    async answer(t, input) {
      return updateProfile(t, { fullName: input }, (p) => `Thanks, your name is now ${p.fullName}.`);
    },
  },

  'profile.dob': {
    async ask() {
      return [{ text: 'What is your correct date of birth? (for example 04/12/1988)' }];
    },
    async answer(t, input) {
      const dob = readDateOfBirth(input, t.zone);
      if (!dob) return { retry: 'Please send your date of birth like 04/12/1988.' };
      return updateProfile(t, { dateOfBirth: dob }, () => 'Thanks, your date of birth is updated.');
    },
  },

  'profile.zone': {
    async ask() {
      return [{ text: "Which time zone are you in? For example 'New York', 'London' or 'America/Chicago'." }];
    },
    async answer(t, input) {
      const zone = readTimeZone(input);
      if (!zone) return { retry: "I don't know that time zone. Try a city like 'Chicago' or a name like 'America/Chicago'." };
      return updateProfile(t, { timeZone: zone }, (p) => `Done. I'll show times in ${p.timeZone} from now on.`);
    },
  },
};

async function updateProfile(
  t: Turn,
  changes: { fullName?: string; dateOfBirth?: string; timeZone?: string },
  said: (p: { fullName: string; timeZone: string }) => string,
): Promise<Outcome> {
  try {
    const p = await t.deps.services.patients.updateProfile(t.actor!, t.actor!.patientId!, changes);
    return { done: [{ text: `${said(p)} Reply MENU for anything else.` }] };
  } catch (err) {
    if (err instanceof ValidationError) return { retry: err.message };
    throw err;
  }
}

/** Appointments with their doctors' names, for listing (one lookup per distinct doctor). */
async function describe(t: Turn, appts: AppointmentView[]): Promise<ApptItem[]> {
  const names = new Map<string, string>();
  for (const id of new Set(appts.map((a) => a.doctorId))) {
    names.set(id, doctorName((await t.deps.services.doctors.get(id)).fullName));
  }
  return appts.map((a) => ({ id: a.id, startsAt: a.startsAt.getTime(), doctorId: a.doctorId, doctor: names.get(a.doctorId)! }));
}

function localMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(instant));
  return Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
}

function distance(instant: number, minutes: number, zone: string): number {
  return Math.abs(localMinutes(instant, zone) - minutes);
}
