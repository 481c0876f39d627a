import { DateTime } from 'luxon';
import { ValidationError } from '../../src/domain/errors';
import type { WeeklyRule } from '../../src/domain/slots';
import { no, numbered, pick, yes, type Outcome, type Steps, type Turn } from '../step';
import { formatSlot } from '../support/format';
import { describeWeeklyHours, readWeeklyHours } from '../support/hours';
import { readWhen, whenToRange } from '../support/when';

/**
 * The doctor's conversations (Slack, Teams, console): their schedule, their patients' details,
 * weekly hours and time off. Every call goes to a service that checks again that it is theirs.
 */

type Entry = { id: string; patientId: string; startsAt: number; endsAt: number; patientName: string };
const data = <T>(t: Turn, key: string) => t.state.data[key] as T;
const MAX_LISTED = 25;

function doctorId(t: Turn): string {
  if (!t.actor?.doctorId) throw new ValidationError('Your account is not linked to a doctor yet; please ask an admin.');
  return t.actor.doctorId;
}

function short(name: string): string {
  const [first, ...rest] = name.split(' ');
  return rest.length ? `${first} ${rest[rest.length - 1][0]}.` : first;
}

function formatRange(from: number, to: number, zone: string): string {
  const a = DateTime.fromMillis(from, { zone });
  const b = DateTime.fromMillis(to, { zone });
  const wholeDays = a.equals(a.startOf('day')) && b.equals(b.startOf('day'));
  if (wholeDays) {
    const last = b.minus({ days: 1 });
    return last.hasSame(a, 'day') ? `all of ${a.toFormat('ccc d LLL')}` : `${a.toFormat('ccc d LLL')} to ${last.toFormat('ccc d LLL')}`;
  }
  return a.hasSame(b, 'day') ? `${a.toFormat('ccc d LLL, h:mm a')} - ${b.toFormat('h:mm a')}` : `${formatSlot(from, zone)} to ${formatSlot(to, zone)}`;
}

async function scheduleOutcome(t: Turn, from: DateTime, to: DateTime, label: string): Promise<Outcome> {
  const entries = await t.deps.services.appointments.schedule(t.actor!, doctorId(t), from.toJSDate(), to.toJSDate());
  const booked = entries.filter((e) => e.status !== 'cancelled');
  if (booked.length === 0) return { done: [{ text: `You have no appointments ${label}.` }] };
  const list: Entry[] = booked.slice(0, MAX_LISTED).map((e) => ({
    id: e.id,
    patientId: e.patientId,
    startsAt: e.startsAt.getTime(),
    endsAt: e.endsAt.getTime(),
    patientName: e.patientName,
  }));
  return { next: 'doctor.schedule', data: { entries: list, label, more: booked.length - list.length } };
}

function dayRange(t: Turn, offsetDays: number, days = 1): [DateTime, DateTime] {
  const start = DateTime.fromMillis(t.deps.now(), { zone: t.zone }).startOf('day').plus({ days: offsetDays });
  return [start, start.plus({ days })];
}

export const doctorSteps: Steps = {
  'doctor.menu': {
    help: "Try 'today', 'tomorrow', 'this week', 'schedule Dec 5', 'hours Mon-Fri 9-17', 'off Friday 2-5pm' or 'vacation Dec 20 to Jan 2'.",
    async ask() {
      return [
        {
          text: 'What would you like?',
          choices: numbered(["Today's schedule", "Tomorrow's schedule", 'This week', 'Schedule for a date', 'Weekly hours', 'Time off'], (x) => x),
        },
      ];
    },
    async answer(t, input) {
      const n = input.trim().toLowerCase();
      if (n === '1' || /^(today|schedule( for)? today)$/.test(n)) return scheduleOutcome(t, ...dayRange(t, 0), 'today');
      if (n === '2' || /^(tomorrow|schedule( for)? tomorrow)$/.test(n)) return scheduleOutcome(t, ...dayRange(t, 1), 'tomorrow');
      if (n === '3' || /^(this )?week$|^schedule( for)? (this )?week$/.test(n)) return scheduleOutcome(t, ...dayRange(t, 0, 7), 'in the next 7 days');
      if (n === '4') return { next: 'doctor.date' };
      if (n === '5' || /^(my |weekly |set )?hours$/.test(n)) return { next: 'doctor.hours' };
      if (/^(set |my |weekly )?hours\b/.test(n)) {
        const rules = readWeeklyHours(n);
        return rules ? { next: 'doctor.hours.confirm', data: { rules } } : { next: 'doctor.hours' };
      }
      if (n === '6' || /^(time off|off|vacation|holiday|away|block)\b/.test(n)) {
        return { next: 'doctor.off', data: { text: n === '6' || n === 'time off' ? null : input } };
      }
      const schedule = /^(schedule|appointments|calendar)( for| on)? (.+)$/.exec(n);
      if (schedule) return scheduleForText(t, schedule[3]);
      // A day on its own ('friday', 'Dec 5') asks for that day's schedule.
      const day = readWhen(n, t.zone, t.deps.now(), 0);
      if (day?.namedDay && !day.window && day.exact === null) return scheduleForText(t, n);
      return { retry: "Sorry, I didn't understand that. Reply with a number." };
    },
  },

  'doctor.date': {
    async ask() {
      return [{ text: "Which date? For example 'Dec 5' or 'next Monday'." }];
    },
    async answer(t, input) {
      return scheduleForText(t, input);
    },
  },

  'doctor.schedule': {
    async ask(t) {
      const entries = data<Entry[]>(t, 'entries');
      const more = data<number>(t, 'more');
      return [
        {
          text: `Your appointments ${data<string>(t, 'label')}:`,
          choices: numbered(entries, (e) => `${formatSlot(e.startsAt, t.zone)} ${e.patientName} (${Math.round((e.endsAt - e.startsAt) / 60_000)} min)`),
        },
        { text: `${more > 0 ? `...and ${more} more. ` : ''}Reply a number for that patient's details, or MENU.` },
      ];
    },
    async answer(t, input) {
      const entry = pick(data<Entry[]>(t, 'entries'), input);
      if (!entry) return { retry: 'Please reply with one of the numbers shown.' };
      // The service checks the doctor has an appointment with this patient, and audits the read.
      const patient = await t.deps.services.patients.get(t.actor!, entry.patientId);
      const appt = await t.deps.services.appointments.get(t.actor!, entry.id);
      const lines = [
        `Date of birth: ${DateTime.fromISO(patient.dateOfBirth).toFormat('d LLL yyyy')}`,
        `Phone: ${patient.phoneE164 ?? 'none'}`,
        `Appointment: ${formatSlot(entry.startsAt, t.zone)}`,
        `Reason given: ${appt.reason ?? 'none'}`,
      ];
      return { done: [{ text: "Patient details (this look-up is recorded):", card: { title: patient.fullName, lines } }] };
    },
  },

  'doctor.hours': {
    help: "Send your hours like 'Mon-Fri 9-17', 'weekdays 9am-5pm' or 'Mon 9-12, Wed 13:30-17'. They replace your current weekly hours.",
    async ask(t) {
      const current = await t.deps.services.availability.weeklyHours(t.actor!, doctorId(t));
      return [
        { text: `Your weekly hours: ${describeWeeklyHours(current)}. Send new hours like 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'; they replace the current ones.` },
      ];
    },
    async answer(_t, input) {
      const rules = readWeeklyHours(input);
      if (!rules) return { retry: "I couldn't read those hours. Try 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'." };
      return { next: 'doctor.hours.confirm', data: { rules } };
    },
  },

  'doctor.hours.confirm': {
    async ask(t) {
      const rules = data<WeeklyRule[]>(t, 'rules');
      return [
        {
          text: `Set your weekly hours to ${describeWeeklyHours(rules)}? Booked appointments stay booked. Reply YES or NO.`,
          choices: [
            { label: 'Yes', value: 'YES' },
            { label: 'No', value: 'NO' },
          ],
        },
      ];
    },
    async answer(t, input) {
      if (no(input)) return { done: [{ text: 'OK, your hours stay as they were.' }] };
      if (!yes(input)) return { retry: 'Please reply YES or NO.' };
      const saved = await t.deps.services.availability.setWeeklyHours(t.actor!, doctorId(t), data<WeeklyRule[]>(t, 'rules'));
      return { done: [{ text: `Done. Your weekly hours are now ${describeWeeklyHours(saved)}.` }] };
    },
  },

  'doctor.off': {
    help: "Tell me when you are away: 'Friday 2-5pm', 'tomorrow', or 'vacation Dec 20 to Jan 2'.",
    async ask(t) {
      const text = data<string | null>(t, 'text');
      if (text) {
        t.state.data.text = null;
        return doctorSteps['doctor.off'].answer(t, text);
      }
      return [{ text: "When are you off? For example 'Friday 2-5pm' or 'vacation Dec 20 to Jan 2'." }];
    },
    async answer(t, input) {
      const reason = /vacation|holiday/i.test(input) ? 'vacation' : null;
      const rest = input.replace(/^(i'?m |i am )?(time off|off|vacation|holiday|away|block)\s*(on|from)?\s*:?\s*/i, '');
      const when = readWhen(rest, t.zone, t.deps.now(), 0);
      if (!when || !when.namedDay) return { retry: "Tell me the day and times, like 'Friday 2-5pm' or 'Dec 20 to Jan 2'." };
      if (when.exact !== null) return { retry: "Please give an end time too, like 'Friday 2-5pm'." };
      const range = whenToRange(when, t.zone);
      let from = range.from.getTime();
      let to = range.to.getTime();
      if (when.window) {
        from = DateTime.fromISO(when.fromDate, { zone: t.zone }).startOf('day').plus({ minutes: when.window.start }).toMillis();
        to = DateTime.fromISO(when.toDate, { zone: t.zone }).startOf('day').plus({ minutes: when.window.end }).toMillis();
      }
      if (to <= t.deps.now()) return { retry: 'That time is already over. When are you off?' };
      const schedule = await t.deps.services.appointments.schedule(t.actor!, doctorId(t), new Date(from), new Date(to));
      const clashes = schedule
        .filter((e) => e.status === 'booked')
        .map((e) => ({ id: e.id, startsAt: e.startsAt.getTime(), patientName: e.patientName }));
      return { next: 'doctor.off.confirm', data: { from, to, reason, clashes } };
    },
  },

  'doctor.off.confirm': {
    async ask(t) {
      const clashes = data<Array<{ startsAt: number; patientName: string }>>(t, 'clashes');
      const range = formatRange(data<number>(t, 'from'), data<number>(t, 'to'), t.zone);
      if (clashes.length === 0) {
        return [{ text: `Block ${range}? Reply YES or NO.`, choices: [{ label: 'Yes', value: 'YES' }, { label: 'No', value: 'NO' }] }];
      }
      const listed = clashes.slice(0, 10).map((c) => `${formatSlot(c.startsAt, t.zone)} ${short(c.patientName)}`);
      const more = clashes.length > 10 ? `; and ${clashes.length - 10} more` : '';
      return [
        {
          text: `Block ${range}? It clashes with ${clashes.length} booked appointment${clashes.length > 1 ? 's' : ''}: ${listed.join('; ')}${more}.`,
          choices: numbered(['Block it and cancel them (the patients are told)', 'Block it and keep them', 'Leave it'], (x) => x),
        },
      ];
    },
    async answer(t, input) {
      const clashes = data<unknown[]>(t, 'clashes');
      const from = new Date(data<number>(t, 'from'));
      const to = new Date(data<number>(t, 'to'));
      const range = formatRange(from.getTime(), to.getTime(), t.zone);
      const block = () => t.deps.services.availability.addTimeOff(t.actor!, doctorId(t), { startsAt: from, endsAt: to, reason: data<string | null>(t, 'reason') });
      if (clashes.length === 0) {
        if (no(input)) return { done: [{ text: 'OK, nothing changed.' }] };
        if (!yes(input)) return { retry: 'Please reply YES or NO.' };
        await block();
        return { done: [{ text: `Blocked ${range}.` }] };
      }
      const n = input.trim();
      if (n === '3' || no(input) && n !== '2') return { done: [{ text: 'OK, nothing changed.' }] };
      if (n !== '1' && n !== '2') return { retry: 'Please reply 1, 2 or 3.' };
      // The clashes are read again as the time off is written: they may have changed meanwhile.
      const { clashes: current } = await block();
      if (n === '2') return { done: [{ text: `Blocked ${range}. ${current.length} appointment${current.length === 1 ? '' : 's'} stay booked.` }] };
      let cancelled = 0;
      for (const c of current) {
        await t.deps.services.booking.cancel(t.actor!, c.id, 'the doctor is unavailable');
        cancelled++;
      }
      return { done: [{ text: `Blocked ${range} and cancelled ${cancelled} appointment${cancelled === 1 ? '' : 's'}. The patients will be told.` }] };
    },
  },
};

async function scheduleForText(t: Turn, text: string): Promise<Outcome> {
  const when = readWhen(text, t.zone, t.deps.now(), 0);
  if (!when || !when.namedDay) return { retry: "I couldn't read that date. Try 'Dec 5' or 'next Monday'." };
  const from = DateTime.fromISO(when.fromDate, { zone: t.zone }).startOf('day');
  const to = DateTime.fromISO(when.toDate, { zone: t.zone }).plus({ days: 1 }).startOf('day');
  if (to.diff(from, 'days').days > 31) return { retry: 'Please ask for a month or less at a time.' };
  const label = when.fromDate === when.toDate ? `on ${from.toFormat('ccc d LLL')}` : `from ${from.toFormat('ccc d LLL')} to ${to.minus({ days: 1 }).toFormat('ccc d LLL')}`;
  return scheduleOutcome(t, from, to, label);
}
