import type { FlowStart } from '../flow';
import { numbered } from '../flow';
import type { Reply } from '../types';

/**
 * A patient's menu. A number picks a line; anything else is read as a request in words. No line
 * invites a carrier opt-out word ("cancel" would end every text, not the appointment).
 */
const ITEMS = ['Book an appointment', 'My appointments', 'Move or call off one', 'Past appointments', 'My details'] as const;

export function patientMenu(lead = 'What would you like to do? Reply with a number.'): Reply[] {
  return [{ text: lead, choices: numbered([...ITEMS], (x) => x) }];
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

export const PATIENT_HELP =
  "Tell me what you need in your own words, like 'dermatologist tomorrow afternoon', 'my appointments' or 'move my Friday appointment'. MENU shows the options, BACK goes back a step, EXIT stops what you are doing.";
