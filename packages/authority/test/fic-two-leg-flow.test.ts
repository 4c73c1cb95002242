// FIC two-leg flow: Leg 1 (vanilla request for api://AzureADTokenExchange) → Leg 2 (client assertion = Leg-1 token).
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  APPS,
  EXCHANGE_SCOPE,
  JWT_BEARER,
  JWT_POP,
  TENANT,
  createCertificates,
  decodeJwt,
  decodeProtectedHeader,
  expectOAuthError,
  postToken,
  startFixture,
  thumbprintFromPem,
  vanilla,
  verifyIssuedToken,
  type Fixture,
} from './support.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture(await createCertificates());
});
afterAll(() => fixture.close());

/** Leg 1 with client-a: an exchange token, bound (mtls_pop) unless `pop` is false. */
async function leg1(pop = true): Promise<string> {
  const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, EXCHANGE_SCOPE, pop ? { token_type: 'mtls_pop' } : {}));
  expect(result.status).toBe(200);
  return result.json['access_token'] as string;
}

function leg2(assertion: string, type = JWT_POP, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: APPS.leg2.clientId,
    scope: `${API}/.default`,
    client_assertion_type: type,
    client_assertion: assertion,
    ...extra,
  };
}

describe('FIC two-leg flow, Leg 2 with jwt-pop over mTLS (docs/protocol.md §5)', () => {
  it('exchanges a bound Leg-1 token for a bound mtls_pop token over the same certificate', async () => {
    const assertion = await leg1();
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(assertion, JWT_POP, { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('mtls_pop');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims).toMatchObject({ azp: APPS.leg2.clientId, oid: APPS.leg2.objectId, sub: APPS.leg2.objectId, roles: ['Data.Write'] });
    expect(claims['cnf']).toEqual({ 'x5t#S256': thumbprintFromPem(fixture.certs.a.cert) });
  });

  it('issues a Bearer token (no cnf) for jwt-pop without token_type=mtls_pop', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(await leg1()));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('Bearer');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toBeUndefined();
  });

  it('docs/security.md rule 12: refuses Leg 2 over a different certificate than the one Leg 1 was bound to', async () => {
    const assertion = await leg1();
    // client-b is a perfectly valid, registered certificate — just not the one the assertion is bound to.
    const result = await postToken(fixture, fixture.agent(fixture.certs.b), leg2(assertion, JWT_POP, { token_type: 'mtls_pop' }));
    expectOAuthError(result, 'invalid_client', 401, 9900001);
    const unregistered = await postToken(fixture, fixture.agent(fixture.certs.stranger), leg2(assertion, JWT_POP, { token_type: 'mtls_pop' }));
    expectOAuthError(unregistered, 'invalid_client', 401, 9900001);
  });

  it('docs/security.md rule 12: refuses jwt-pop without a client certificate', async () => {
    const result = await postToken(fixture, fixture.agent(), leg2(await leg1(), JWT_POP, { token_type: 'mtls_pop' }));
    expectOAuthError(result, 'invalid_client', 401, 7000218);
  });

  it('docs/security.md rule 12: refuses a Leg-1-shaped token with the wrong audience (an access token for the API)', async () => {
    const wrongAudience = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(wrongAudience.json['access_token'] as string, JWT_POP, { token_type: 'mtls_pop' }));
    expectOAuthError(result, 'invalid_client', 401, 700212);
  });

  it('docs/security.md rule 12: refuses an unbound Leg-1 token as a jwt-pop assertion', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(await leg1(false), JWT_POP, { token_type: 'mtls_pop' }));
    expectOAuthError(result, 'invalid_client', 401, 9900002);
  });

  it('docs/security.md rule 12: refuses an assertion signed by a key that is not the authority\'s, even with its kid and claims', async () => {
    const genuine = await leg1();
    const claims = decodeJwt(genuine);
    const header = decodeProtectedHeader(genuine);
    const forger = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header.kid as string }).sign(forger.privateKey);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(forged)), 'invalid_client', 401, 700027);
    // An embedded jwk header (CVE-2018-0114 style) does not make the forger's key trusted.
    const withJwk = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header.kid as string, jwk: await exportJWK(forger.publicKey) })
      .sign(forger.privateKey);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(withJwk)), 'invalid_client', 401, 700027);
  });

  it('docs/security.md rule 12: refuses a tampered Leg-1 token (claims changed after signing)', async () => {
    const [h, , s] = (await leg1()).split('.') as [string, string, string];
    const claims = { ...decodeJwt(await leg1()), sub: APPS.pem.objectId };
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(tampered)), 'invalid_client', 401, 700027);
  });

  it('refuses an assertion whose alg header differs from its key (alg none, HS256)', async () => {
    const [h, p] = (await leg1()).split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${p}.`;
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(none)), 'invalid_client', 401, 50027);
    const hs = `${Buffer.from(JSON.stringify({ ...header, alg: 'HS256' })).toString('base64url')}.${p}.AAAA`;
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(hs)), 'invalid_client', 401, 700027);
  });

  it('refuses when no federated credential of the requesting app matches the assertion subject', async () => {
    // A Leg-1 token of the PEM app (client-b): its sub is not the subject the Leg-2 app trusts.
    const other = await postToken(fixture, fixture.agent(fixture.certs.b), vanilla(APPS.pem.clientId, EXCHANGE_SCOPE, { token_type: 'mtls_pop' }));
    const result = await postToken(fixture, fixture.agent(fixture.certs.b), leg2(other.json['access_token'] as string));
    expectOAuthError(result, 'invalid_client', 401, 700213);
  });

  it('refuses when the requesting app has no federated credential for the issuer', async () => {
    // The vanilla app itself has no federated credential: its own Leg-1 token cannot authenticate it.
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), { ...leg2(await leg1()), client_id: APPS.vanilla.clientId });
    expectOAuthError(result, 'invalid_client', 401, 700211);
  });

  it('refuses to issue another exchange token from an assertion (Leg 2 cannot target api://AzureADTokenExchange)', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(await leg1(), JWT_POP, { scope: EXCHANGE_SCOPE }));
    expectOAuthError(result, 'invalid_scope', 400, 9900022);
  });

  it('refuses empty, garbage and JWE-shaped assertions', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2('')), 'invalid_request', 400, 900144);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2('not-a-jwt')), 'invalid_client', 401, 50027);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2('a.b.c.d.e')), 'invalid_client', 401, 50027);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2('x'.repeat(20_000))), 'invalid_client', 401, 50027);
  });

  it('refuses a client_assertion without client_assertion_type, and unknown assertion types', async () => {
    const assertion = await leg1();
    const withoutType = leg2(assertion);
    delete withoutType['client_assertion_type'];
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), withoutType), 'invalid_request', 400, 900144);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), leg2(assertion, 'urn:example:saml')), 'invalid_request', 400, 9900017);
  });
});

describe('FIC two-leg flow, Leg 2 with jwt-bearer (no certificate: the matrix case)', () => {
  it('exchanges an unbound Leg-1 token without mTLS for a Bearer token', async () => {
    const result = await postToken(fixture, fixture.agent(), leg2(await leg1(false), JWT_BEARER));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('Bearer');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toBeUndefined();
    expect(claims['azp']).toBe(APPS.leg2.clientId);
  });

  it('docs/security.md rule 12: refuses a bound Leg-1 token presented as jwt-bearer without its certificate', async () => {
    const bound = await leg1();
    expectOAuthError(await postToken(fixture, fixture.agent(), leg2(bound, JWT_BEARER)), 'invalid_client', 401, 9900003);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.b), leg2(bound, JWT_BEARER)), 'invalid_client', 401, 9900003);
  });

  it('refuses token_type=mtls_pop with a jwt-bearer assertion (a bound token needs jwt-pop)', async () => {
    const result = await postToken(fixture, fixture.agent(), leg2(await leg1(false), JWT_BEARER, { token_type: 'mtls_pop' }));
    expectOAuthError(result, 'invalid_request', 400, 9900008);
  });
});

describe('FIC two-leg flow with a frozen clock', () => {
  it('docs/security.md rule 12: refuses an expired Leg-1 token', async () => {
    const assertion = await leg1();
    const exp = decodeJwt(assertion).exp as number;
    fixture.clock.advance(exp * 1000 - fixture.clock.now); // exactly at exp: expired
    try {
      const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(assertion, JWT_POP, { token_type: 'mtls_pop' }));
      expectOAuthError(result, 'invalid_client', 401, 700024);
    } finally {
      fixture.clock.now = Date.now();
    }
  });

  it('refuses a Leg-1 token whose iat lies in the future of the authority clock', async () => {
    const assertion = await leg1();
    fixture.clock.advance(-120_000);
    try {
      const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(assertion));
      expectOAuthError(result, 'invalid_client', 401, 700024);
    } finally {
      fixture.clock.now = Date.now();
    }
  });

  it('accepts the Leg-1 token again right before it expires', async () => {
    const assertion = await leg1();
    fixture.clock.advance(3599_000);
    try {
      const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2(assertion, JWT_POP, { token_type: 'mtls_pop' }));
      expect(result.status).toBe(200);
      expect(decodeJwt(result.json['access_token'] as string)['tid']).toBe(TENANT);
    } finally {
      fixture.clock.now = Date.now();
    }
  });
});
