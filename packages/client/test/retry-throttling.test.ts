import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/index.js';
import { httpSettings } from '../src/lib/http.js';
import { entraLike, type Reply } from './support/recording-server.js';
import { clock, GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());
afterEach(() => fx.mtls.respond(entraLike));

/** Answer `failure` to the first `times` requests from now on, then tokens. */
function failFirst(times: number, failure: Reply) {
  const before = fx.mtls.requests.length;
  fx.mtls.respond((request, index) => (index - before < times ? failure : entraLike(request, index)));
  return () => fx.mtls.requests.length - before;
}

const pop = (scope = GRAPH) => ({ scopes: [scope], mtlsProofOfPossession: true, forceRefresh: true }) as const;

describe("MSAL.NET's retry policy is the default (one retry, 5xx without Retry-After only)", () => {
  it('defaults: two attempts, one second apart, no 429 retry, throttling capped at one hour', () => {
    expect(httpSettings(undefined)).toMatchObject({ maxAttempts: 2, retryBaseDelayMs: 1000, retryOn429: false, throttleMaxMs: 3_600_000 });
  });

  it('a 500 without Retry-After is retried once after the default delay, then succeeds', async () => {
    const sent = failFirst(1, { status: 500, body: { error: 'server_error' } });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: {} });
    const started = performance.now();
    const result = await client.acquireTokenForClient(pop());
    expect(result.source).toBe('network');
    expect(sent()).toBe(2);
    // MSAL waits one second; bounded loosely from below only.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('two 503s in a row: one retry, then the error', async () => {
    const sent = failFirst(5, { status: 503, body: { error: 'temporarily_unavailable' } });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { retryBaseDelayMs: 1 } });
    await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR', status: 503 });
    expect(sent()).toBe(2);
  });

  it('429 is not retried, nor a 5xx carrying Retry-After', async () => {
    for (const failure of [
      { status: 429, headers: { 'retry-after': '0' }, body: { error: 'too_many_requests' } },
      { status: 429, body: { error: 'too_many_requests' } },
      { status: 503, headers: { 'retry-after': '0' }, body: { error: 'temporarily_unavailable' } },
    ]) {
      const sent = failFirst(5, failure);
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { retryBaseDelayMs: 1 } });
      await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ status: failure.status });
      expect(sent()).toBe(1);
    }
  });

  it('retryOn429 waits out Retry-After on 429 and 5xx (configurable)', async () => {
    const sent = failFirst(2, { status: 429, headers: { 'retry-after': '0' }, body: { error: 'too_many_requests' } });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { retryOn429: true, maxAttempts: 3, retryBaseDelayMs: 1 } });
    expect((await client.acquireTokenForClient(pop())).source).toBe('network');
    expect(sent()).toBe(3);
  });

  it('retries are reported to the logger', async () => {
    failFirst(1, { status: 502, body: { error: 'bad_gateway' } });
    const events: ClientEvent[] = [];
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { retryBaseDelayMs: 1 }, logger: (event) => events.push(event) });
    const result = await client.acquireTokenForClient(pop());
    const wire = events.filter((event) => ['request', 'response', 'retry'].includes(event.type));
    expect(wire.map((event) => event.type)).toEqual(['request', 'response', 'retry', 'request', 'response']);
    expect(wire[1]).toMatchObject({ status: 502, attempt: 1, correlationId: result.correlationId, host: 'mtlsauth.microsoft.com' });
    expect(wire[2]).toMatchObject({ delayMs: 1, reason: 'HTTP 502' });
  });
});

describe("MSAL's throttling of identical failing requests (RetryAfterProvider)", () => {
  it('after an error with Retry-After the identical request fails locally until then; other requests still go', async () => {
    const time = clock();
    const sent = failFirst(1, { status: 429, headers: { 'retry-after': '60' }, body: { error: 'too_many_requests', error_codes: [50196] } });
    const events: ClientEvent[] = [];
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now, logger: (event) => events.push(event) });
    await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR', status: 429, retryAfterMs: 60_000 });
    time.advance(20);
    const throttled = await client.acquireTokenForClient(pop()).catch((e: unknown) => e);
    expect(throttled).toMatchObject({ code: 'ERR_CLIENT_THROTTLED', msalError: 'request_throttled', status: 429, error: 'too_many_requests', error_codes: [50196], retryAfterMs: 40_000 });
    expect(events.some((event) => event.type === 'throttled')).toBe(true);
    expect(sent()).toBe(1);
    // Another scope, or another certificate, is another request.
    await client.acquireTokenForClient(pop('api://other/.default'));
    await fx.client({ credential: pem(fx.pki.clients['client-b']!), now: time.now }).acquireTokenForClient(pop());
    expect(sent()).toBe(3);
    time.advance(41);
    expect((await client.acquireTokenForClient(pop())).source).toBe('network');
    expect(sent()).toBe(4);
  });

  it('a Retry-After beyond an hour is capped at throttleMaxMs; 0 turns throttling off', async () => {
    const time = clock();
    failFirst(1, { status: 503, headers: { 'retry-after': '86400' }, body: { error: 'temporarily_unavailable' } });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now });
    await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
    time.advance(3599);
    await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_THROTTLED' });
    time.advance(2);
    expect((await client.acquireTokenForClient(pop())).source).toBe('network');

    const sent = failFirst(1, { status: 429, headers: { 'retry-after': '60' }, body: { error: 'too_many_requests' } });
    const unthrottled = fx.client({ credential: pem(fx.pki.clients['client-a']!), now: time.now, http: { throttleMaxMs: 0 } });
    await expect(unthrottled.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
    expect((await unthrottled.acquireTokenForClient(pop())).source).toBe('network');
    expect(sent()).toBe(2);
  });

  it('a 5xx without Retry-After is not throttled (MSAL applies status throttling to public clients only)', async () => {
    const sent = failFirst(2, { status: 500, body: { error: 'server_error' } });
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { retryBaseDelayMs: 1 } });
    await expect(client.acquireTokenForClient(pop())).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
    expect((await client.acquireTokenForClient(pop())).source).toBe('network');
    expect(sent()).toBe(3);
  });
});
