import { DateTime } from 'luxon';
import type { Flow, Next, Turn } from '../flow';
import { numbered, pick, YES_NO_CHOICES } from '../flow';
import { formatDate, formatSlot } from '../support/format';
import type { WhenReading } from '../understanding/dates';
import { doctorId } from './schedule';

/**
 * A doctor's time off in words: 'off monday 2-5' (14:00 to 17:00), 'off friday 2-5pm' on a Friday
 * (today, while it is still ahead), 'vacation next week' (the whole week), 'Dec 20 to Jan 2'. Booked
 * appointments it clashes with are listed, with the choice to call them off (the patients are told).
 * 'My time off' lists what is blocked, and a number removes one.
 */
export type TimeOffStep = 'when' | 'confirm' | 'list';

export interface TimeOffData {
  when?: WhenReading | null;
  vacation?: boolean;
  from?: number;
  to?: number;
  clashes?: Array<{ id: string; startsAt: number; patientName: string }> | null;
  entries?: Array<{ id: string; startsAt: number; endsAt: number }> | null;
}

type Out = Next<'timeoff'>;

function short(name: string): string {
  const [first, ...rest] = name.split(' ');
  return rest.length ? `${first} ${rest[rest.length - 1][0]}.` : first;
}

export function formatSpan(from: number, to: number, zone: string, now: number): string {
  const a = DateTime.fromMillis(from, { zone });
  const b = DateTime.fromMillis(to, { zone });
  if (a.equals(a.startOf('day')) && b.equals(b.startOf('day'))) {
    const last = b.minus({ days: 1 });
    return last.hasSame(a, 'day') ? `all of ${formatDate(from, zone, now)}` : `${formatDate(from, zone, now)} to ${formatDate(last.toMillis(), zone, now)}`;
  }
  return a.hasSame(b, 'day') ? `${formatSlot(from, zone, now)} - ${b.toFormat('h:mm a')}` : `${formatSlot(from, zone, now)} to ${formatSlot(to, zone, now)}`;
}

/** The instants a reading blocks, or why it cannot. */
function spanOf(t: Turn, when: WhenReading): { from: number; to: number } | string {
  const start = (iso: string) => DateTime.fromISO(iso, { zone: t.zone }).startOf('day');
  if (when.kind === 'day') {
    if (when.time !== undefined && !when.window) return "Please give an end time too, like 'Friday 2-5pm'.";
    const day = start(when.date);
    if (when.window) return { from: day.plus({ minutes: when.window.start }).toMillis(), to: day.plus({ minutes: when.window.end }).toMillis() };
    return { from: day.toMillis(), to: day.plus({ days: 1 }).toMillis() };
  }
  if (when.kind === 'range') {
    if (when.window) return { from: start(when.from).plus({ minutes: when.window.start }).toMillis(), to: start(when.to).plus({ minutes: when.window.end }).toMillis() };
    return { from: start(when.from).toMillis(), to: start(when.to).plus({ days: 1 }).toMillis() };
  }
  return "Tell me the day and times, like 'Friday 2-5pm' or 'Dec 20 to Jan 2'.";
}

async function plan(t: Turn, d: TimeOffData, when: WhenReading): Promise<Out> {
  if (when.kind === 'ask') return { retry: when.question };
  const span = spanOf(t, when);
  if (typeof span === 'string') return { retry: span };
  if (span.to <= t.deps.now()) return { retry: 'That time is already over. When are you off?' };
  const schedule = await t.deps.services.appointments.schedule(t.actor!, doctorId(t), new Date(span.from), new Date(span.to));
  const clashes = schedule.filter((e) => e.status === 'booked').map((e) => ({ id: e.id, startsAt: e.startsAt.getTime(), patientName: e.patientName }));
  return { to: 'confirm', data: { ...span, clashes, when }, replace: true };
}

export const timeOffFlow: Flow<'timeoff'> = {
  name: 'timeoff',
  role: 'doctor',
  first: 'when',
  prefer: 'future',
  steps: {
    when: {
      help: "Tell me when you are away: 'Friday 2-5pm', 'tomorrow', 'next week' or 'vacation Dec 20 to Jan 2'.",
      async ask(t, d) {
        if (d.when) return plan(t, d, d.when);
        return [{ text: "When are you off? For example 'Friday 2-5pm', 'next week' or 'Dec 20 to Jan 2'." }];
      },
      async answer(t, d, u) {
        if (u.when) return plan(t, { ...d, vacation: d.vacation || /vacation|holiday/i.test(u.text) }, u.when);
        if (u.intent && u.intent !== 'timeoff') return { unhandled: true };
        return { retry: "Tell me the day and times, like 'Friday 2-5pm' or 'Dec 20 to Jan 2'." };
      },
    },
    confirm: {
      help: 'Reply YES to block this time (or 1, 2 or 3 when it clashes with bookings), or NO to leave it.',
      async ask(t, d) {
        const range = formatSpan(d.from!, d.to!, t.zone, t.deps.now());
        const clashes = d.clashes ?? [];
        if (clashes.length === 0) return [{ text: `Block ${range}? Reply YES or NO.`, choices: YES_NO_CHOICES }];
        const listed = clashes.slice(0, 10).map((c) => `${formatSlot(c.startsAt, t.zone, t.deps.now())} ${short(c.patientName)}`);
        const more = clashes.length > 10 ? `; and ${clashes.length - 10} more` : '';
        return [
          {
            text: `Block ${range}? It clashes with ${clashes.length} booked appointment${clashes.length > 1 ? 's' : ''}: ${listed.join('; ')}${more}.`,
            choices: numbered(['Block it and call them off (the patients are told)', 'Block it and keep them', 'Leave it'], (x) => x),
          },
        ];
      },
      async answer(t, d, u) {
        const range = formatSpan(d.from!, d.to!, t.zone, t.deps.now());
        const block = () => t.deps.services.availability.addTimeOff(t.actor!, doctorId(t), { startsAt: new Date(d.from!), endsAt: new Date(d.to!), reason: d.vacation ? 'vacation' : null });
        const clashes = d.clashes ?? [];
        if (u.when && !u.yesNo && u.choice === null) return plan(t, d, u.when);
        if (clashes.length === 0) {
          if (u.yesNo === 'no') return { done: [{ text: 'OK, nothing changed.' }] };
          if (u.yesNo !== 'yes') return u.intent && u.intent !== 'timeoff' ? { unhandled: true } : { retry: 'Please reply YES or NO.', alone: true };
          await block();
          return { done: [{ text: `Blocked ${range}.` }] };
        }
        if (u.choice === 3 || (u.yesNo === 'no' && u.choice === null)) return { done: [{ text: 'OK, nothing changed.' }] };
        if (u.choice !== 1 && u.choice !== 2) return u.intent && u.intent !== 'timeoff' ? { unhandled: true } : { retry: 'Please reply 1, 2 or 3.' };
        // The clashes are read again as the time off is written: they may have changed meanwhile.
        const { clashes: current } = await block();
        if (u.choice === 2) return { done: [{ text: `Blocked ${range}. ${current.length} appointment${current.length === 1 ? '' : 's'} stay booked.` }] };
        for (const c of current) await t.deps.services.booking.cancel(t.actor!, c.id, 'the doctor is unavailable');
        return { done: [{ text: `Blocked ${range} and called off ${current.length} appointment${current.length === 1 ? '' : 's'}. The patients will be told.` }] };
      },
    },
    list: {
      help: 'Reply with a number to remove that time off, or MENU.',
      async ask(t) {
        const now = t.deps.now();
        const entries = (await t.deps.services.availability.listTimeOff(t.actor!, doctorId(t), new Date(now), new Date(now + 366 * 86_400_000)))
          .slice(0, 10)
          .map((e) => ({ id: e.id, startsAt: e.startsAt.getTime(), endsAt: e.endsAt.getTime() }));
        if (entries.length === 0) return { done: [{ text: 'You have no time off ahead.' }] };
        return {
          stay: [{ text: 'Your time off ahead:', choices: numbered(entries, (e) => formatSpan(e.startsAt, e.endsAt, t.zone, now)) }, { text: 'Reply a number to remove it, or MENU.' }],
          data: { entries },
        };
      },
      async answer(t, d, u) {
        const entry = pick(d.entries ?? undefined, u);
        if (!entry) return u.choice !== null ? { retry: `Please reply with a number from 1 to ${(d.entries ?? []).length}.` } : { unhandled: true };
        await t.deps.services.availability.removeTimeOff(t.actor!, entry.id);
        return { done: [{ text: `Removed your time off ${formatSpan(entry.startsAt, entry.endsAt, t.zone, t.deps.now())}. Those times can be booked again.` }] };
      },
    },
  },
};
