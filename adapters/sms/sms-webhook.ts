import { catalog, DEFAULT_LOCALE } from '../../src/i18n/catalog';
import restify, { type Request, type Response, type Server } from 'restify';
import twilio from 'twilio';
import type { Logger } from '../../src/logging';
import type { PatientsService } from '../../src/services/patients';
import type { InboundPipeline } from '../shared/inbound';
import { sourceOf } from '../shared/source';
import { carrierHelp, helpWordLocale, keywordOf, localOptInLocale, localOptOutLocale, optOutConfirmation, optOutConfirmationIn, twilioAnswered } from './keywords';
import { smsBodies } from './render';
import type { SmsSender } from './sms-sender';

export interface SmsWebhookDeps {
  /** The shared road: dedupe, rate limit, the sender resolved once, the dialog, the deadline. */
  pipeline: InboundPipeline;
  patients: Pick<PatientsService, 'setSmsOptOut' | 'upcomingCount' | 'localeOf'>;
  /** Sends replies that outlast the webhook. */
  sender: SmsSender;
  authToken: string;
  /** The public base URL Twilio calls; the signature covers it exactly. */
  publicBaseUrl: string;
  clinicName: string;
  /** The clinic's number as patients dial it (in the opt-out and HELP texts). */
  clinicPhone?: string | null;
  /** Who answers STOP, START and HELP: Twilio (the default; we only record) or this service. */
  keywordReplies?: 'twilio' | 'service';
  logger: Logger;
  /** How long the webhook waits for the dialog before answering empty and texting the reply later (0: never waits). */
  replyBudgetMs?: number;
  /** Records that the patient was told of these bookings (the reply carrying "Booked" went out). */
  markTold: (appointmentIds: string[]) => Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;

function twiml(bodies: string[]): string {
  const response = new twilio.twiml.MessagingResponse();
  for (const body of bodies) response.message(body);
  return response.toString();
}

function sendXml(res: Response, status: number, xml: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8' });
  res.end(xml);
}

/**
 * POST /sms, Twilio's incoming-message webhook. The signature is checked first (403 otherwise); a
 * MessageSid seen before is answered empty; carrier keywords are honoured before the dialog runs;
 * the reply goes back as TwiML, or through the Messages API when the dialog takes too long.
 */
export function mountSmsWebhook(server: Server, deps: SmsWebhookDeps): void {
  const budget = deps.replyBudgetMs ?? 10_000;
  // If this fails the patient merely gets the confirmation a second time, by text, from the outbox.
  const told = async (ids: string[] | undefined) => {
    if (ids?.length) await deps.markTold(ids).catch((err) => deps.logger.warn({ err }, 'could not record that the patient was told'));
  };

  server.post('/sms', restify.plugins.urlEncodedBodyParser(
    // A Twilio message is at most 1,600 characters; restify's body reader honours maxBodySize (413).
    { mapParams: false, maxBodySize: 64 * 1024 } as restify.plugins.UrlEncodedBodyParserOptions,
  ), async (req: Request, res: Response) => {
    const started = Date.now();
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
    const signature = req.header('x-twilio-signature');
    const url = `${deps.publicBaseUrl}${req.url ?? '/sms'}`;
    if (!signature || !twilio.validateRequest(deps.authToken, signature, url, params)) {
      deps.logger.warn({ channel: 'sms', ...sourceOf(req), reason: signature ? 'bad signature' : 'no signature' }, 'sms webhook refused');
      res.send(403, { code: 'Forbidden', message: 'The request signature is missing or does not match.' });
      return;
    }
    const from = String(params.From ?? '');
    const sid = String(params.MessageSid ?? params.SmsSid ?? '');
    if (!E164.test(from) || !/^[A-Za-z0-9]{10,64}$/.test(sid)) {
      res.send(400, { code: 'BadRequest', message: 'From (E.164) and MessageSid are required.' });
      return;
    }
    const text = String(params.Body ?? '');
    const log = deps.logger.child({ channel: 'sms', messageSid: sid });

    try {
      const keyword = keywordOf(text);
      // Twilio answers the keywords itself unless the clinic turned that off: then, and only then,
      // the reply is ours (one text, never a second confirmation).
      const ours = deps.keywordReplies === 'service' && !twilioAnswered(params.OptOutType);
      const subscribed = (locale?: string) => catalog().t(locale ?? DEFAULT_LOCALE, 'sms.subscribed', { clinic: deps.clinicName });
      const outcome = await deps.pipeline.receive(
        { channel: 'sms', senderId: from, deliveryId: sid, text, conversation: 'direct' },
        {
          // STOP and START work past any limit: carriers require it.
          async beforeLimit() {
            const optOutIn = keyword ? null : localOptOutLocale(text);
            if (optOutIn) {
              await deps.patients.setSmsOptOut(from, true, 'keyword');
              log.info({ answeredBy: 'service', language: optOutIn }, 'opt-out recorded');
              return { stop: [{ text: optOutConfirmationIn(optOutIn, deps.clinicName, deps.clinicPhone ?? null) }] };
            }
            if (keyword === 'opt-out') {
              // Our own confirmation (Twilio's answer turned off) is in the patient's language.
              const locale = ours ? await deps.patients.localeOf(from) : DEFAULT_LOCALE;
              const upcoming = ours && locale === DEFAULT_LOCALE ? await deps.patients.upcomingCount(from) : 0;
              await deps.patients.setSmsOptOut(from, true, 'keyword');
              log.info({ answeredBy: ours ? 'service' : 'twilio' }, 'opt-out recorded');
              if (!ours) return { stop: [] };
              const text = locale === DEFAULT_LOCALE ? optOutConfirmation(deps.clinicName, deps.clinicPhone ?? null, upcoming) : optOutConfirmationIn(locale, deps.clinicName, deps.clinicPhone ?? null);
              return { stop: [{ text }] };
            }
            if (keyword === 'opt-in') {
              await deps.patients.setSmsOptOut(from, false, 'keyword');
              log.info('opt-in recorded');
              return { stop: ours ? [{ text: subscribed(await deps.patients.localeOf(from)) }] : [] };
            }
            return null;
          },
          // Everything else, HELP too, counts against the sender's limit: a flood is never answered with a flood.
          async afterSender(sender) {
            if (sender.sms === 'opted-out' && (/^\s*yes\s*$/i.test(text) || localOptInLocale(text))) {
              await deps.patients.setSmsOptOut(from, false, 'keyword');
              log.info('opt-in recorded');
              return { stop: [{ text: subscribed(sender.actor?.locale) }] };
            }
            if (sender.sms === 'opted-out') {
              log.info('message from an opted-out number; no reply sent');
              return { stop: [] };
            }
            if (keyword === 'help') return { stop: ours ? [{ text: carrierHelp(deps.clinicName, deps.clinicPhone ?? null, sender.actor?.locale) }] : [] };
            const helpIn = helpWordLocale(text);
            if (helpIn) return { stop: [{ text: carrierHelp(deps.clinicName, deps.clinicPhone ?? null, helpIn) }] };
            return null;
          },
        },
        budget,
      );
      switch (outcome.kind) {
        case 'duplicate':
          log.info('duplicate delivery ignored');
          return sendXml(res, 200, twiml([]));
        case 'limited':
          log.warn({ verdict: outcome.replies.length ? 'limited-first' : 'limited' }, 'rate limited');
          return sendXml(res, 200, twiml(outcome.replies.map((r) => r.text)));
        case 'gated':
          return sendXml(res, 200, twiml(outcome.replies.map((r) => r.text)));
        case 'answered':
          log.info({ ms: Date.now() - started, replies: outcome.result.replies.length }, 'sms answered');
          sendXml(res, 200, twiml(smsBodies(outcome.result.replies, { locale: outcome.result.locale })));
          await told(outcome.result.told);
          return;
        case 'late': {
          // Twilio gives the webhook 15 seconds in all: answer now, text the reply when it is ready.
          sendXml(res, 200, twiml([]));
          const slow = await outcome.result;
          for (const body of smsBodies(slow.replies, { locale: slow.locale })) await deps.sender.send(from, body);
          await told(slow.told);
          log.info({ ms: Date.now() - started }, 'sms answered through the Messages API');
          return;
        }
      }
    } catch (err) {
      log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'sms webhook failed');
      if (!res.headersSent) sendXml(res, 200, twiml(['Sorry, we are having trouble right now. Please try again shortly.']));
    }
  });
}
