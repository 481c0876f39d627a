/** The ways people reach the clinic. Every inbound message and every identity link names one. */
export type Channel = 'sms' | 'slack' | 'teams' | 'console';

/** Whether a phone number may be texted: a registered patient who has not opted out. */
export type SmsStatus = 'unregistered' | 'subscribed' | 'opted-out';
