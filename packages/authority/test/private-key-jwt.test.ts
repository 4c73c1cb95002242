// jwt-bearer client assertions signed with a registered certificate's key (private_key_jwt): Bearer tokens, no mTLS.
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, APPS, JWT_BEARER, createCertificates, expectOAuthError, postToken, startFixture, verifyIssuedToken, type Fixture } from './support.js';

let fixture: Fixture;
let keyB: KeyObject;

beforeAll(async () => {
  fixture = await startFixture(await createCertificates());
  keyB = createPrivateKey(fixture.certs.b.key);
});
afterAll(() => fixture.close());

interface AssertionOptions {
  /** Claims to add or override; `undefined` removes one. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: KeyObject;
  alg?: string;
}

async function clientAssertion(options: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(fixture.clock.now / 1000);
  const claims = {
    iss: APPS.pem.clientId,
    sub: APPS.pem.clientId,
    aud: fixture.authority.tokenEndpoint('11111111-2222-4333-8444-555555555555'),
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomUUID(),
    ...options.claims,
  } as JWTPayload;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: 'JWT', 'x5t#S256': fixture.certs.b.thumbprint, ...options.header })
    .sign(options.key ?? keyB);
}

function request(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: APPS.pem.clientId,
    scope: `${API}/.default`,
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
    ...extra,
  };
}

describe('private_key_jwt (RFC 7523 §2.2, jwt-bearer)', () => {
  it('issues a Bearer token for an assertion signed by the registered certificate, without mTLS', async () => {
    const result = await postToken(fixture, fixture.agent(), request(await clientAssertion()));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('Bearer');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims).toMatchObject({ azp: APPS.pem.clientId, azpacr: '2', roles: ['Data.Read', 'Data.Write'] });
    expect(claims['cnf']).toBeUndefined();
  });

  it('finds the certificate by the SHA-1 x5t header too', async () => {
    const x5t = createHash('sha1').update(new X509Certificate(fixture.certs.b.cert).raw).digest('base64url');
    const assertion = await clientAssertion({ header: { 'x5t#S256': undefined, x5t } });
    const result = await postToken(fixture, fixture.agent(), request(assertion));
    expect(result.status).toBe(200);
  });

  it('refuses a replayed assertion (same jti)', async () => {
    const assertion = await clientAssertion();
    expect((await postToken(fixture, fixture.agent(), request(assertion))).status).toBe(200);
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 9900006);
  });

  it('refuses an assertion without jti', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(), request(await clientAssertion({ claims: { jti: undefined } }))), 'invalid_client', 401, 9900007);
  });

  it('refuses an assertion whose aud is not this tenant\'s token endpoint', async () => {
    const assertion = await clientAssertion({ claims: { aud: fixture.authority.issuer('11111111-2222-4333-8444-555555555555') } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 700212);
  });

  it('refuses an assertion whose sub is not the client id', async () => {
    const assertion = await clientAssertion({ claims: { sub: APPS.vanilla.clientId } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 700021);
  });

  it('refuses an assertion valid for more than 10 minutes', async () => {
    const assertion = await clientAssertion({ claims: { exp: Math.floor(fixture.clock.now / 1000) + 3600 } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 9900005);
  });

  it('refuses an expired assertion', async () => {
    const now = Math.floor(fixture.clock.now / 1000);
    const assertion = await clientAssertion({ claims: { iat: now - 900, nbf: now - 900, exp: now - 300 } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 700024);
  });

  it('refuses an assertion signed by another key under the registered thumbprint', async () => {
    const assertion = await clientAssertion({ key: createPrivateKey(fixture.certs.a.key) });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 700027);
  });

  it('refuses an assertion naming a certificate that is not registered for the app', async () => {
    const assertion = await clientAssertion({ header: { 'x5t#S256': fixture.certs.a.thumbprint } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(assertion)), 'invalid_client', 401, 700027);
    const noThumbprint = await clientAssertion({ header: { 'x5t#S256': undefined } });
    expectOAuthError(await postToken(fixture, fixture.agent(), request(noThumbprint)), 'invalid_client', 401, 700027);
  });

  it('refuses an app registered only by thumbprint (no public key to verify with)', async () => {
    const keyA = createPrivateKey(fixture.certs.a.key);
    const assertion = await clientAssertion({ key: keyA, header: { 'x5t#S256': fixture.certs.a.thumbprint }, claims: { iss: APPS.vanilla.clientId, sub: APPS.vanilla.clientId } });
    const result = await postToken(fixture, fixture.agent(), { ...request(assertion), client_id: APPS.vanilla.clientId });
    expectOAuthError(result, 'invalid_client', 401, 700027);
  });

  it('refuses token_type=mtls_pop with private_key_jwt (nothing binds the token)', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.b), request(await clientAssertion(), { token_type: 'mtls_pop' })), 'invalid_request', 400, 9900008);
  });

  it('refuses an assertion with a crit header before any signature work (docs/security.md rule 2)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', crit: ['urn:example'], 'urn:example': 1, 'x5t#S256': fixture.certs.b.thumbprint })).toString('base64url');
    const [, payload, signature] = (await clientAssertion()).split('.') as [string, string, string];
    expectOAuthError(await postToken(fixture, fixture.agent(), request(`${header}.${payload}.${signature}`)), 'invalid_client', 401, 50027);
  });

  it('refuses private_key_jwt for a boundTokens "always" app: it would get an unbound token', async () => {
    const keyA = createPrivateKey(fixture.certs.a.key);
    const assertion = await clientAssertion({ key: keyA, header: { 'x5t#S256': fixture.certs.a.thumbprint }, claims: { iss: APPS.always.clientId, sub: APPS.always.clientId } });
    const result = await postToken(fixture, fixture.agent(), { ...request(assertion), client_id: APPS.always.clientId });
    expectOAuthError(result, 'invalid_client', 401, 9900009);
  });
});
