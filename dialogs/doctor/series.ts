import { DateTime } from 'luxon';
import { SlotTakenError, SlotUnavailableError, PatientBusyError, ValidationError } from '../../src/domain/errors';
import type { Flow, Next, Turn } from '../flow';
import { numbered, pick, YES_NO_CHOICES } from '../flow';
import { formatDate, formatSlot } from '../support/format';
import type { Understood } from '../understanding';
import type { Recurrence } from '../understanding/recurrence';
import { doctorId } from './schedule';

/**
 * A doctor books a weekly series for one of their patients: 'Alice Jones every Tuesday at 10 for 6
 * weeks'. The patient is one they already see (the service checks it), found by name; the series is
 * planned, the dates not free named with their nearest times, and YES books it (or its free part).
 */
export type DoctorSeriesStep = 'who' | 'when' | 'confirm';

export interface DoctorSeriesData {
  series: Recurrence;
  /** The words naming the patient. */
  name?: string | null;
  candidates?: Array<{ id: string; fullName: string }> | null;
  patientId?: string | null;
  patientName?: string | null;
  first?: number | null;
  starts?: number[] | null;
}

type Out = Next<'doctorSeries'>;

const FILLER = /\b(book|books|schedule|set up|series|of|for|with|patient|please|sessions?|visits?|appointments?|weekly|every|each|week|weeks|at|on|a|an|the|me|my)\b/gi;

/** The words left to name a patient, once the series and the day are read. */
export function patientWords(u: Understood): string {
  return u.rest.replace(FILLER, ' ').replace(/\b\d+\b/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The first visit: the day and time said, in the doctor's zone. */
function firstOf(t: Turn, u: Understood): number | null {
  if (u.when?.kind !== 'day' || u.when.time === undefined) return null;
  return DateTime.fromISO(u.when.date, { zone: t.zone }).startOf('day').plus({ minutes: u.when.time }).toMillis();
}

async function next(t: Turn, d: DoctorSeriesData): Promise<Out> {
  if (!d.patientId) {
    if (!d.name) return { to: 'who', data: d, replace: true };
    const found = await t.deps.services.patients.findForDoctor(t.actor!, d.name);
    if (found.length === 1) return next(t, { ...d, patientId: found[0].id, patientName: found[0].fullName, candidates: null });
    return { to: 'who', data: { ...d, candidates: found.length ? found : null }, replace: true };
  }
  if (!d.first || !d.series.occurrences) return { to: 'when', data: d, replace: true };
  return { to: 'confirm', data: d, replace: true };
}

export function seriesFrom(t: Turn, u: Understood): DoctorSeriesData {
  return { series: u.series!, name: patientWords(u) || null, first: firstOf(t, u) };
}

export const doctorSeriesFlow: Flow<'doctorSeries'> = {
  name: 'doctorSeries',
  role: 'doctor',
  first: 'who',
  steps: {
    who: {
      help: "Tell me the patient's name, as in your schedule.",
      async ask(t, d) {
        if (d.name && !d.candidates && !d.patientId) {
          const found = await t.deps.services.patients.findForDoctor(t.actor!, d.name);
          if (found.length === 1) return next(t, { ...d, patientId: found[0].id, patientName: found[0].fullName });
          if (found.length > 1) return { stay: [{ text: 'Which patient?', choices: numbered(found, (p) => p.fullName) }], data: { candidates: found } };
          return { stay: [{ text: `None of your patients is called "${d.name}". Which patient? A series is for a patient you already see.` }], data: { name: null } };
        }
        if (d.candidates?.length) return [{ text: 'Which patient?', choices: numbered(d.candidates, (p) => p.fullName) }];
        return [{ text: 'For which patient? Give their name as in your schedule.' }];
      },
      async answer(t, d, u) {
        const chosen = pick(d.candidates ?? undefined, u);
        if (chosen) return next(t, { ...d, patientId: chosen.id, patientName: chosen.fullName, candidates: null });
        if (u.intent && u.intent !== 'schedule' && u.score >= 0.8 && !u.rest) return { unhandled: true };
        const words = patientWords(u) || u.text;
        return next(t, { ...d, name: words, candidates: null });
      },
    },
    when: {
      help: "Tell me the first visit and how many, like 'Tuesday at 10 for 6 weeks'.",
      async ask(_t, d) {
        if (!d.first) return [{ text: `When is the first visit for ${d.patientName}? For example 'Tuesday at 10'.` }];
        return [{ text: 'How many visits in the series (2 to 52)?' }];
      },
      async answer(t, d, u) {
        const first = firstOf(t, u) ?? d.first ?? null;
        const count = u.series?.occurrences ?? (d.first && u.choice !== null ? u.choice : null) ?? d.series.occurrences;
        if (!first && !count) return u.intent ? { unhandled: true } : { retry: "Tell me the first visit, like 'Tuesday at 10'." };
        return next(t, { ...d, first, series: { ...d.series, ...(u.series ?? {}), occurrences: count } });
      },
    },
    confirm: {
      help: 'Reply YES to book the series, or NO to leave it.',
      async ask(t, d) {
        const plan = await t.deps.services.availability.planSeries(doctorId(t), new Date(d.first!), {
          occurrences: d.series.occurrences!,
          everyWeeks: d.series.everyWeeks,
          zone: t.zone,
        });
        const free = plan.filter((o) => o.free).map((o) => o.startsAt.getTime());
        const first = DateTime.fromMillis(d.first!, { zone: t.zone });
        const every = `${d.series.everyWeeks > 1 ? 'every other' : 'every'} ${first.toFormat('cccc')} at ${first.toFormat('h:mm a')}`;
        const notFree = plan
          .filter((o) => !o.free)
          .map((o) => `${formatDate(o.startsAt, t.zone, t.deps.now())}${o.alternatives.length ? ` (nearest free: ${o.alternatives.map((a) => formatSlot(a.start, t.zone, t.deps.now())).join(', ')})` : ''}`);
        if (free.length < 2) return { done: [{ text: `Only ${free.length} of those ${plan.length} times are free; no series booked. Try another day or time.` }] };
        const head = `Book ${d.patientName} ${every}: ${free.length} visits, ${formatDate(free[0], t.zone, t.deps.now())} to ${formatDate(free[free.length - 1], t.zone, t.deps.now())}?`;
        const text = notFree.length ? `${head} Not free, so left out: ${notFree.join('; ')}. Reply YES or NO.` : `${head} Reply YES or NO.`;
        return { stay: [{ text, choices: YES_NO_CHOICES }], data: { starts: free } };
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: 'OK, no series booked.' }] };
        if (u.yesNo !== 'yes') return u.intent ? { unhandled: true } : { retry: 'Please reply YES or NO.', alone: true };
        try {
          const { appointments } = await t.deps.services.booking.bookSeries(t.actor!, {
            doctorId: doctorId(t),
            patientId: d.patientId!,
            starts: (d.starts ?? []).map((x) => new Date(x)),
            everyWeeks: d.series.everyWeeks,
            channel: t.msg.channel,
          });
          return { done: [{ text: `Booked ${appointments.length} visits for ${d.patientName}, ${formatSlot(appointments[0].startsAt, t.zone, t.deps.now())} to ${formatSlot(appointments[appointments.length - 1].startsAt, t.zone, t.deps.now())}. Each gets its reminders.` }] };
        } catch (err) {
          if (err instanceof SlotTakenError || err instanceof SlotUnavailableError || err instanceof PatientBusyError) {
            return { to: 'confirm', data: {}, replace: true, say: [{ text: 'One of those times was just taken, or the patient is busy then. Here is the series again.' }] };
          }
          if (err instanceof ValidationError) return { done: [{ text: err.message }] };
          throw err;
        }
      },
    },
  },
};
