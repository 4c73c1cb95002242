import { createPublicKey, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenCache, type CertificateCredential } from '../src/index.js';
import { refreshAt } from '../src/lib/client.js';
import { cacheKey, type CachedToken } from '../src/token-cache.js';
import { entraLike } from './support/recording-server.js';
import { clock, EXCHANGE, GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

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

  it('the cache itself refuses to answer a PoP lookup with a bearer entry, or a lookup for another certificate', async () => {
    const cache = new TokenCache();
    const parts = { environment: 'login.microsoftonline.com', tenant: 't', clientId: 'c', scopes: 's', thumbprint: 'x' };
    const entry: CachedToken = {
      accessToken: 'a',
      tokenType: 'Bearer',
      requestedType: 'bearer',
      expiresAt: Date.now() + 3_600_000,
      refreshAt: undefined,
      scopes: ['s'],
      thumbprint: 'x',
      tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
    };
    // Even stored under the PoP key by mistake, it is not served for a PoP request.
    await cache.store({ ...parts, requestedType: 'mtls_pop' }, entry, Date.now());
    expect(await cache.lookup({ ...parts, requestedType: 'mtls_pop' }, Date.now())).toBeUndefined();
    await cache.store({ ...parts, requestedType: 'bearer', thumbprint: 'y' }, entry, Date.now());
    expect(await cache.lookup({ ...parts, requestedType: 'bearer', thumbprint: 'y' }, Date.now())).toBeUndefined();
    expect(cacheKey({ ...parts, requestedType: 'mtls_pop' })).not.toBe(cacheKey({ ...parts, requestedType: 'bearer' }));
  });

  it('MSAL serving window: the cached token is served until 5 minutes before expiry, then re-acquired', async () => {
    const time = clock();
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now });
    const first = await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
    expect(first.expiresOn.getTime()).toBe(time.now() + 3_600_000);
    time.advance(3600 - 301);
    expect((await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true })).source).toBe('cache');
    time.advance(2);
    // 299 s left: inside MSAL's five-minute expiration buffer.
    expect((await client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true })).source).toBe('network');
    expect(fx.mtls.requests.length - before).toBe(2);
  });

  it('a short-lived token is still served for the first half of its life; refresh_in and the 2-hour estimate', () => {
    const cache = new TokenCache();
    expect(cache.servableUntil({ expiresAt: 60_000 }, 0)).toBe(30_000);
    expect(cache.servableUntil({ expiresAt: 3_600_000 }, 0)).toBe(3_300_000);
    const middle = () => 0.5;
    expect(refreshAt(0, 3600, 1800, middle)).toBe(1_800_000);
    // No refresh_in: MSAL's estimate (half the lifetime) for two hours or more, none below.
    expect(refreshAt(0, 7200, undefined, middle)).toBe(3_600_000);
    expect(refreshAt(0, 3600, undefined, middle)).toBeUndefined();
    // A refresh_in at or beyond expires_in means nothing.
    expect(refreshAt(0, 3600, 3600, middle)).toBeUndefined();
    // MSAL's ±5 minute jitter, at most a tenth of refresh_in.
    expect(refreshAt(0, 86_400, 43_200, () => 0)).toBe((43_200 - 300) * 1000);
    expect(refreshAt(0, 86_400, 43_200, () => 1)).toBe((43_200 + 300) * 1000);
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
