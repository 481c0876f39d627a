import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import { carrierWordLocale } from '../../src/i18n/language';
/**
 * Carrier keywords, matched as carriers match them: the whole message, any case. The opt-out words
 * are Twilio's defaults (the CTIA list plus REVOKE and OPTOUT); no prompt of ours ever asks a patient
 * to send one of them for anything but stopping texts.
 */
export const OPT_OUT_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
const OPT_OUT = new Set<string>(OPT_OUT_WORDS);
const OPT_IN = new Set(['START', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);

export type Keyword = 'opt-out' | 'opt-in' | 'help' | null;

/** Only the keyword alone counts ('stop' does, 'stop by tomorrow' does not), as carriers match it. */
export function keywordOf(text: string): Keyword {
  const word = text.trim().replace(/[.!]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return 'opt-out';
  if (OPT_IN.has(word)) return 'opt-in';
  if (HELP.has(word)) return 'help';
  return null;
}

/** Twilio's OptOutType parameter (sent when a Messaging Service's Advanced Opt-Out answered the keyword). */
export function twilioAnswered(optOutType: unknown): boolean {
  return typeof optOutType === 'string' && ['STOP', 'START', 'HELP'].includes(optOutType.toUpperCase());
}

const callClinic = (clinicPhone: string | null) => (clinicPhone ? `call the clinic at ${clinicPhone}` : 'call the clinic');

/** What carriers require a HELP reply to say: who we are, how to get help, how to stop; in the patient's language. */
export function carrierHelp(clinicName: string, clinicPhone: string | null = null, locale = DEFAULT_LOCALE): string {
  const texts = catalog();
  const call = clinicPhone ? texts.t(locale, 'sms.callClinicAt', { phone: clinicPhone }) : texts.t(locale, 'sms.callClinic');
  return texts.t(locale, 'sms.help', { clinic: clinicName, call });
}

/**
 * Carrier words of the other languages, alone in the message (src/i18n/locales/<code>.words.json):
 * HELP as AYUDA; opt-out as ALTO, BAJA, PARAR or CANCELAR (what Spanish-language carrier programmes
 * and the older industry lists use); opt-in as SÍ. Twilio's default lists are English only, so these
 * are recorded and answered by the service (and can be added to a Messaging Service's Advanced
 * Opt-Out, so Twilio blocks them too). The language they are in, or null.
 */
export const helpWordLocale = (text: string) => carrierWordLocale(catalog(), 'help', text);
export const localOptOutLocale = (text: string) => carrierWordLocale(catalog(), 'optOut', text);
export const localOptInLocale = (text: string) => carrierWordLocale(catalog(), 'optIn', text);

/** The opt-out confirmation in another language (the English one, with its count, is below). */
export function optOutConfirmationIn(locale: string, clinicName: string, clinicPhone: string | null): string {
  const texts = catalog();
  const call = clinicPhone ? texts.t(locale, 'sms.callClinicAt', { phone: clinicPhone }) : texts.t(locale, 'sms.callClinic');
  return texts.t(locale, 'sms.optedOut', { clinic: clinicName, call });
}

/**
 * The one text allowed after an opt-out: that texts stop, what that means for appointments already
 * booked (they stay, with no reminders), how to call one off without texting, and how to come back.
 * The same words, without the count, are the ones to paste into Twilio's Advanced Opt-Out.
 */
export function optOutConfirmation(clinicName: string, clinicPhone: string | null, upcoming: number | null): string {
  const booked =
    upcoming === null
      ? ' Booked appointments stay booked, without reminders;'
      : upcoming === 0
        ? ''
        : ` Your ${upcoming === 1 ? 'appointment ahead stays' : `${upcoming} appointments ahead stay`} booked, without reminders;`;
  const how = booked ? ` to call ${upcoming === 1 ? 'it' : 'one'} off, ${clinicPhone ? `call ${clinicPhone}` : 'call the clinic'}.` : '';
  return `${clinicName}: you'll get no more texts.${booked}${how} Reply START to resume.`;
}
