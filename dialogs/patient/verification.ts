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

const CLOSED = {
  paused: 'For your security, date of birth checks are paused for 15 minutes. Please try again later, or call the clinic.',
  locked: 'For your security, access to your appointments by text is locked after too many wrong dates of birth. Please call the clinic to unlock it.',
} as const;

export const verificationFlow: Flow<'verification'> = {
  name: 'verification',
  role: 'patient',
  first: 'dob',
  steps: {
    dob: {
      help: 'To protect your details I check your date of birth once per conversation. Send it like 04/12/1988.',
      async ask(t) {
        const state = await t.deps.services.patients.verificationState(t.actor!);
        if (state !== 'open') return { done: [{ text: CLOSED[state] }] };
        return [{ text: 'To keep your details private, please reply with your date of birth (for example 04/12/1988).' }];
      },
      async answer(t, d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) {
          if (u.intent && !['book', 'yes', 'no'].includes(u.intent) && u.score >= 0.9) return { unhandled: true };
          return { retry: 'Please send your date of birth like 04/12/1988.', alone: true };
        }
        const result = await t.deps.services.patients.checkDateOfBirth(t.actor!, dob);
        if (result === 'ok') {
          t.state.verified = true;
          // On to where they were going; BACK from there skips this check.
          return { start: d.then, replace: true };
        }
        if (result === 'wrong') return { retry: "That doesn't match our records. Please try again.", alone: true };
        return { done: [{ text: result === 'paused' ? `That doesn't match our records. ${CLOSED.paused}` : CLOSED.locked }] };
      },
    },
  },
};
