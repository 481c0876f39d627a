import type { FlowStart } from '../flow';
import { numbered } from '../flow';
import type { Reply } from '../types';
import { scheduleToday } from './schedule';

const ITEMS = ["Today's schedule", "Tomorrow's schedule", 'This week', 'Schedule for a date', 'Weekly hours', 'Time off', 'My time off'] as const;

export function doctorMenu(lead = 'What would you like?'): Reply[] {
  return [{ text: lead, choices: numbered([...ITEMS], (x) => x) }];
}

export function doctorMenuChoice(n: number, now: number, zone: string): FlowStart | null {
  switch (n) {
    case 1:
      return scheduleToday(now, zone, 0, 1, 'today');
    case 2:
      return scheduleToday(now, zone, 1, 1, 'tomorrow');
    case 3:
      return scheduleToday(now, zone, 0, 7, 'in the next 7 days');
    case 4:
      return { flow: 'schedule', step: 'date', data: {} };
    case 5:
      return { flow: 'hours', data: {} };
    case 6:
      return { flow: 'timeoff', data: {} };
    case 7:
      return { flow: 'timeoff', step: 'list', data: {} };
    default:
      return null;
  }
}

export const DOCTOR_HELP =
  "Try 'today', 'tomorrow', 'next week', 'schedule Dec 5', 'hours Mon-Fri 9-17', 'off Friday 2-5pm', 'vacation Dec 20 to Jan 2' or 'my time off'. MENU shows the options.";
