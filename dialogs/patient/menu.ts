import type { FlowStart, Turn } from '../flow';
import { numbered } from '../flow';
import type { Reply } from '../types';

/**
 * A patient's menu. A number picks a line; anything else is read as a request in words. No line
 * invites a carrier opt-out word ("cancel" would end every text, not the appointment).
 */
const ITEMS = ['menu.book', 'menu.list', 'menu.change', 'menu.past', 'menu.details'] as const;

export function patientMenu(t: Pick<Turn, 'say'>, lead = t.say('menu.prompt')): Reply[] {
  return [{ text: lead, choices: numbered([...ITEMS], (x) => t.say(x)) }];
}

export function patientMenuChoice(n: number): FlowStart | null {
  switch (n) {
    case 1:
      return { flow: 'booking', data: {} };
    case 2:
      return { flow: 'appointments', data: { mode: 'view' } };
    case 3:
      return { flow: 'appointments', data: { mode: 'change' } };
    case 4:
      return { flow: 'appointments', step: 'past', data: { mode: 'view' } };
    case 5:
      return { flow: 'profile', data: {} };
    default:
      return null;
  }
}
