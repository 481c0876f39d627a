import { ValidationError } from '../../src/domain/errors';
import { firstName, validateDateOfBirth, validateFullName } from '../../src/domain/patient';
import type { Flow } from '../flow';
import { yesNoChoices } from '../flow';
import { DEFAULT_LOCALE } from '../../src/i18n/catalog';
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
      help: 'registration.help',
      async ask(t, d) {
        const lead = d.pending ? t.say('registration.firstLead') : '';
        const hint = t.locale === DEFAULT_LOCALE ? '' : t.say('registration.switchHint');
        return [{ text: `${t.say('registration.welcome', { clinic: t.deps.clinicName, lead })}${hint}` }];
      },
      async answer(t, _d, u) {
        try {
          return { to: 'dob', data: { fullName: validateFullName(u.text) } };
        } catch (err) {
          if (err instanceof ValidationError) return { retry: `${t.locale === DEFAULT_LOCALE ? `${err.message} ` : ''}${t.say('registration.askName')}`, alone: true };
          throw err;
        }
      },
    },
    dob: {
      async ask(t, d) {
        return [{ text: t.say('registration.askDob', { name: firstName(String(d.fullName)) }) }];
      },
      async answer(t, _d, u) {
        const dob = readDateOfBirth(u.text, t.zone);
        if (!dob) return { retry: t.say('registration.dobUnreadable'), alone: true };
        try {
          return { to: 'consent', data: { dateOfBirth: validateDateOfBirth(dob, t.deps.now()) } };
        } catch {
          return { retry: t.say('registration.dobWrong'), alone: true };
        }
      },
    },
    consent: {
      async ask(t) {
        return [{ text: t.say('registration.consent'), choices: yesNoChoices(t) }];
      },
      async answer(t, d, u) {
        if (u.yesNo === 'no') return { done: [{ text: t.say('registration.declined') }] };
        if (u.yesNo !== 'yes') return { retry: t.say('registration.consentAgain'), alone: true };
        const patient = await t.deps.services.patients.register({
          phone: t.msg.senderId,
          fullName: String(d.fullName),
          dateOfBirth: String(d.dateOfBirth),
          timeZone: t.deps.clinicTimezone,
          channel: t.msg.channel === 'console' ? 'console' : 'sms',
          locale: t.locale,
        });
        // They just gave their date of birth: no need to ask for it again in this conversation.
        t.state.verified = true;
        t.actor = { userId: patient.userId, role: 'patient', patientId: patient.id, channel: t.msg.channel, timeZone: patient.timeZone, name: patient.fullName, locale: patient.locale };
        // What they first asked for is carried out now; otherwise, what they can do.
        if (d.pending) {
          t.resume = d.pending;
          return { done: [{ text: t.say('registration.done', { name: firstName(patient.fullName) }) }] };
        }
        return { done: [{ text: t.say('registration.done', { name: firstName(patient.fullName) }) }, ...patientMenu(t)] };
      },
    },
  },
};
