import type { Flow, FlowStart } from '../flow';
import { readDateOfBirth } from '../support/personal';

/**
 * The date-of-birth check before anything of the patient's record is shown. It sits in front of
 * another flow and hands over to it (`then`) once the date matches; three misses pause it, ten in a
 * week lock it until staff clear it, and the patient is told either way in words that reveal nothing.
 */
export type VerificationStep = 'dob';

export interface VerificationData {
  then: FlowStart;
}

const CLOSED = { paused: 'verify.paused', locked: 'verify.locked' } as const;

export const verificationFlow: Flow<'verification'> = {
  name: 'verification',
  role: 'patient',
  first: 'dob',
  steps: {
    dob: {
      help: 'verify.help',
      async ask(t) {
        const state = await t.deps.services.patients.verificationState(t.actor!);
        if (state !== 'open') return { done: [{ text: t.say(CLOSED[state]) }] };
        return [{ text: t.say('verify.ask') }];
      },
      async answer(t, d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) {
          if (u.intent && !['book', 'yes', 'no'].includes(u.intent) && u.score >= 0.9) return { unhandled: true };
          return { retry: t.say('verify.format'), alone: true };
        }
        const result = await t.deps.services.patients.checkDateOfBirth(t.actor!, dob);
        if (result === 'ok') {
          t.state.verified = true;
          // On to where they were going; BACK from there skips this check.
          return { start: d.then, replace: true };
        }
        if (result === 'wrong') return { retry: t.say('verify.wrong'), alone: true };
        return { done: [{ text: result === 'paused' ? t.say('verify.wrongPaused', { closed: t.say(CLOSED.paused) }) : t.say(CLOSED.locked) }] };
      },
    },
  },
};
