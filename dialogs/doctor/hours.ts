import type { WeeklyRule } from '../../src/domain/slots';
import type { Flow } from '../flow';
import { YES_NO_CHOICES } from '../flow';
import { describeWeeklyHours, readWeeklyHours } from '../support/hours';
import { doctorId } from './schedule';

/** A doctor's weekly hours in words ('Mon-Fri 9-17', 'Mon 9-12, Wed 13:30-17'), after a confirmation. */
export type HoursStep = 'ask' | 'confirm';
export interface HoursData {
  rules?: WeeklyRule[] | null;
  /** The words they already sent ('hours Mon-Fri 9-17'). */
  text?: string | null;
}

export const hoursFlow: Flow<'hours'> = {
  name: 'hours',
  role: 'doctor',
  first: 'ask',
  steps: {
    ask: {
      help: "Send your hours like 'Mon-Fri 9-17', 'weekdays 9am-5pm' or 'Mon 9-12, Wed 13:30-17'. They replace your current weekly hours.",
      async ask(t, d) {
        const given = d.text ? readWeeklyHours(d.text) : null;
        if (given) return { to: 'confirm', data: { rules: given, text: null }, replace: true };
        const current = await t.deps.services.availability.weeklyHours(t.actor!, doctorId(t));
        return [{ text: `Your weekly hours: ${describeWeeklyHours(current)}. Send new hours like 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'; they replace the current ones.` }];
      },
      async answer(_t, _d, u) {
        const rules = readWeeklyHours(u.text);
        if (rules) return { to: 'confirm', data: { rules } };
        if (u.intent && u.intent !== 'hours') return { unhandled: true };
        return { retry: "I couldn't read those hours. Try 'Mon-Fri 9-17' or 'Mon 9-12, Wed 13:30-17'.", alone: true };
      },
    },
    confirm: {
      help: 'Reply YES to set these hours, or NO to keep the current ones.',
      async ask(_t, d) {
        return [{ text: `Set your weekly hours to ${describeWeeklyHours(d.rules ?? [])}? Booked appointments stay booked. Reply YES or NO.`, choices: YES_NO_CHOICES }];
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: 'OK, your hours stay as they were.' }] };
        if (u.yesNo !== 'yes') {
          const rules = readWeeklyHours(u.text);
          if (rules) return { to: 'confirm', data: { rules }, replace: true };
          if (u.intent && u.intent !== 'hours') return { unhandled: true };
          return { retry: 'Please reply YES or NO.', alone: true };
        }
        const saved = await t.deps.services.availability.setWeeklyHours(t.actor!, doctorId(t), d.rules ?? []);
        return { done: [{ text: `Done. Your weekly hours are now ${describeWeeklyHours(saved)}.` }] };
      },
    },
  },
};
