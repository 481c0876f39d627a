import { ValidationError } from '../../src/domain/errors';
import type { Flow, Next, Turn } from '../flow';
import { numbered } from '../flow';
import { readDateOfBirth, readTimeZone } from '../support/personal';

/** A patient's own details: name, date of birth, time zone (after the date-of-birth check). */
export type ProfileStep = 'menu' | 'name' | 'dob' | 'zone';
export type ProfileData = Record<string, never>;

type Out = Next<'profile'>;

async function update(t: Turn, changes: { fullName?: string; dateOfBirth?: string; timeZone?: string }, said: (p: { fullName: string; timeZone: string }) => string): Promise<Out> {
  try {
    const p = await t.deps.services.patients.updateProfile(t.actor!, t.actor!.patientId!, changes);
    return { done: [{ text: `${said(p)} Reply MENU for anything else.` }] };
  } catch (err) {
    if (err instanceof ValidationError) return { retry: err.message };
    throw err;
  }
}

export const profileFlow: Flow<'profile'> = {
  name: 'profile',
  role: 'patient',
  first: 'menu',
  steps: {
    menu: {
      help: 'Reply 1 to change your name, 2 your date of birth, 3 your time zone, or MENU.',
      async ask(t) {
        if (!t.state.verified) return { start: { flow: 'verification', data: { then: { flow: 'profile', data: {} } } } };
        const me = await t.deps.services.patients.get(t.actor!, t.actor!.patientId!);
        return [{ text: `Your details: ${me.fullName}, times shown in ${me.timeZone}. What would you like to change?`, choices: numbered(['Name', 'Date of birth', 'Time zone'], (x) => x) }];
      },
      async answer(_t, _d, u) {
        const n = u.text.trim().toLowerCase();
        if (u.choice === 1 || /\bname\b/.test(n)) return { to: 'name' };
        if (u.choice === 2 || /birth|dob|birthday/.test(n)) return { to: 'dob' };
        if (u.choice === 3 || /zone/.test(n)) return { to: 'zone' };
        if (u.choice !== null) return { retry: 'Please reply 1, 2 or 3.' };
        return { unhandled: true };
      },
    },
    name: {
      async ask() {
        return [{ text: 'What is your full name?' }];
      },
      async answer(t, _d, u) {
        return update(t, { fullName: u.text }, (p) => `Thanks, your name is now ${p.fullName}.`);
      },
    },
    dob: {
      async ask() {
        return [{ text: 'What is your correct date of birth? (for example 04/12/1988)' }];
      },
      async answer(t, _d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) return { retry: 'Please send your date of birth like 04/12/1988.', alone: true };
        return update(t, { dateOfBirth: dob }, () => 'Thanks, your date of birth is updated.');
      },
    },
    zone: {
      async ask() {
        return [{ text: "Which time zone are you in? For example 'New York', 'London' or 'America/Chicago'." }];
      },
      async answer(t, _d, u) {
        const zone = readTimeZone(u.text);
        if (!zone) return { retry: "I don't know that time zone. Try a city like 'Chicago' or a name like 'America/Chicago'.", alone: true };
        return update(t, { timeZone: zone }, (p) => `Done. I'll show times in ${p.timeZone} from now on.`);
      },
    },
  },
};
