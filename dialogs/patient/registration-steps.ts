import { ValidationError } from '../../src/domain/errors';
import { firstName, validateDateOfBirth, validateFullName } from '../../src/domain/patient';
import { no, yes, type Steps } from '../step';
import { readDateOfBirth } from '../support/personal';
import { patientMenuReplies } from './patient-steps';

/**
 * A first message from an unknown number: name, date of birth, consent to texts. Nothing is
 * stored until the patient says yes, and then all of it at once.
 */
export const registrationSteps: Steps = {
  'register.name': {
    help: 'To book by text I need your name, date of birth and your OK to text you. Reply with your full name to begin.',
    async ask(t) {
      return [{ text: `Welcome to ${t.deps.clinicName}! I can book and manage your appointments by text. To get started, what is your full name?` }];
    },
    async answer(_t, input) {
      try {
        return { next: 'register.dob', data: { fullName: validateFullName(input) } };
      } catch (err) {
        if (err instanceof ValidationError) return { retry: err.message };
        throw err;
      }
    },
  },

  'register.dob': {
    async ask(t) {
      return [{ text: `Thanks, ${firstName(String(t.state.data.fullName))}. What is your date of birth? (for example 04/12/1988)` }];
    },
    async answer(t, input) {
      const dob = readDateOfBirth(input, t.zone);
      if (!dob) return { retry: "I couldn't read that date. Please send it like 04/12/1988." };
      try {
        return { next: 'register.consent', data: { dateOfBirth: validateDateOfBirth(dob, t.deps.now()) } };
      } catch {
        return { retry: 'That date of birth does not look right. Please send it like 04/12/1988.' };
      }
    },
  },

  'register.consent': {
    async ask() {
      return [
        {
          text: 'Can we text you about your appointments (confirmations and reminders)? Msg & data rates may apply. Reply YES to agree or NO.',
          choices: [
            { label: 'Yes', value: 'YES' },
            { label: 'No', value: 'NO' },
          ],
        },
      ];
    },
    async answer(t, input) {
      if (no(input)) return { done: [{ text: "No problem, we won't text you. To book, please call the clinic." }] };
      if (!yes(input)) return { retry: 'Please reply YES to agree to texts, or NO.' };
      const patient = await t.deps.services.patients.register({
        phone: t.msg.senderId,
        fullName: String(t.state.data.fullName),
        dateOfBirth: String(t.state.data.dateOfBirth),
        timeZone: t.deps.clinicTimezone,
        channel: t.msg.channel === 'console' ? 'console' : 'sms',
      });
      // They just gave their date of birth: no need to ask for it again in this conversation.
      t.state.verified = true;
      return { done: [{ text: `You're all set, ${firstName(patient.fullName)}!` }, ...patientMenuReplies()] };
    },
  },
};
