import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfidentialClient, type ConfidentialClientOptions } from '../src/index.js';
import { entraLike, type RecordedRequest, type Reply } from './support/recording-server.js';
import { pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
beforeAll(async () => {
  fx = await startWireFixture();
  signingKey = (await generateKeyPair('ES256')).privateKey;
});
afterAll(() => fx.close());

const SCOPE = 'api://orders/.default';

/** Serve metadata from the plain server (discovery needs no client certificate), tokens from the mTLS one. */
function serveMetadata(metadata: (issuer: string) => Record<string, unknown> | undefined, paths = ['/.well-known/openid-configuration']) {
  fx.plain.respond((request: RecordedRequest): Reply => {
    if (request.method === 'GET' && paths.includes(request.url)) {
      const body = metadata(fx.plain.origin + (request.url.startsWith('/.well-known/oauth-authorization-server/') ? request.url.slice('/.well-known/oauth-authorization-server'.length) : ''));
      return body === undefined ? { status: 404, body: {} } : { body };
    }
    return { status: 404, body: { error: 'not_found' } };
  });
}

function standard(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/token-without-mtls`,
    mtls_endpoint_aliases: { token_endpoint: `${fx.mtls.origin}/token` },
    tls_client_certificate_bound_access_tokens: true,
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
  };
}

function client(extra: Partial<ConfidentialClientOptions> = {}) {
  return fx.client({ authorityType: 'rfc8705', authority: fx.plain.origin, credential: pem(fx.pki.clients['client-a']!), ...extra });
}

function answerTokens(body: (request: RecordedRequest) => Record<string, unknown>) {
  fx.mtls.respond((request) => ({ body: body(request) }));
}

describe('docs/protocol.md §6 generic RFC 8705 authorization servers', () => {
  afterAll(() => {
    fx.mtls.respond(entraLike);
    fx.plain.respond(entraLike);
  });

  it('discovers the mTLS token endpoint alias and sends tls_client_auth (client_id over mTLS, no token_type)', async () => {
    serveMetadata(standard);
    answerTokens((request) => ({ access_token: `opaque-${request.thumbprint}`, token_type: 'Bearer', expires_in: 300 }));
    const plainBefore = fx.plain.requests.length;
    const mtlsBefore = fx.mtls.requests.length;
    const rfcClient = client();
    const result = await rfcClient.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true });
    expect(fx.plain.requests.slice(plainBefore).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /.well-known/openid-configuration']);
    const token = fx.mtls.requests.slice(mtlsBefore);
    expect(token).toHaveLength(1);
    expect(token[0]?.url).toBe('/token');
    expect(token[0]?.formEntries).toEqual([
      ['client_id', 'd3adb33f-c0de-ed0c-c0de-deadb33fc0d3'],
      ['grant_type', 'client_credentials'],
      ['scope', SCOPE],
    ]);
    expect(token[0]?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    expect(result.tokenType).toBe('Bearer');
    expect(result.tokenEndpoint).toBe(`${fx.mtls.origin}/token`);
    expect(result.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    expect(result.createAuthorizationHeader()).toBe(`Bearer ${result.accessToken}`);
    // Metadata is fetched once per client.
    await rfcClient.acquireTokenForClient({ scopes: ['api://other/.default'], mtlsProofOfPossession: true });
    expect(fx.plain.requests.length - plainBefore).toBe(1);
  });

  it('falls back to /.well-known/oauth-authorization-server (RFC 8414 path insertion) when there is no OpenID configuration', async () => {
    serveMetadata((issuer) => standard(issuer), ['/.well-known/oauth-authorization-server/tenant-x']);
    answerTokens(() => ({ access_token: 'opaque', token_type: 'N_A', expires_in: 300 }));
    const before = fx.plain.requests.length;
    const result = await client({ authority: `${fx.plain.origin}/tenant-x` }).acquireTokenForClient({ scopes: [SCOPE] });
    expect(fx.plain.requests.slice(before).map((r) => r.url)).toEqual(['/tenant-x/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenant-x']);
    expect(result.tokenType).toBe('N_A');
    expect(result.createAuthorizationHeader()).toBe('Bearer opaque');
  });

  it('uses token_endpoint when no mTLS alias is advertised', async () => {
    serveMetadata((issuer) => ({ issuer, token_endpoint: `${fx.mtls.origin}/plain-token`, tls_client_certificate_bound_access_tokens: true }));
    answerTokens(() => ({ access_token: 'opaque', token_type: 'bearer', expires_in: 300 }));
    expect((await client().acquireTokenForClient({ scopes: [SCOPE] })).tokenEndpoint).toBe(`${fx.mtls.origin}/plain-token`);
  });

  it('RFC 8414 §3.3: metadata naming another issuer is refused', async () => {
    serveMetadata(() => standard('https://evil.example'));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE] })).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
  });

  it('a token endpoint that is not https is refused', async () => {
    serveMetadata((issuer) => ({ ...standard(issuer), mtls_endpoint_aliases: { token_endpoint: 'http://127.0.0.1:1/token' } }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE] })).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
  });

  it('PoP against a server that does not advertise bound tokens → mtls_pop_not_supported_for_environment', async () => {
    serveMetadata((issuer) => ({ ...standard(issuer), tls_client_certificate_bound_access_tokens: false }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_MTLS_NOT_SUPPORTED' });
  });

  it('the configured auth method must be listed when the server lists methods', async () => {
    serveMetadata((issuer) => ({ ...standard(issuer), token_endpoint_auth_methods_supported: ['self_signed_tls_client_auth'] }));
    answerTokens(() => ({ access_token: 'opaque', token_type: 'Bearer', expires_in: 300 }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE] })).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
    await expect(client({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth' }).acquireTokenForClient({ scopes: [SCOPE] })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('RFC 8705 §3.1: a JWT bound to another certificate is refused; one bound to ours is accepted', async () => {
    serveMetadata(standard);
    const tokenFor = (thumbprint: string) => new SignJWT({ cnf: { 'x5t#S256': thumbprint } }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(signingKey);
    const foreign = await tokenFor(fx.pki.clients['client-b']!.thumbprint);
    answerTokens(() => ({ access_token: foreign, token_type: 'Bearer', expires_in: 300 }));
    const error = await client().acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_TOKEN_BINDING_MISMATCH' });
    expect(String((error as Error).message)).not.toContain(foreign);

    const unbound = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(signingKey);
    answerTokens(() => ({ access_token: unbound, token_type: 'Bearer', expires_in: 300 }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_TOKEN_BINDING_MISMATCH' });

    const ours = await tokenFor(fx.pki.clients['client-a']!.thumbprint);
    answerTokens(() => ({ access_token: ours, token_type: 'Bearer', expires_in: 300 }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true })).resolves.toMatchObject({ accessToken: ours });
  });

  it('token_type other than Bearer or N_A is a mismatch', async () => {
    serveMetadata(standard);
    answerTokens(() => ({ access_token: 'opaque', token_type: 'mtls_pop', expires_in: 300 }));
    await expect(client().acquireTokenForClient({ scopes: [SCOPE] })).rejects.toMatchObject({ code: 'ERR_CLIENT_TOKEN_TYPE_MISMATCH' });
  });

  it('a failed discovery is retried by the next acquisition', async () => {
    fx.plain.respond(() => ({ status: 404, body: {} }));
    const rfcClient = client();
    await expect(rfcClient.acquireTokenForClient({ scopes: [SCOPE] })).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
    serveMetadata(standard);
    answerTokens(() => ({ access_token: 'opaque', token_type: 'Bearer', expires_in: 300 }));
    await expect(rfcClient.acquireTokenForClient({ scopes: [SCOPE] })).resolves.toMatchObject({ source: 'network' });
  });

  it('an issuer URL must be https', () => {
    expect(() => createConfidentialClient({ clientId: 'x', authorityType: 'rfc8705', authority: 'http://127.0.0.1', credential: pem(fx.pki.clients['client-a']!) })).toThrow(TypeError);
  });
});

describe("authorityType 'generic': token_type=mtls_pop as MSAL sends it to generic and dSTS authorities", () => {
  afterAll(() => {
    fx.mtls.respond(entraLike);
    fx.plain.respond(entraLike);
  });

  it('a PoP request adds token_type=mtls_pop and accepts an mtls_pop answer; a bearer request does not send it', async () => {
    serveMetadata(standard);
    answerTokens((request) => ({ access_token: `generic-${request.form['token_type'] ?? 'none'}`, token_type: request.form['token_type'] ?? 'Bearer', expires_in: 300 }));
    const before = fx.mtls.requests.length;
    const generic = client({ authorityType: 'generic' });
    const pop = await generic.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true });
    expect(fx.mtls.requests.at(-1)?.formEntries).toEqual([
      ['client_id', 'd3adb33f-c0de-ed0c-c0de-deadb33fc0d3'],
      ['grant_type', 'client_credentials'],
      ['scope', SCOPE],
      ['token_type', 'mtls_pop'],
    ]);
    expect(pop.tokenType).toBe('mtls_pop');
    expect(pop.createAuthorizationHeader()).toBe('mtls_pop generic-mtls_pop');
    expect(pop.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    const bearer = await generic.acquireTokenForClient({ scopes: [SCOPE] });
    expect(fx.mtls.requests.at(-1)?.form['token_type']).toBeUndefined();
    expect(bearer.tokenType).toBe('Bearer');
    expect(fx.mtls.requests.length - before).toBe(2);
  });

  it('an unexpected token_type from a generic authority is still a mismatch', async () => {
    serveMetadata(standard);
    answerTokens(() => ({ access_token: 'x', token_type: 'DPoP', expires_in: 300 }));
    await expect(client({ authorityType: 'generic' }).acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_TOKEN_TYPE_MISMATCH' });
  });
});
