import { ValidationError } from '../../src/domain/errors';
import type { Flow, Next, Turn } from '../flow';
import { numbered } from '../flow';
import { readDateOfBirth, readTimeZone } from '../support/personal';
import { DEFAULT_LOCALE } from '../../src/i18n/catalog';

/** A patient's own details: name, date of birth, time zone (after the date-of-birth check). */
export type ProfileStep = 'menu' | 'name' | 'dob' | 'zone';
export type ProfileData = Record<string, never>;

type Out = Next<'profile'>;

async function update(t: Turn, changes: { fullName?: string; dateOfBirth?: string; timeZone?: string }, said: (p: { fullName: string; timeZone: string }) => string): Promise<Out> {
  try {
    const p = await t.deps.services.patients.updateProfile(t.actor!, t.actor!.patientId!, changes);
    return { done: [{ text: said(p) }] };
  } catch (err) {
    if (err instanceof ValidationError) return { retry: t.locale === DEFAULT_LOCALE ? err.message : t.say('errors.notPossible') };
    throw err;
  }
}

export const profileFlow: Flow<'profile'> = {
  name: 'profile',
  role: 'patient',
  first: 'menu',
  steps: {
    menu: {
      help: 'profile.menuHelp',
      async ask(t) {
        if (!t.state.verified) return { start: { flow: 'verification', data: { then: { flow: 'profile', data: {} } } } };
        const me = await t.deps.services.patients.get(t.actor!, t.actor!.patientId!);
        return [{ text: t.say('profile.details', { name: me.fullName, zone: me.timeZone }), choices: numbered(['profile.name', 'profile.dob', 'profile.zone'], (x) => t.say(x)) }];
      },
      async answer(t, _d, u) {
        const n = u.text.trim().toLowerCase();
        if (u.choice === 1 || /\b(name|nombre)\b/.test(n)) return { to: 'name' };
        if (u.choice === 2 || /birth|dob|birthday|nacimiento/.test(n)) return { to: 'dob' };
        if (u.choice === 3 || /zone|zona/.test(n)) return { to: 'zone' };
        if (u.choice !== null) return { retry: t.say('profile.oneTwoThree') };
        return { unhandled: true };
      },
    },
    name: {
      async ask(t) {
        return [{ text: t.say('registration.askName') }];
      },
      async answer(t, _d, u) {
        return update(t, { fullName: u.text }, (p) => t.say('profile.nameDone', { name: p.fullName }));
      },
    },
    dob: {
      async ask(t) {
        return [{ text: t.say('profile.askDob') }];
      },
      async answer(t, _d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) return { retry: t.say('verify.format'), alone: true };
        return update(t, { dateOfBirth: dob }, () => t.say('profile.dobDone'));
      },
    },
    zone: {
      async ask(t) {
        return [{ text: t.say('profile.askZone') }];
      },
      async answer(t, _d, u) {
        const zone = readTimeZone(u.text);
        if (!zone) return { retry: t.say('profile.unknownZone'), alone: true };
        return update(t, { timeZone: zone }, (p) => t.say('profile.zoneDone', { zone: p.timeZone }));
      },
    },
  },
};
