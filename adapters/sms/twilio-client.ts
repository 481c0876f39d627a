import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { MessagesApi } from './sms-sender';

/**
 * The Twilio REST client, sending to api.twilio.com; or, given `apiUrl`, to a stand-in on this
 * machine (load tests and the reliability suite: a separate process cannot be intercepted by nock).
 */
export function createTwilioClient(opts: { accountSid: string; authToken: string; apiUrl?: string | null }): MessagesApi {
  if (!opts.apiUrl) return twilio(opts.accountSid, opts.authToken, { autoRetry: true, maxRetries: 3 });
  const base = opts.apiUrl.replace(/\/$/, '');
  class StandIn extends RequestClient {
    override request<T>(req: RequestClient.RequestOptions<T>) {
      return super.request({ ...req, uri: req.uri.replace(/^https:\/\/api\.twilio\.com/, base) });
    }
  }
  return twilio(opts.accountSid, opts.authToken, { httpClient: new StandIn({ keepAlive: false }) });
}
