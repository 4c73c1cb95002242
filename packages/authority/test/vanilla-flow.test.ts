// Vanilla flow: client credentials over mTLS, the TLS client certificate is the credential. No legs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  APPS,
  TENANT,
  createCertificates,
  decodeJwt,
  decodeProtectedHeader,
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

describe('vanilla flow (docs/protocol.md §4)', () => {
  it('issues an mtls_pop token bound to the certificate of this connection when token_type=mtls_pop', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('mtls_pop');
    expect(result.json['expires_in']).toBe(3600);
    expect(result.json['ext_expires_in']).toBe(3600);
    expect(result.json['refresh_in']).toBe(1800);
    expect(result.headers['cache-control']).toBe('no-store');
    const token = result.json['access_token'] as string;

    // Independent checks: jose against the JWKS fetched over HTTPS, and a thumbprint computed from the DER here.
    const claims = await verifyIssuedToken(fixture, token, API);
    expect(claims['cnf']).toEqual({ 'x5t#S256': thumbprintFromPem(fixture.certs.a.cert) });
    expect(thumbprintFromPem(fixture.certs.a.cert)).toBe(fixture.certs.a.thumbprint);
  });

  it("issues tokens in Entra's v2 app-only shape", async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    const token = result.json['access_token'] as string;
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof header.kid).toBe('string');
    expect(fixture.authority.jwks().keys.map((key) => (key as { kid: string }).kid)).toContain(header.kid);
    const claims = decodeJwt(token);
    const now = Math.floor(fixture.clock.now / 1000);
    expect(claims).toMatchObject({
      aud: API,
      iss: `${fixture.authority.url}/${TENANT}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      azp: APPS.vanilla.clientId,
      azpacr: '2',
      appid: APPS.vanilla.clientId,
      oid: APPS.vanilla.objectId,
      sub: APPS.vanilla.objectId,
      tid: TENANT,
      roles: ['Data.Read'],
      ver: '2.0',
    });
    expect(typeof claims['uti']).toBe('string');
    expect(claims['jti']).toBe(claims['uti']);
  });

  it('issues a Bearer token without cnf when token_type is absent (still authenticated by the certificate)', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('Bearer');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toBeUndefined();
    expect(claims['roles']).toEqual(['Data.Read']);
  });

  it('treats token_type=bearer like an absent token_type, and token_type case-insensitively', async () => {
    const bearer = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'bearer' }));
    expect(bearer.json['token_type']).toBe('Bearer');
    expect(decodeJwt(bearer.json['access_token'] as string)['cnf']).toBeUndefined();
    const pop = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'MTLS_POP' }));
    expect(pop.json['token_type']).toBe('mtls_pop');
    expect(decodeJwt(pop.json['access_token'] as string)['cnf']).toEqual({ 'x5t#S256': fixture.certs.a.thumbprint });
  });

  it('omits roles when the app has no grant for the resource', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, 'api://other-api/.default', { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, 'api://other-api');
    expect(claims['roles']).toBeUndefined();
  });

  it('matches a certificate registered as PEM (self_signed_tls_client_auth)', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.b), vanilla(APPS.pem.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toEqual({ 'x5t#S256': thumbprintFromPem(fixture.certs.b.cert) });
    expect(claims['roles']).toEqual(['Data.Read', 'Data.Write']);
  });

  it('authenticates tls_client_auth by subject DN with a chain to the trusted CA (RFC 8705 §2.1)', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.c), vanilla(APPS.pki.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toEqual({ 'x5t#S256': thumbprintFromPem(fixture.certs.c.cert) });
    expect(claims['azp']).toBe(APPS.pki.clientId);
  });

  it('binds every mTLS token of a boundTokens "always" app and answers token_type Bearer (generic RFC 8705 client)', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.always.clientId));
    expect(result.status).toBe(200);
    expect(result.json['token_type']).toBe('Bearer');
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, API);
    expect(claims['cnf']).toEqual({ 'x5t#S256': thumbprintFromPem(fixture.certs.a.cert) });
  });

  it('issues Leg 1 of the FIC two-leg flow as a vanilla request for the built-in exchange resource', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, 'api://AzureADTokenExchange/.default', { token_type: 'mtls_pop' }));
    expect(result.status).toBe(200);
    const claims = await verifyIssuedToken(fixture, result.json['access_token'] as string, 'api://AzureADTokenExchange');
    expect(claims['aud']).toBe('api://AzureADTokenExchange');
    expect(claims['roles']).toBeUndefined();
    expect(claims['cnf']).toEqual({ 'x5t#S256': fixture.certs.a.thumbprint });
  });

  it('accepts a claims parameter (JSON object) and a tenant id written in upper case', async () => {
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}' }), {
      url: fixture.authority.tokenEndpoint(TENANT).replace(TENANT, TENANT.toUpperCase()),
    });
    expect(result.status).toBe(200);
    expect(decodeJwt(result.json['access_token'] as string)['iss']).toBe(fixture.authority.issuer(TENANT));
  });
});
