import type { Logger } from '../../src/logging';

/**
 * Sends texts through Twilio's Messages API, for replies that outlast the webhook and for
 * reminders. It never texts a number that has opted out, and a send refused because the number
 * opted out at the carrier (Twilio error 21610) records the opt-out instead of retrying.
 */
export type SendResult = 'sent' | 'opted-out' | 'not-registered';

export interface SmsSender {
  send(to: string, body: string): Promise<SendResult>;
}

/** The slice of the twilio client this needs, so tests and benchmarks can hand in their own. */
export interface MessagesApi {
  messages: { create(params: { to: string; body: string; from?: string; messagingServiceSid?: string }): Promise<{ sid: string }> };
}

export class SmsSendError extends Error {
  constructor(readonly code: number | undefined, message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'SmsSendError';
  }
}

/** Twilio errors that no retry will fix: bad numbers, landlines, blocked destinations. */
const PERMANENT = new Set([21211, 21212, 21214, 21217, 21219, 21408, 21610, 21612, 21614]);

export function createTwilioSmsSender(deps: {
  client: MessagesApi;
  from: string | null;
  messagingServiceSid: string | null;
  status: (phone: string) => Promise<'unregistered' | 'subscribed' | 'opted-out'>;
  markOptedOut: (phone: string) => Promise<unknown>;
  logger: Logger;
  /** Replies to someone texting us may go to an unregistered number (registration); reminders may not. */
  allowUnregistered?: boolean;
}): SmsSender {
  return {
    async send(to, body) {
      const status = await deps.status(to);
      if (status === 'opted-out') return 'opted-out';
      if (status === 'unregistered' && !deps.allowUnregistered) return 'not-registered';
      try {
        const message = await deps.client.messages.create({
          to,
          body,
          ...(deps.messagingServiceSid ? { messagingServiceSid: deps.messagingServiceSid } : { from: deps.from! }),
        });
        deps.logger.info({ messageSid: message.sid }, 'sms sent');
        return 'sent';
      } catch (err) {
        const e = err as { code?: number; status?: number; message?: string };
        if (e.code === 21610) {
          await deps.markOptedOut(to);
          deps.logger.info({ code: 21610 }, 'sms refused: number opted out; recorded');
          return 'opted-out';
        }
        const retryable = !PERMANENT.has(e.code ?? 0) && (e.status === undefined || e.status >= 500 || e.status === 429);
        throw new SmsSendError(e.code, `sms send failed${e.code ? ` (Twilio ${e.code})` : ''}`, retryable);
      }
    },
  };
}
