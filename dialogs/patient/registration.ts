import { ValidationError } from '../../src/domain/errors';
import { firstName, validateDateOfBirth, validateFullName } from '../../src/domain/patient';
import type { Flow } from '../flow';
import { YES_NO_CHOICES } from '../flow';
import { readDateOfBirth } from '../support/personal';
import { patientMenu } from './menu';

/**
 * A first message from an unknown number: name, date of birth, consent to texts. Nothing is stored
 * until the patient says yes, and then all of it at once. A first message that was already a
 * request ('dermatologist tomorrow afternoon') is kept, and carried out once they are registered.
 */
export type RegistrationStep = 'name' | 'dob' | 'consent';

export interface RegistrationData {
  fullName?: string;
  dateOfBirth?: string;
  /** The first message, when it asked for something. */
  pending?: string | null;
}

export const registrationFlow: Flow<'registration'> = {
  name: 'registration',
  role: 'stranger',
  first: 'name',
  steps: {
    name: {
      help: 'To book by text I need your name, date of birth and your OK to text you. Reply with your full name to begin.',
      async ask(t, d) {
        const lead = d.pending ? ' First, a few details so I can book for you.' : '';
        return [{ text: `Welcome to ${t.deps.clinicName}! I book and manage appointments by text.${lead} What is your full name?` }];
      },
      async answer(_t, _d, u) {
        try {
          return { to: 'dob', data: { fullName: validateFullName(u.text) } };
        } catch (err) {
          if (err instanceof ValidationError) return { retry: `${err.message} What is your full name?`, alone: true };
          throw err;
        }
      },
    },
    dob: {
      async ask(_t, d) {
        return [{ text: `Thanks, ${firstName(String(d.fullName))}. What is your date of birth? (for example 04/12/1988)` }];
      },
      async answer(t, _d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) return { retry: "I couldn't read that date. What is your date of birth? For example 04/12/1988.", alone: true };
        try {
          return { to: 'consent', data: { dateOfBirth: validateDateOfBirth(dob, t.deps.now()) } };
        } catch {
          return { retry: 'That date of birth does not look right. What is your date of birth? For example 04/12/1988.', alone: true };
        }
      },
    },
    consent: {
      async ask() {
        return [{ text: 'Can we text you about your appointments (confirmations and reminders)? Msg & data rates may apply. Reply YES to agree or NO.', choices: YES_NO_CHOICES }];
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: "No problem, we won't text you. To book, please call the clinic." }] };
        if (u.yesNo !== 'yes') return { retry: 'Please reply YES to agree to texts, or NO.', alone: true };
        const patient = await t.deps.services.patients.register({
          phone: t.msg.senderId,
          fullName: String(d.fullName),
          dateOfBirth: String(d.dateOfBirth),
          timeZone: t.deps.clinicTimezone,
          channel: t.msg.channel === 'console' ? 'console' : 'sms',
        });
        // They just gave their date of birth: no need to ask for it again in this conversation.
        t.state.verified = true;
        t.actor = { userId: patient.userId, role: 'patient', patientId: patient.id, channel: t.msg.channel, timeZone: patient.timeZone, name: patient.fullName };
        // What they first asked for is carried out now; otherwise, what they can do.
        if (d.pending) {
          t.resume = d.pending;
          return { done: [{ text: `You're all set, ${firstName(patient.fullName)}!` }] };
        }
        return { done: [{ text: `You're all set, ${firstName(patient.fullName)}!` }, ...patientMenu()] };
      },
    },
  },
};
