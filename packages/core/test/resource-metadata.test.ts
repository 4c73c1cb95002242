// RFC 9728: the protected resource metadata document, its §3.1 URL and paths, and `resource_metadata` in the
// challenges of every refusal (the verifier's and the guards').
import { describe, expect, it } from 'vitest';
import { scopeGuard } from '../src/authorization/guards.js';
import { recordAcceptance } from '../src/verify/registry.js';
import { metadataResponse, resourceMetadata, resourceMetadataUrl } from '../src/metadata/metadata.js';
import { bearer, claimsAt, createTestKey, signToken, verifierWith } from './helpers/tokens.js';

const AS = 'https://login.example.test/tenant/v2.0';

describe('RFC 9728: the metadata document', () => {
  it('states header-only bearer tokens and certificate binding, with the optional fields given', () => {
    const metadata = resourceMetadata({ resource: 'https://api.example.test', authorizationServers: [AS], scopesSupported: ['orders.read'], resourceName: 'Orders' });
    expect(metadata.document).toEqual({
      resource: 'https://api.example.test',
      authorization_servers: [AS],
      bearer_methods_supported: ['header'],
      tls_client_certificate_bound_access_tokens: true,
      scopes_supported: ['orders.read'],
      resource_name: 'Orders',
    });
    expect(JSON.parse(metadata.json)).toEqual(metadata.document);
    expect(metadata.paths).toEqual(['/.well-known/oauth-protected-resource']);
    expect(metadata.url).toBe('https://api.example.test/.well-known/oauth-protected-resource');
  });

  it('§3.1: a resource with a path publishes at the suffixed URL, and both paths are served', () => {
    expect(resourceMetadataUrl('https://api.example.test/orders/v1')).toBe('https://api.example.test/.well-known/oauth-protected-resource/orders/v1');
    const metadata = resourceMetadata({ resource: 'https://api.example.test:8443/orders', authorizationServers: [AS] });
    expect(metadata.paths).toEqual(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/orders']);
    expect(metadataResponse(metadata, 'GET', '/.well-known/oauth-protected-resource/orders?x=1')).toMatchObject({ status: 200, body: metadata.json });
    expect(metadataResponse(metadata, 'POST', '/.well-known/oauth-protected-resource')).toMatchObject({ status: 405 });
    expect(metadataResponse(metadata, 'GET', '/.well-known/oauth-protected-resource/other')).toBeNull();
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['an http resource', { resource: 'http://api.example.test', authorizationServers: [AS] }, /resourceMetadata\.resource must be an absolute https URL/],
    ['a resource with a fragment', { resource: 'https://api.example.test/#x', authorizationServers: [AS] }, /resourceMetadata\.resource must not contain a fragment/],
    ['a quote in the resource', { resource: 'https://api.example.test/a"b', authorizationServers: [AS] }, /resourceMetadata\.resource/],
    ['no authorization server', { resource: 'https://api.example.test', authorizationServers: [] }, /resourceMetadata\.authorizationServers must name/],
    ['an http authorization server', { resource: 'https://api.example.test', authorizationServers: ['http://as.test'] }, /authorizationServers\[0\]/],
    ['an unknown field', { resource: 'https://api.example.test', authorizationServers: [AS], bearerMethods: ['body'] }, /resourceMetadata\.bearerMethods is not a known field/],
  ];
  for (const [name, options, message] of invalid) {
    it(`refuses ${name}`, () => {
      expect(() => resourceMetadata(options as never)).toThrow(message);
    });
  }
});

describe('RFC 9728 §5.1: resource_metadata in challenges', () => {
  it('is carried by the verifier\'s refusals and by the guards\' 403 when configured, and absent otherwise', async () => {
    const key = await createTestKey('ES256', 'es');
    const url = resourceMetadata({ resource: 'https://api.example.test', authorizationServers: [AS] }).url;
    const verifier = verifierWith([key], { resourceMetadata: url, binding: 'if-present' });
    const missing = await verifier.verifyRequest({ headers: {} });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.challenge).toBe(`Bearer resource_metadata="${url}", mtls_pop resource_metadata="${url}"`);
    const invalid = await verifier.verifyRequest(bearer('a.b.c'));
    if (!invalid.ok) expect(invalid.challenge).toContain(`error="invalid_token", error_description="The access token is malformed", resource_metadata="${url}"`);
    const accepted = await verifier.verifyRequest(bearer(await signToken(key, claimsAt())));
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    recordAcceptance(accepted, verifier); // what an adapter does before its guards run
    expect(scopeGuard(['orders.write']).check(accepted)?.challenge).toContain(`resource_metadata="${url}"`);
    const plain = await verifierWith([key]).verifyRequest({ headers: {} });
    if (!plain.ok) expect(plain.challenge).toBe('Bearer, mtls_pop');
    expect(() => verifierWith([key], { resourceMetadata: 'http://api.example.test/x' })).toThrow(/resourceMetadata/);
  });
});
