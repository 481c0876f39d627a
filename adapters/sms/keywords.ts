/** Carrier keywords. Twilio itself answers opt-outs on long codes but still forwards the message. */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
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

/** What carriers require a HELP reply to say: who we are, how to get help, how to stop. */
export function carrierHelp(clinicName: string): string {
  return `${clinicName}: appointment booking by text. Reply MENU for options. For urgent help call the clinic; in an emergency call 911. Msg & data rates may apply. Reply STOP to opt out.`;
}
