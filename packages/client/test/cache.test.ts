import { createPublicKey, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenCache, type CertificateCredential } from '../src/index.js';
import { cacheKey, type CachedToken } from '../src/token-cache.js';
import { entraLike } from './support/recording-server.js';
import { EXCHANGE, GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

/** A manual clock in epoch ms. */
function clock(start = Date.now()) {
  let current = start;
  return { now: () => current, advance: (seconds: number) => (current += seconds * 1000) };
}

const pop = { scopes: [GRAPH], mtlsProofOfPossession: true } as const;

describe('docs/protocol.md §4 token cache', () => {
  it('a second acquisition is a cache hit returning the same token and the same bindingCertificate', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const first = await client.acquireTokenForClient(pop);
    const second = await client.acquireTokenForClient(pop);
    expect(first.source).toBe('network');
    expect(second.source).toBe('cache');
    expect(second.accessToken).toBe(first.accessToken);
    expect(second.bindingCertificate).toBe(first.bindingCertificate);
    expect(second.createAuthorizationHeader()).toBe(`mtls_pop ${first.accessToken}`);
    expect(fx.mtls.requests.length - before).toBe(1);
  });

  it('scopes are keyed case-insensitively and deduplicated', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    await client.acquireTokenForClient({ scopes: [GRAPH, GRAPH.toUpperCase()], mtlsProofOfPossession: true });
    expect(fx.mtls.requests.at(-1)?.form['scope']).toBe(GRAPH);
    expect((await client.acquireTokenForClient({ scopes: [GRAPH.toUpperCase()], mtlsProofOfPossession: true })).source).toBe('cache');
    expect(fx.mtls.requests.length - before).toBe(1);
  });

  it('certificate rotation through a provider function misses the cache and binds the new certificate', async () => {
    let current: CertificateCredential = pem(fx.pki.clients['client-a']!);
    const client = fx.client({ credential: () => current });
    const first = await client.acquireTokenForClient(pop);
    expect((await client.acquireTokenForClient(pop)).source).toBe('cache');
    current = pem(fx.pki.clients['client-b']!);
    const rotated = await client.acquireTokenForClient(pop);
    expect(rotated.source).toBe('network');
    expect(rotated.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    expect(fx.mtls.requests.at(-1)?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    expect(rotated.accessToken).not.toBe(first.accessToken);
  });

  it('docs/protocol.md §4: a renewed certificate with the same key pair misses the cache', async () => {
    const original = fx.pki.clients['client-a']!;
    const privateKey = await webcrypto.subtle.importKey(
      'pkcs8',
      Buffer.from(original.key.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign'],
    );
    const publicKey = await webcrypto.subtle.importKey(
      'spki',
      createPublicKey(original.cert).export({ type: 'spki', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['verify'],
    );
    const renewed = await fx.pki.ca.issue({ commonName: 'client-a', usage: 'client', keys: { privateKey, publicKey } });
    expect(renewed.thumbprint).not.toBe(original.thumbprint);

    let current: CertificateCredential = pem(original);
    const client = fx.client({ credential: () => current });
    await client.acquireTokenForClient(pop);
    current = { certificate: renewed.cert, privateKey: original.key };
    const after = await client.acquireTokenForClient(pop);
    expect(after.source).toBe('network');
    expect(after.bindingCertificate?.thumbprint).toBe(renewed.thumbprint);
    expect(fx.mtls.requests.at(-1)?.thumbprint).toBe(renewed.thumbprint);
  });

  it('docs/protocol.md §4: a bearer token is never returned for a PoP request', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({
      credential: { clientAssertion: () => ({ assertion: 'leg-1-token', tokenBindingCertificate: pem(fx.pki.clients['client-a']!) }) },
    });
    const bearer = await client.acquireTokenForClient({ scopes: [GRAPH] });
    expect(bearer.tokenType).toBe('Bearer');
    const bound = await client.acquireTokenForClient(pop);
    expect(bound.source).toBe('network');
    expect(bound.tokenType).toBe('mtls_pop');
    expect(bound.accessToken).not.toBe(bearer.accessToken);
    expect(fx.mtls.requests.length - before).toBe(2);
  });

  it('the cache itself refuses to answer a PoP lookup with a bearer entry', () => {
    const cache = new TokenCache();
    const parts = { environment: 'login.microsoftonline.com', tenant: 't', clientId: 'c', scopes: 's', thumbprint: 'x' };
    const entry: CachedToken = {
      accessToken: 'a',
      tokenType: 'Bearer',
      requestedType: 'bearer',
      expiresAt: Date.now() + 3_600_000,
      refreshAt: Date.now() + 3_000_000,
      scopes: ['s'],
      bindingCertificate: null,
      tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
    };
    // Even stored under the PoP key by mistake, it is not served for a PoP request.
    cache.store(cacheKey({ ...parts, requestedType: 'mtls_pop' }), entry, Date.now());
    expect(cache.lookup(cacheKey({ ...parts, requestedType: 'mtls_pop' }), 'mtls_pop', Date.now())).toBeUndefined();
    expect(cacheKey({ ...parts, requestedType: 'mtls_pop' })).not.toBe(cacheKey({ ...parts, requestedType: 'bearer' }));
  });

  it('refreshes ahead of expiry: 10% or 5 minutes before expires_in', async () => {
    const time = clock();
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now });
    const first = await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
    expect(first.expiresOn.getTime()).toBe(time.now() + 3_600_000);
    time.advance(3600 - 361);
    expect((await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true })).source).toBe('cache');
    time.advance(2);
    // 359 s left: within max(10% of 3600 s, 300 s) of expiry.
    expect((await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true })).source).toBe('network');
    expect(fx.mtls.requests.length - before).toBe(2);
  });

  it('refreshes at the server refresh_in when it sends one', async () => {
    const time = clock();
    fx.mtls.respond((request, index) => ({ body: { access_token: `r-${index}`, token_type: 'mtls_pop', expires_in: 86399, refresh_in: 43199 } }));
    try {
      const client = fx.client({ credential: pem(fx.pki.clients['client-b']!), now: time.now });
      await client.acquireTokenForClient(pop);
      time.advance(43198);
      expect((await client.acquireTokenForClient(pop)).source).toBe('cache');
      time.advance(2);
      expect((await client.acquireTokenForClient(pop)).source).toBe('network');
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('a short-lived token is still served for the first half of its life', () => {
    const cache = new TokenCache();
    expect(cache.refreshAt(0, 60)).toBe(30_000);
    expect(cache.refreshAt(0, 3600)).toBe(3_240_000);
    expect(cache.refreshAt(0, 600)).toBe(300_000);
    expect(cache.refreshAt(0, 3600, 1800)).toBe(1_800_000);
    // refresh_in beyond the margin does not postpone the refresh.
    expect(cache.refreshAt(0, 3600, 3599)).toBe(3_240_000);
  });

  it('a token without expires_in is not cached', async () => {
    fx.mtls.respond((request, index) => ({ body: { access_token: `nolife-${index}`, token_type: 'mtls_pop' } }));
    try {
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
      await client.acquireTokenForClient({ scopes: ['api://no-lifetime/.default'], mtlsProofOfPossession: true });
      expect((await client.acquireTokenForClient({ scopes: ['api://no-lifetime/.default'], mtlsProofOfPossession: true })).source).toBe('network');
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('forceRefresh and claims skip the cache lookup', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    await client.acquireTokenForClient(pop);
    expect((await client.acquireTokenForClient({ ...pop, forceRefresh: true })).source).toBe('network');
    expect((await client.acquireTokenForClient({ ...pop, claims: '{"access_token":{}}' })).source).toBe('network');
    expect((await client.acquireTokenForClient(pop)).source).toBe('cache');
  });

  it('concurrent acquisitions for one key share one request (single-flight)', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!) });
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => client.acquireTokenForClient({ scopes: ['api://single-flight/.default'], mtlsProofOfPossession: true, forceRefresh: i % 2 === 0 })),
    );
    expect(fx.mtls.requests.length - before).toBe(1);
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1);
  });

  it('a failed acquisition is not remembered: the next call retries', async () => {
    fx.mtls.respond(() => ({ status: 400, body: { error: 'invalid_scope' } }));
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const scopes = ['api://flaky/.default'];
    try {
      await expect(Promise.all([client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true }), client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })])).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
    } finally {
      fx.mtls.respond(entraLike);
    }
    expect((await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })).source).toBe('network');
  });

  it('is bounded: beyond maxEntries the least recently used token is evicted', async () => {
    const cache = new TokenCache({ maxEntries: 2 });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    for (const name of ['one', 'two', 'three']) await client.acquireTokenForClient({ scopes: [`api://${name}/.default`], mtlsProofOfPossession: true });
    expect(cache.size).toBe(2);
    expect((await client.acquireTokenForClient({ scopes: ['api://three/.default'], mtlsProofOfPossession: true })).source).toBe('cache');
    expect((await client.acquireTokenForClient({ scopes: ['api://one/.default'], mtlsProofOfPossession: true })).source).toBe('network');
  });

  it('docs/protocol.md §4: regional and global hosts share the cache (keyed by the login. host)', async () => {
    const cache = new TokenCache();
    const regional = fx.client({ credential: pem(fx.pki.clients['client-a']!), azureRegion: 'westus3', tokenCache: cache });
    const global = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    const first = await regional.acquireTokenForClient({ scopes: ['api://shared/.default'], mtlsProofOfPossession: true });
    expect(first.tokenEndpoint).toContain('westus3.mtlsauth.microsoft.com');
    const second = await global.acquireTokenForClient({ scopes: ['api://shared/.default'], mtlsProofOfPossession: true });
    expect(second.source).toBe('cache');
    expect(second.accessToken).toBe(first.accessToken);
  });

  it('another client id or tenant never shares an entry', async () => {
    const cache = new TokenCache();
    const a = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    const otherApp = fx.client({ clientId: 'another-app', credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    const otherTenant = fx.client({ authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com', credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    await a.acquireTokenForClient(pop);
    expect((await otherApp.acquireTokenForClient(pop)).source).toBe('network');
    expect((await otherTenant.acquireTokenForClient(pop)).source).toBe('network');
  });
});
