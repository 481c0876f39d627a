import type { WeeklyRule } from '../../src/domain/slots';
import { locationsNamed } from '../../src/domain/visits';
import type { Flow, Next, Turn } from '../flow';
import { numbered, YES_NO_CHOICES } from '../flow';
import { formatSlot } from '../support/format';
import { describeWeeklyHours, readWeeklyHours } from '../support/hours';
import { doctorId } from './schedule';

/**
 * A doctor's weekly hours in words ('Mon-Fri 9-17', 'Mon 9-12, Wed 13:30-17'), after a confirmation.
 * A doctor who works at several of the clinic's places says which ('Tue 9-17 at Eastside'); the
 * hours there are replaced, the others kept. Booked appointments the new hours leave outside are
 * listed, with the choice to call them off (the patients are told) or keep them.
 */
export type HoursStep = 'ask' | 'confirm' | 'outside';
export interface HoursData {
  rules?: WeeklyRule[] | null;
  /** The words they already sent ('hours Mon-Fri 9-17'). */
  text?: string | null;
  /** Where the hours are worked, when the doctor works at named places. */
  locationId?: string | null;
  locationName?: string | null;
  outside?: Array<{ id: string; startsAt: number; patientName: string }> | null;
}

type Out = Next<'hours'>;

function short(name: string): string {
  const [first, ...rest] = name.split(' ');
  return rest.length ? `${first} ${rest[rest.length - 1][0]}.` : first;
}

/** The hours a message gives, and where: the place named, or the one place the doctor works. */
async function readHours(t: Turn, text: string): Promise<{ rules: WeeklyRule[]; locationId: string | null; locationName: string | null } | string | null> {
  const places = (await t.deps.directory!()).locations ?? [];
  const named = locationsNamed(text, places);
  // The place's words out of the way of the hours ('Tue 9-17 at Eastside Clinic').
  let hoursText = text;
  for (const p of named) hoursText = hoursText.replace(new RegExp(`\\b(at|in)?\\s*(the\\s+)?${p.name.split(' ')[0]}(\\s+\\w+)?\\s*$`, 'i'), '');
  const rules = readWeeklyHours(hoursText.trim());
  if (!rules) return null;
  if (named.length === 1) return { rules, locationId: named[0].id, locationName: named[0].name };
  const current = await t.deps.services.availability.weeklyHours(t.actor!, doctorId(t));
  const worked = [...new Set(current.map((r) => r.locationId ?? null))];
  if (worked.length > 1) {
    const names = worked.map((id) => places.find((p) => p.id === id)?.name).filter(Boolean);
    return `You work at ${names.join(' and ')}. Say where, like '${describeWeeklyHours(rules)} at ${names[0]}'.`;
  }
  const only = worked[0] ?? null;
  return { rules, locationId: only, locationName: places.find((p) => p.id === only)?.name ?? null };
}

function confirmAfterReading(read: Awaited<ReturnType<typeof readHours>>, replace = false): Out | null {
  if (read === null) return null;
  if (typeof read === 'string') return { retry: read, alone: true };
  return { to: 'confirm', data: { ...read, text: null }, ...(replace ? { replace: true } : {}) };
}

export const hoursFlow: Flow<'hours'> = {
  name: 'hours',
  role: 'doctor',
  first: 'ask',
  steps: {
    ask: {
      help: "Send your hours like 'Mon-Fri 9-17', 'weekdays 9am-5pm' or 'Mon 9-12, Wed 13:30-17'. They replace your current weekly hours.",
      async ask(t, d) {
        const given = d.text ? confirmAfterReading(await readHours(t, d.text), true) : null;
        if (given && !('retry' in given)) return given;
        const current = await t.deps.services.availability.weeklyHours(t.actor!, doctorId(t));
        const lead = given && 'retry' in given ? `${given.retry} ` : '';
        return [{ text: `${lead}Your weekly hours: ${describeWeeklyHours(current)}. Send new hours like 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'; they replace the current ones.` }];
      },
      async answer(t, _d, u) {
        const next = confirmAfterReading(await readHours(t, u.text));
        if (next) return next;
        if (u.intent && u.intent !== 'hours') return { unhandled: true };
        return { retry: "I couldn't read those hours. Try 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'.", alone: true };
      },
    },
    confirm: {
      help: 'Reply YES to set these hours, or NO to keep the current ones.',
      async ask(_t, d) {
        const where = d.locationName ? ` at ${d.locationName}` : '';
        return [{ text: `Set your weekly hours${where} to ${describeWeeklyHours(d.rules ?? [])}? Booked appointments stay booked. Reply YES or NO.`, choices: YES_NO_CHOICES }];
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: 'OK, your hours stay as they were.' }] };
        if (u.yesNo !== 'yes') {
          const next = confirmAfterReading(await readHours(t, u.text), true);
          if (next) return next;
          if (u.intent && u.intent !== 'hours') return { unhandled: true };
          return { retry: 'Please reply YES or NO.', alone: true };
        }
        const saved = await t.deps.services.availability.setWeeklyHours(t.actor!, doctorId(t), d.rules ?? [], { locationId: d.locationId ?? null });
        const here = d.locationId ? saved.filter((r) => r.locationId === d.locationId) : saved;
        const done = `Done. Your weekly hours${d.locationName ? ` at ${d.locationName}` : ''} are now ${describeWeeklyHours(here)}.`;
        const outside = await t.deps.services.availability.bookingsOutsideHours(t.actor!, doctorId(t));
        if (outside.length === 0) return { done: [{ text: done }] };
        return { to: 'outside', data: { outside: outside.map((a) => ({ id: a.id, startsAt: a.startsAt.getTime(), patientName: a.patientName })), text: done }, replace: true };
      },
    },
    outside: {
      help: 'Reply 1 to call off the appointments outside your hours (the patients are told), or 2 to keep them.',
      async ask(t, d) {
        const list = d.outside ?? [];
        const listed = list.slice(0, 10).map((a) => `${formatSlot(a.startsAt, t.zone, t.deps.now())} ${short(a.patientName)}`);
        const more = list.length > 10 ? `; and ${list.length - 10} more` : '';
        return [
          {
            text: `${d.text ?? ''} ${list.length} booked appointment${list.length === 1 ? ' is' : 's are'} now outside them: ${listed.join('; ')}${more}.`.replace(/\.\.$/, '.').trim(),
            choices: numbered(['Call them off (the patients are told)', 'Keep them'], (x) => x),
          },
        ];
      },
      async answer(t, d, u) {
        if (u.choice === 2 || u.yesNo === 'no') return { done: [{ text: 'OK, they stay booked. The front desk can move them with /clinic move.' }] };
        if (u.choice !== 1) return u.intent && u.intent !== 'hours' ? { unhandled: true } : { retry: 'Please reply 1 or 2.' };
        // Read again: some may have been moved or called off meanwhile.
        const still = new Set((await t.deps.services.availability.bookingsOutsideHours(t.actor!, doctorId(t))).map((a) => a.id));
        const toCancel = (d.outside ?? []).filter((a) => still.has(a.id));
        for (const a of toCancel) await t.deps.services.booking.cancel(t.actor!, a.id, 'outside the doctor hours');
        return { done: [{ text: `Called off ${toCancel.length} appointment${toCancel.length === 1 ? '' : 's'}. The patients will be told.` }] };
      },
    },
  },
};
