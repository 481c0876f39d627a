import restify, { type Request, type Response, type Server } from 'restify';
import { JWT_BEARER } from '../../src/services/fhir-clients';
import { sourceOf } from '../shared/source';
import type { FhirContext } from './http';

/**
 * POST /fhir/token: OAuth 2 client credentials. The client proves itself with its secret (in the
 * form body or as HTTP Basic) or, in the SMART Backend Services manner, with a JWT it signed
 * (client_assertion). Answers are OAuth's JSON, never FHIR's, and never say which part was wrong.
 */
export function mountTokenRoute(server: Server, fhir: FhirContext): void {
  server.post(
    '/fhir/token',
    restify.plugins.urlEncodedBodyParser({ mapParams: false, maxBodySize: 16 * 1024 } as restify.plugins.UrlEncodedBodyParserOptions),
    async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, string>;
      const basic = /^Basic (.+)$/.exec(req.header('authorization') ?? '');
      const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':') : [];
      if (body.grant_type !== 'client_credentials') {
        res.send(400, { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported.' });
        return;
      }
      if (body.client_assertion !== undefined && body.client_assertion_type !== JWT_BEARER) {
        res.send(400, { error: 'invalid_request', error_description: `client_assertion_type must be ${JWT_BEARER}.` });
        return;
      }
      try {
        const issued =
          typeof body.client_assertion === 'string'
            ? await fhir.services.fhirClients.issueTokenForAssertion(body.client_assertion, `${fhir.base}/token`, body.scope ?? null)
            : await fhir.services.fhirClients.issueToken(body.client_id ?? basicId ?? '', body.client_secret ?? basicSecret ?? '', body.scope ?? null);
        if (!issued) {
          fhir.logger.warn({ channel: 'fhir', ...sourceOf(req) }, 'fhir token refused');
          res.send(401, { error: 'invalid_client', error_description: 'Unknown client, wrong credentials, or a scope it was not given.' });
          return;
        }
        res.header('Cache-Control', 'no-store');
        res.send(200, { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') });
      } catch (err) {
        res.send(503, { error: 'temporarily_unavailable', error_description: (err as Error).name === 'ServiceUnavailableError' ? 'Try again shortly.' : 'Something went wrong.' });
      }
    },
  );
}
