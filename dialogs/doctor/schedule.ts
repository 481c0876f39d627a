import { DateTime } from 'luxon';
import { ValidationError } from '../../src/domain/errors';
import type { Flow, FlowStart, Next, Turn } from '../flow';
import { numbered, pick } from '../flow';
import { formatDate, formatSlot } from '../support/format';
import type { WhenReading } from '../understanding/dates';
import { withLanguage } from '../../src/i18n/staff';

/**
 * A doctor's schedule for a day or a span ('today', 'friday', 'next week', 'schedule Nov 20'), and
 * a patient's details from it (the service checks the patient is theirs, and records the look).
 * A year other than this one is always named.
 */
export type ScheduleStep = 'list' | 'date';

export interface Entry {
  id: string;
  patientId: string;
  startsAt: number;
  endsAt: number;
  patientName: string;
  /** The kind of visit, when it is not the doctor's plain one, and where. */
  visit?: string | null;
  place?: string | null;
}

const plainVisit = (name: string | null | undefined) => !name || /^Visit \(\d+ min\)$/.test(name);

export interface ScheduleData {
  from?: number;
  to?: number;
  label?: string;
  entries?: Entry[] | null;
  more?: number;
}

const MAX_LISTED = 25;
type Out = Next<'schedule'>;

export function doctorId(t: Turn): string {
  if (!t.actor?.doctorId) throw new ValidationError('Your account is not linked to a doctor yet; please ask an admin.');
  return t.actor.doctorId;
}

export function scheduleToday(now: number, zone: string, offsetDays: number, days: number, label: string): FlowStart {
  const start = DateTime.fromMillis(now, { zone }).startOf('day').plus({ days: offsetDays });
  return { flow: 'schedule', data: { from: start.toMillis(), to: start.plus({ days }).toMillis(), label } };
}

/** The schedule a reading asks for: a day, or a span of up to a month. */
export function scheduleFor(t: Turn, when: WhenReading | null): FlowStart | string {
  const now = t.deps.now();
  const today = DateTime.fromMillis(now, { zone: t.zone }).startOf('day');
  if (!when || when.kind === 'time' || when.kind === 'asap') return scheduleToday(now, t.zone, 0, 1, 'today');
  if (when.kind === 'ask') return scheduleToday(now, t.zone, 0, 1, 'today');
  const from = DateTime.fromISO(when.kind === 'day' ? when.date : when.from, { zone: t.zone }).startOf('day');
  const to = DateTime.fromISO(when.kind === 'day' ? when.date : when.to, { zone: t.zone }).plus({ days: 1 }).startOf('day');
  if (to.diff(from, 'days').days > 31) return 'Please ask for a month or less at a time.';
  const day = (d: DateTime) => formatDate(d.toMillis(), t.zone, now);
  let label: string;
  if (to.diff(from, 'days').days === 1) label = from.equals(today) ? 'today' : from.equals(today.plus({ days: 1 })) ? 'tomorrow' : `on ${day(from)}`;
  else label = `from ${day(from)} to ${day(to.minus({ days: 1 }))}`;
  return { flow: 'schedule', data: { from: from.toMillis(), to: to.toMillis(), label } };
}

async function load(t: Turn, d: ScheduleData): Promise<Out | null> {
  const entries = await t.deps.services.appointments.schedule(t.actor!, doctorId(t), new Date(d.from!), new Date(d.to!));
  const booked = entries.filter((e) => e.status !== 'cancelled');
  if (booked.length === 0) return { done: [{ text: `You have no appointments ${d.label}.` }] };
  const list: Entry[] = booked.slice(0, MAX_LISTED).map((e) => ({ id: e.id, patientId: e.patientId, startsAt: e.startsAt.getTime(), endsAt: e.endsAt.getTime(), patientName: withLanguage(e.patientName, e.patientLocale), visit: plainVisit(e.visitName) ? null : e.visitName, place: e.locationName ?? null }));
  return {
    stay: [
      { text: `Your appointments ${d.label}:`, choices: numbered(list, (e) => `${formatSlot(e.startsAt, t.zone, t.deps.now())} ${e.patientName} (${[e.visit, `${Math.round((e.endsAt - e.startsAt) / 60_000)} min`, e.place].filter(Boolean).join(', ')})`) },
      { text: `${booked.length > list.length ? `...and ${booked.length - list.length} more. ` : ''}Reply a number for that patient's details, or MENU.` },
    ],
    data: { entries: list },
  };
}

export const scheduleFlow: Flow<'schedule'> = {
  name: 'schedule',
  role: 'doctor',
  first: 'list',
  prefer: 'nearest',
  steps: {
    list: {
      help: "Reply a number for that patient's details, or ask for another day ('friday', 'next week').",
      async ask(t, d) {
        return (await load(t, d))!;
      },
      async answer(t, d, u) {
        const entry = pick(d.entries ?? undefined, u);
        if (!entry) {
          if (u.choice !== null && !u.when) return { retry: `Please reply with a number from 1 to ${(d.entries ?? []).length}.` };
          return { unhandled: true };
        }
        // The service checks the doctor has an appointment with this patient, and audits the read.
        const patient = await t.deps.services.patients.get(t.actor!, entry.patientId);
        const appt = await t.deps.services.appointments.get(t.actor!, entry.id);
        const lines = [
          `Date of birth: ${DateTime.fromISO(patient.dateOfBirth).toFormat('d LLL yyyy')}`,
          `Phone: ${patient.phoneE164 ?? 'none'}`,
          `Appointment: ${formatSlot(entry.startsAt, t.zone, t.deps.now())}`,
          ...(entry.visit || entry.place ? [`Visit: ${[entry.visit, entry.place].filter(Boolean).join(', ')}`] : []),
          `Reason given: ${appt.reason ?? 'none'}`,
          ...(appt.intake ?? []).map((a) => `${a.question} ${a.answer}`),
        ];
        return { done: [{ text: 'Patient details (this look-up is recorded):', card: { title: patient.fullName, lines } }] };
      },
    },
    date: {
      help: "Tell me a date, like 'Dec 5', 'friday' or 'next week'.",
      async ask() {
        return [{ text: "Which date? For example 'Dec 5', 'friday' or 'next week'." }];
      },
      async answer(t, _d, u) {
        if (!u.when || u.when.kind === 'time') {
          if (u.intent && u.intent !== 'schedule') return { unhandled: true };
          return { retry: "I couldn't read that date. Try 'Dec 5' or 'next Monday'." };
        }
        const next = scheduleFor(t, u.when);
        if (typeof next === 'string') return { retry: next };
        return { start: next, replace: true };
      },
    },
  },
};
