import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import nock from 'nock';

/**
 * The Bot Framework's side of authentication, played by the test: an RSA signing key published as
 * the channel's OpenID metadata and JWKS (where botbuilder fetches them), and tokens signed with it
 * exactly as the Bot Framework signs them for a bot.
 */
export interface BotFrameworkKeys {
  /** Serves the metadata and keys (again, after nock.cleanAll): the same keys every time. */
  publish(): void;
  sign(claims: Record<string, unknown>, opts?: { key?: KeyObject; kid?: string }): string;
  /** A key the Bot Framework never published: tokens signed with it are forgeries. */
  strangerKey: KeyObject;
}

const b64url = (x: Buffer | string) => Buffer.from(x).toString('base64url');

export function publishBotFrameworkKeys(channelId = 'msteams'): BotFrameworkKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const publish = () => nock('https://login.botframework.com')
    .persist()
    .get('/v1/.well-known/openidconfiguration')
    .reply(200, {
      issuer: 'https://api.botframework.com',
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: 'https://login.botframework.com/v1/.well-known/keys',
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    })
    .get('/v1/.well-known/keys')
    .reply(200, { keys: [{ kty: 'RSA', use: 'sig', kid: 'test-key-1', n: jwk.n, e: jwk.e, endorsements: [channelId] }] });
  publish();

  return {
    publish: () => void publish(),
    strangerKey: stranger,
    sign(claims, opts = {}) {
      const header = { alg: 'RS256', typ: 'JWT', kid: opts.kid ?? 'test-key-1', x5t: opts.kid ?? 'test-key-1' };
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: 'https://api.botframework.com', nbf: now - 60, iat: now - 60, exp: now + 3600, ...claims };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const signature = createSign('RSA-SHA256').update(input).sign(opts.key ?? privateKey);
      return `${input}.${b64url(signature)}`;
    },
  };
}

/** A Teams message activity, as the channel posts it to the bot. */
export function teamsMessage(opts: { from: string; aad?: string; text?: string; value?: unknown; serviceUrl: string; conversation?: string; id?: string }) {
  return {
    type: 'message',
    id: opts.id ?? `act-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: opts.serviceUrl,
    from: { id: opts.from, name: 'Someone', aadObjectId: opts.aad ?? opts.from },
    conversation: { id: opts.conversation ?? `a:conv-${opts.from}`, conversationType: 'personal', tenantId: 'tenant-1' },
    recipient: { id: '28:bot-id', name: 'Clinic Concierge' },
    text: opts.text,
    value: opts.value,
    channelData: { tenant: { id: 'tenant-1' } },
  };
}
