import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import nock from 'nock';
import { createAdminCommands } from '../../dialogs/admin/commands';
import type { Actor } from '../../src/domain/actor';
import { insertAdmin } from '../../src/db/records';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';

/**
 * SMART Backend Services: an EHR that registered the address of its public keys proves itself with
 * a JWT it signs, never a shared secret. The token endpoint checks the signature against the
 * client's JWKS (nock plays the EHR's key server), the issuer, subject and audience, the expiry
 * (five minutes at most) and that the jti was never used before.
 */

const JWKS_HOST = 'https://keys.ehr.test';
const TOKEN_URL = 'https://bot.clinic.test/fhir/token';
const NOW = Date.parse('2026-11-30T13:00:00Z');
let h: Harness;
let app: HttpApp;
let admin: Actor;
let clientId: string;
let key: { privateKey: KeyLike; publicKey: KeyLike };

const assertion = (claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string } = {}, signWith = key.privateKey, kid = 'ehr-key-1') =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'RS384', kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(claims.sub ?? clientId)
    .setAudience(claims.aud ?? TOKEN_URL)
    .setExpirationTime(claims.exp ?? Math.floor(NOW / 1000) + 240)
    .setJti(claims.jti ?? randomUUID())
    .sign(signWith);

const tokenFor = async (jwt: string, extra: Record<string, string> = {}) => {
  const res = await request(
    app.port,
    'POST',
    '/fhir/token',
    new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt, ...extra }).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' },
  );
  return { status: res.status, json: JSON.parse(res.body) };
};

beforeAll(async () => {
  h = await createHarness('fhir_backend_services', { now: new Date(NOW).toISOString() });
  admin = await insertAdmin(h.db, { name: 'Ada', email: 'ada@fhir-jwt.test' });
  app = await startApp(h, { PUBLIC_BASE_URL: 'https://bot.clinic.test' });
  key = await generateKeyPair('RS384');
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock(JWKS_HOST).persist().get('/jwks.json').reply(200, async () => ({ keys: [{ ...(await exportJWK(key.publicKey)), kid: 'ehr-key-1', alg: 'RS384', use: 'sig' }] }));
  const reply = (await createAdminCommands(h.services)(admin, `fhir-clients add "Signed EHR" scopes="system/*.read" jwks=${JWKS_HOST}/jwks.json`)).map((r) => r.text).join('\n');
  expect(reply).toContain('no secret');
  clientId = /client_id (cc-[A-Za-z0-9_-]+)/.exec(reply)![1];
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await app.close();
  await h.close();
});

it('issues a token for a signed assertion, and the token reads the API', async () => {
  const res = await tokenFor(await assertion(), { scope: 'system/Practitioner.read' });
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'system/Practitioner.read' });
  const read = await request(app.port, 'GET', '/fhir/Practitioner', '', { authorization: `Bearer ${res.json.access_token}` });
  expect(read.status).toBe(200);
});

it('refuses a replayed assertion, a wrong audience, issuer or key, one that lives too long or has expired', async () => {
  const once = await assertion();
  expect((await tokenFor(once)).status).toBe(200);
  expect((await tokenFor(once)).status).toBe(401);
  expect((await tokenFor(await assertion({ aud: 'https://elsewhere.test/token' }))).status).toBe(401);
  expect((await tokenFor(await assertion({ sub: 'someone-else' }))).status).toBe(401);
  expect((await tokenFor(await assertion({ iss: 'cc-unknown', sub: 'cc-unknown' }))).status).toBe(401);
  const stranger = await generateKeyPair('RS384');
  expect((await tokenFor(await assertion({}, stranger.privateKey)))).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
  expect((await tokenFor(await assertion({ exp: Math.floor(NOW / 1000) + 3600 }))).status).toBe(401);
  expect((await tokenFor(await assertion({ exp: Math.floor(NOW / 1000) - 60 }))).status).toBe(401);
  expect((await tokenFor('not.a.jwt')).status).toBe(401);
  // A scope the client was not given.
  expect((await tokenFor(await assertion(), { scope: 'system/Appointment.write' })).status).toBe(401);
  // Every refusal is recorded, never the assertion itself.
  const denied = await h.db.models.Audit.findAll({ where: { action: 'fhir.token', outcome: 'denied' } });
  expect(denied.length).toBeGreaterThanOrEqual(8);
  expect(JSON.stringify(denied.map((d) => d.toJSON()))).not.toMatch(/eyJ/);
});

it('has no secret to try, wants an https key address, and stops at once when revoked', async () => {
  const secretTry = await request(app.port, 'POST', '/fhir/token', new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: '' }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(secretTry.status).toBe(401);
  const plain = (await createAdminCommands(h.services)(admin, 'fhir-clients add "Plain EHR" scopes="system/*.read" jwks=http://keys.ehr.test/jwks.json')).map((r) => r.text).join('\n');
  expect(plain).toMatch(/https/);
  expect(plain).not.toMatch(/client_id/);
  await createAdminCommands(h.services)(admin, `fhir-clients revoke ${clientId}`);
  expect((await tokenFor(await assertion())).status).toBe(401);
});
