// Discovery documents and the JWKS (RFC 8414, RFC 8705 §3.3 and §5, OpenID discovery as Entra serves it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT, createCertificates, getJson, startFixture, type Fixture } from './support.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture(await createCertificates());
});
afterAll(() => fixture.close());

describe('discovery', () => {
  it('serves the OpenID configuration with the mTLS members', async () => {
    const result = await getJson(fixture.agent(), `${fixture.authority.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({
      issuer: `${fixture.authority.url}/${TENANT}/v2.0`,
      token_endpoint: `${fixture.authority.url}/${TENANT}/oauth2/v2.0/token`,
      jwks_uri: `${fixture.authority.url}/${TENANT}/discovery/v2.0/keys`,
      mtls_endpoint_aliases: { token_endpoint: `${fixture.authority.url}/${TENANT}/oauth2/v2.0/token` },
      tls_client_certificate_bound_access_tokens: true,
      grant_types_supported: ['client_credentials'],
    });
    expect(result.json['token_endpoint_auth_methods_supported']).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth', 'private_key_jwt']));
    expect(result.json['issuer']).toBe(fixture.authority.issuer(TENANT));
    expect(result.json['token_endpoint']).toBe(fixture.authority.tokenEndpoint(TENANT));
    expect(result.json['jwks_uri']).toBe(fixture.authority.jwksUri(TENANT));
  });

  it('serves the same metadata as RFC 8414 authorization server metadata, at both paths', async () => {
    const openid = await getJson(fixture.agent(), `${fixture.authority.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    const tenantPath = await getJson(fixture.agent(), `${fixture.authority.url}/${TENANT}/.well-known/oauth-authorization-server`);
    // RFC 8414 §3.1: the well-known segment is inserted between host and the issuer's path.
    const rfc8414 = await getJson(fixture.agent(), `${fixture.authority.url}/.well-known/oauth-authorization-server/${TENANT}/v2.0`);
    expect(tenantPath.json).toEqual(openid.json);
    expect(rfc8414.json).toEqual(openid.json);
  });

  it('serves the JWKS with public members only, one key with kid, use and alg', async () => {
    const result = await getJson(fixture.agent(), fixture.authority.jwksUri(TENANT));
    expect(result.status).toBe(200);
    const keys = result.json['keys'] as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(typeof keys[0]?.['kid']).toBe('string');
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(privateMember);
    expect(result.json).toEqual(fixture.authority.jwks());
  });
});
