import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenCache, type ClientEvent, type ConfidentialClient } from '../src/index.js';
import { entraLike, type Responder } from './support/recording-server.js';
import { clock, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());
afterEach(() => fx.mtls.respond(entraLike));

/** Tokens numbered by request, with the given lifetime fields. */
function tokens(lifetime: Record<string, number>): Responder {
  return (_request, index) => ({ body: { access_token: `t-${index}`, token_type: 'mtls_pop', ...lifetime } });
}

const idle = (client: ConfidentialClient) => (client as unknown as { idle(): Promise<void> }).idle();

describe("MSAL's proactive refresh: after refresh_in the cached token is served and a new one is fetched beside the call", () => {
  it('the caller gets the cached token at once while the refresh is still waiting for the server', async () => {
    const time = clock();
    const scopes = ['api://refresh-1/.default'];
    fx.mtls.respond(tokens({ expires_in: 3600, refresh_in: 1800 }));
    const events: ClientEvent[] = [];
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now, logger: (event) => events.push(event) });
    const first = await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true });
    const before = fx.mtls.requests.length;
    time.advance(1800 - 181); // before refresh_in minus the largest jitter (a tenth of 1800 s)
    expect((await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })).source).toBe('cache');
    expect(fx.mtls.requests.length).toBe(before);

    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Responder = async (request, index) => {
      await gate;
      return tokens({ expires_in: 3600, refresh_in: 1800 })(request, index);
    };
    fx.mtls.respond(slow);
    time.advance(362); // past refresh_in plus the largest jitter
    const served = await Promise.all(Array.from({ length: 20 }, () => client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })));
    // Everyone was answered from the cache, the server has not answered yet: the refresh is not in their path.
    expect(served.every((result) => result.source === 'cache' && result.accessToken === first.accessToken)).toBe(true);
    await vi.waitFor(() => expect(fx.mtls.requests.length).toBe(before + 1), { timeout: 10_000 });
    release();
    await idle(client);
    // Single flight: twenty due hits made one refresh request.
    expect(fx.mtls.requests.length).toBe(before + 1);
    const next = await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true });
    expect(next.source).toBe('cache');
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.expiresOn.getTime()).toBe(time.now() + 3_600_000);
    const refresh = events.filter((event) => event.type === 'refresh').map((event) => (event as { outcome: string }).outcome);
    expect(refresh).toEqual(['started', 'succeeded']);
  });

  it('a failed refresh keeps the cached token in use until expiry − 5 min, then the caller fetches', async () => {
    const time = clock();
    const scopes = ['api://refresh-2/.default'];
    fx.mtls.respond(tokens({ expires_in: 3600, refresh_in: 1800 }));
    const events: ClientEvent[] = [];
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now, http: { retryBaseDelayMs: 1 }, logger: (event) => events.push(event) });
    const first = await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true });
    fx.mtls.respond(() => ({ status: 500, body: { error: 'server_error' } }));
    time.advance(2000);
    expect((await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })).accessToken).toBe(first.accessToken);
    await idle(client);
    expect(events.filter((event) => event.type === 'refresh').at(-1)).toMatchObject({ outcome: 'failed', code: 'ERR_CLIENT_OAUTH_ERROR' });
    // Still served (and retried in the background) while valid.
    time.advance(1200);
    expect((await client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })).accessToken).toBe(first.accessToken);
    await idle(client);
    // Inside the last five minutes the cached token is no longer served: the caller's own request fails.
    time.advance(101);
    await expect(client.acquireTokenForClient({ scopes, mtlsProofOfPossession: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
  });

  it("without refresh_in: MSAL's estimate (half of a lifetime of two hours or more); none for a one-hour token", async () => {
    const time = clock();
    fx.mtls.respond(tokens({ expires_in: 7200 }));
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!), now: time.now });
    const long = ['api://refresh-3/.default'];
    await client.acquireTokenForClient({ scopes: long, mtlsProofOfPossession: true });
    const before = fx.mtls.requests.length;
    time.advance(3600 - 301);
    await client.acquireTokenForClient({ scopes: long, mtlsProofOfPossession: true });
    await idle(client);
    expect(fx.mtls.requests.length).toBe(before);
    time.advance(602);
    expect((await client.acquireTokenForClient({ scopes: long, mtlsProofOfPossession: true })).source).toBe('cache');
    await idle(client);
    expect(fx.mtls.requests.length).toBe(before + 1);

    fx.mtls.respond(tokens({ expires_in: 3600 }));
    const short = ['api://refresh-4/.default'];
    const other = fx.client({ credential: pem(fx.pki.clients['client-b']!), now: time.now });
    await other.acquireTokenForClient({ scopes: short, mtlsProofOfPossession: true });
    const mark = fx.mtls.requests.length;
    time.advance(3299);
    expect((await other.acquireTokenForClient({ scopes: short, mtlsProofOfPossession: true })).source).toBe('cache');
    await idle(other);
    expect(fx.mtls.requests.length).toBe(mark);
  });
});

describe('cache hits for a subset of cached scopes (MSAL)', () => {
  it('a request for some of the scopes of a cached token is served from it; a superset or another certificate is not', async () => {
    fx.mtls.respond(tokens({ expires_in: 3600 }));
    const cache = new TokenCache();
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache: cache });
    const both = await client.acquireTokenForClient({ scopes: ['api://orders/read', 'api://orders/write'], mtlsProofOfPossession: true });
    const before = fx.mtls.requests.length;
    const subset = await client.acquireTokenForClient({ scopes: ['API://orders/write'], mtlsProofOfPossession: true });
    expect(subset.source).toBe('cache');
    expect(subset.accessToken).toBe(both.accessToken);
    expect(subset.scopes).toEqual(['api://orders/read', 'api://orders/write']);
    expect(fx.mtls.requests.length).toBe(before);
    expect((await client.acquireTokenForClient({ scopes: ['api://orders/read', 'api://orders/delete'], mtlsProofOfPossession: true })).source).toBe('network');
    const otherCertificate = fx.client({ credential: pem(fx.pki.clients['client-b']!), tokenCache: cache });
    const theirs = await otherCertificate.acquireTokenForClient({ scopes: ['api://orders/read'], mtlsProofOfPossession: true });
    expect(theirs.source).toBe('network');
    expect(theirs.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    // A bearer request never takes the PoP entry.
    const bearer = fx.client({ credential: { clientSecret: 'subset-secret-value' }, tokenCache: cache });
    fx.plain.respond((_request, index) => ({ body: { access_token: `b-${index}`, token_type: 'Bearer', expires_in: 3600 } }));
    try {
      expect((await bearer.acquireTokenForClient({ scopes: ['api://orders/read'] })).source).toBe('network');
    } finally {
      fx.plain.respond(entraLike);
    }
  });
});
