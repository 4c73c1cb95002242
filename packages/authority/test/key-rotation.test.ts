// Signing key rotation: the previous key stays served (and trusted for Leg 2) until its tokens expire, then goes.
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  APPS,
  EXCHANGE_SCOPE,
  JWT_POP,
  TENANT,
  createCertificates,
  decodeProtectedHeader,
  expectOAuthError,
  getJson,
  postToken,
  registry,
  startFixture,
  vanilla,
  verifyIssuedToken,
  type Certificates,
  type Fixture,
} from './support.js';

let certs: Certificates;
let fixture: Fixture | undefined;

beforeAll(async () => {
  certs = await createCertificates();
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function issue(f: Fixture, scope = `${API}/.default`): Promise<string> {
  const result = await postToken(f, f.agent(certs.a), vanilla(APPS.vanilla.clientId, scope, { token_type: 'mtls_pop' }));
  expect(result.status).toBe(200);
  return result.json['access_token'] as string;
}

async function servedKids(f: Fixture): Promise<string[]> {
  const jwks = await getJson(f.agent(), f.authority.jwksUri(TENANT));
  return (jwks.json['keys'] as { kid: string }[]).map((key) => key.kid);
}

describe('rotateSigningKey()', () => {
  it('keeps old tokens verifiable through the served JWKS, then drops the old key once they have expired', async () => {
    fixture = await startFixture(certs);
    const f = fixture;
    const oldToken = await issue(f);
    const oldKid = decodeProtectedHeader(oldToken).kid as string;

    const { kid: newKid } = await f.authority.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    expect(await servedKids(f)).toEqual([newKid, oldKid]);
    await verifyIssuedToken(f, oldToken, API); // old token, served JWKS
    const newToken = await issue(f);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await verifyIssuedToken(f, newToken, API);

    f.clock.advance(3_599_000);
    expect(await servedKids(f)).toEqual([newKid, oldKid]); // one second before the old token's exp
    f.clock.advance(1_000);
    expect(await servedKids(f)).toEqual([newKid]);
    expect(f.authority.jwks().keys).toHaveLength(1);
    await expect(verifyIssuedToken(f, oldToken, API)).rejects.toThrow();
  });

  it('drops a previous key that signed nothing at once', async () => {
    fixture = await startFixture(certs);
    const [first] = await servedKids(fixture);
    const { kid } = await fixture.authority.rotateSigningKey();
    expect(await servedKids(fixture)).toEqual([kid]);
    expect(first).not.toBe(kid);
  });

  it('trusts Leg-1 tokens signed with the previous key for Leg 2 until they expire', async () => {
    fixture = await startFixture(certs);
    const f = fixture;
    const assertion = await issue(f, EXCHANGE_SCOPE);
    await f.authority.rotateSigningKey();
    const leg2 = {
      grant_type: 'client_credentials',
      client_id: APPS.leg2.clientId,
      scope: `${API}/.default`,
      client_assertion_type: JWT_POP,
      client_assertion: assertion,
      token_type: 'mtls_pop',
    };
    const accepted = await postToken(f, f.agent(certs.a), leg2);
    expect(accepted.status).toBe(200);
    f.clock.advance(3_600_000);
    expectOAuthError(await postToken(f, f.agent(certs.a), leg2), 'invalid_client', 401);
  });

  it('rotates through the admin endpoint only with the admin token', async () => {
    const adminToken = 'a'.repeat(16) + 'b'.repeat(16) + 'c'.repeat(8);
    fixture = await startFixture(certs, { adminToken });
    const f = fixture;
    const url = `${f.authority.url}/admin/rotate-signing-key`;
    const wrong = await request(url, { method: 'POST', dispatcher: f.agent(), headers: { authorization: `Bearer ${'x'.repeat(40)}` } });
    expect(wrong.statusCode).toBe(401);
    // @see RFC 6750 §3 — a 401 for a Bearer-protected endpoint challenges with the scheme.
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="certbound-authority admin", error="invalid_token"');
    await wrong.body.text();
    const missing = await request(url, { method: 'POST', dispatcher: f.agent() });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="certbound-authority admin"');
    await missing.body.text();
    const [before] = await servedKids(f);
    const ok = await request(url, { method: 'POST', dispatcher: f.agent(), headers: { authorization: `Bearer ${adminToken}` } });
    expect(ok.statusCode).toBe(200);
    const body = (await ok.body.json()) as { kid: string };
    expect(body.kid).not.toBe(before);
    expect((await servedKids(f))[0]).toBe(body.kid);
  });
});

describe('signing configuration', () => {
  for (const [alg, kty] of [
    ['PS256', 'RSA'],
    ['ES256', 'EC'],
    ['EdDSA', 'OKP'],
  ] as const) {
    it(`signs with ${alg} and typ at+jwt when configured`, async () => {
      fixture = await startFixture(certs, { config: registry(certs, { signing: { alg, typ: 'at+jwt' } }) });
      const token = await issue(fixture);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' });
      expect(fixture.authority.jwks().keys[0]).toMatchObject({ kty, alg });
      await verifyIssuedToken(fixture, token, API);
      // Leg 2 verifies assertions with the configured alg and typ as well.
      const leg1 = await issue(fixture, EXCHANGE_SCOPE);
      const leg2 = await postToken(fixture, fixture.agent(certs.a), {
        grant_type: 'client_credentials',
        client_id: APPS.leg2.clientId,
        scope: `${API}/.default`,
        client_assertion_type: JWT_POP,
        client_assertion: leg1,
      });
      expect(leg2.status).toBe(200);
    });
  }

  it('honours tokenLifetimeSeconds and refreshInSeconds', async () => {
    fixture = await startFixture(certs, { config: registry(certs, { tokenLifetimeSeconds: 7200, refreshInSeconds: false }) });
    const result = await postToken(fixture, fixture.agent(certs.a), vanilla(APPS.vanilla.clientId));
    expect(result.json['expires_in']).toBe(7200);
    expect(result.json).not.toHaveProperty('refresh_in');
  });
});
