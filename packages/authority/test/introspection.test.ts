// Opaque certificate-bound tokens and the RFC 7662 introspection / RFC 7009 revocation endpoints of the local
// authority: an app registered with tokenFormat "opaque" receives random tokens whose claims, cnf included, only
// registered resource servers can read.
import { request, type Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAuthorityConfig } from '../src/validate-config.js';
import { API, APPS, OTHER_TENANT, TENANT, createCertificates, getJson, postToken, registry, registryWith, startFixture, vanilla, type Certificates, type Fixture } from './support.js';

const OPAQUE_APP = { clientId: 'abababab-0000-4000-8000-0000000000ab', objectId: 'abababab-1111-4111-8111-0000000000ab' };
const RESOURCE_SERVER = { clientId: 'orders-api', clientSecret: 'a resource server secret of 32+ characters' };

let certs: Certificates;
let fixture: Fixture;

beforeAll(async () => {
  certs = await createCertificates();
  fixture = await startFixture(certs, {
    config: registryWith(
      certs,
      [{ ...OPAQUE_APP, tenant: TENANT, tokenFormat: 'opaque', certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: certs.a.cert }], grants: { [API]: ['Data.Read'] } }],
      { introspectionClients: [RESOURCE_SERVER] },
    ),
  });
});
afterAll(() => fixture.close());

function basic(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

async function call(endpoint: 'introspect' | 'revoke', token: string, authorization = basic(RESOURCE_SERVER.clientId, RESOURCE_SERVER.clientSecret), tenant = TENANT) {
  const agent: Agent = fixture.agent();
  const response = await request(`${fixture.authority.url}/${tenant}/oauth2/v2.0/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    dispatcher: agent,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function opaqueToken(): Promise<string> {
  const result = await postToken(fixture, fixture.agent(certs.a), vanilla(OPAQUE_APP.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
  expect(result.status).toBe(200);
  return result.json['access_token'] as string;
}

describe('authority: opaque certificate-bound tokens (RFC 8705 §3.2)', () => {
  it('issues a random token, not a JWT, for an app registered with tokenFormat "opaque"', async () => {
    const token = await opaqueToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('introspection returns active, the Entra-shaped claims and cnf["x5t#S256"] of the certificate', async () => {
    const token = await opaqueToken();
    const { status, body } = await call('introspect', token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      active: true,
      aud: API,
      iss: `${fixture.authority.url}/${TENANT}/v2.0`,
      azp: OPAQUE_APP.clientId,
      client_id: OPAQUE_APP.clientId,
      roles: ['Data.Read'],
      token_type: 'Bearer',
      cnf: { 'x5t#S256': certs.a.thumbprint },
    });
    expect(typeof body['exp']).toBe('number');
  });

  it('after revocation (RFC 7009) the token is inactive; unknown and other-tenant tokens are inactive', async () => {
    const token = await opaqueToken();
    expect((await call('revoke', token)).status).toBe(200);
    expect((await call('introspect', token)).body).toEqual({ active: false });
    expect((await call('introspect', 'never-issued')).body).toEqual({ active: false });
    expect((await call('revoke', 'never-issued')).status).toBe(200);
    expect((await call('introspect', await opaqueToken(), undefined, OTHER_TENANT)).body).toEqual({ active: false });
  });

  it('an expired token is inactive', async () => {
    const token = await opaqueToken();
    fixture.clock.advance(3601_000);
    try {
      expect((await call('introspect', token)).body).toEqual({ active: false });
    } finally {
      fixture.clock.advance(-3601_000);
    }
  });

  it('refuses callers without the registered credentials, and apps with JWT tokens are unaffected', async () => {
    const token = await opaqueToken();
    expect(await call('introspect', token, basic(RESOURCE_SERVER.clientId, 'wrong'))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await call('introspect', token, '')).toMatchObject({ status: 401 });
    const jwt = await postToken(fixture, fixture.agent(certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'mtls_pop' }));
    expect((jwt.json['access_token'] as string).split('.')).toHaveLength(3);
  });

  it('advertises the endpoints in its metadata (RFC 8414 §2)', async () => {
    const { json } = await getJson(fixture.agent(), `${fixture.authority.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(json).toMatchObject({
      introspection_endpoint: `${fixture.authority.url}/${TENANT}/oauth2/v2.0/introspect`,
      revocation_endpoint: `${fixture.authority.url}/${TENANT}/oauth2/v2.0/revoke`,
    });
  });

  it('refuses a config with opaque tokens but nobody to introspect them, or a short introspection secret', () => {
    const base = registry(certs);
    const opaque = { ...OPAQUE_APP, tenant: TENANT, tokenFormat: 'opaque' as const };
    expect(() => validateAuthorityConfig({ ...base, apps: [opaque] })).toThrow(/apps\[0\]\.tokenFormat/);
    expect(() => validateAuthorityConfig({ ...base, apps: [opaque], introspectionClients: [{ clientId: 'x', clientSecret: 'short' }] })).toThrow(/clientSecret/);
  });
});
