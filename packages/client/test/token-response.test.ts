import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertboundClientError, TokenCache, TokenEndpointError, type AuthenticationResult, type ConfidentialClient } from '../src/index.js';
import { MAX_EXPIRES_IN_SECONDS } from '../src/lib/token-response.js';
import { entraLike, type Responder } from './support/recording-server.js';
import { GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
let client: ConfidentialClient;
beforeAll(async () => {
  fx = await startWireFixture();
  client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
});
afterAll(() => fx.close());

async function acquireWith(responder: Responder, pop = true, target = client): Promise<unknown> {
  fx.mtls.respond(responder);
  fx.plain.respond(responder);
  try {
    return await target.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: pop, forceRefresh: true });
  } catch (error) {
    return error;
  } finally {
    fx.mtls.respond(entraLike);
    fx.plain.respond(entraLike);
  }
}

describe('docs/protocol.md §4 response checks (docs/security.md rule 11: validated before use)', () => {
  it('token_type_missing when the response has no token_type', async () => {
    const error = await acquireWith(() => ({ body: { access_token: 'eyJ.secret.token', expires_in: 3600 } }));
    expect(error).toMatchObject({ msalError: 'token_type_missing' });
    expect(String((error as Error).message)).not.toContain('eyJ.secret.token');
  });

  it('token_type_mismatch when a PoP request gets a Bearer token', async () => {
    const error = await acquireWith(() => ({ body: { access_token: 'eyJ.secret.token', token_type: 'Bearer', expires_in: 3600 } }));
    expect(error).toMatchObject({ msalError: 'token_type_mismatch', code: 'ERR_CLIENT_TOKEN_TYPE_MISMATCH' });
    expect(String((error as Error).message)).not.toContain('eyJ.secret.token');
  });

  it.each(['pop', 'DPoP', 'mtls_pop ', 7])('token_type_mismatch for token_type %j on a PoP request', async (tokenType) => {
    expect(await acquireWith(() => ({ body: { access_token: 'a', token_type: tokenType, expires_in: 3600 } }))).toMatchObject({ msalError: 'token_type_mismatch' });
  });

  it('token_type is compared case-insensitively (MTLS_POP is accepted)', async () => {
    const result = await acquireWith(() => ({ body: { access_token: 'a', token_type: 'MTLS_POP', expires_in: 3600 } }));
    expect(result).toMatchObject({ tokenType: 'mtls_pop', accessToken: 'a' });
  });

  it('token_type_mismatch when a bearer request gets an mtls_pop token', async () => {
    const bearerClient = fx.client({ credential: { clientAssertion: 'x.y.z' } });
    const error = await acquireWith(() => ({ body: { access_token: 'a', token_type: 'mtls_pop', expires_in: 3600 } }), false, bearerClient);
    expect(error).toMatchObject({ msalError: 'token_type_mismatch' });
  });

  it.each([
    ['not JSON', { body: '<html>hello</html>' }],
    ['a JSON array', { body: '[]' }],
    ['no access_token', { body: { token_type: 'mtls_pop', expires_in: 3600 } }],
    ['a non-string access_token', { body: { access_token: 1, token_type: 'mtls_pop', expires_in: 3600 } }],
    ['a negative expires_in', { body: { access_token: 'a', token_type: 'mtls_pop', expires_in: -5 } }],
    ['a non-numeric expires_in', { body: { access_token: 'a', token_type: 'mtls_pop', expires_in: '1e9' } }],
  ])('invalid_response for %s', async (_label, reply) => {
    expect(await acquireWith(() => reply)).toMatchObject({ msalError: 'invalid_response' });
  });

  it('expires_in as a digits-only string is accepted (Entra v1 style)', async () => {
    const result = (await acquireWith(() => ({ body: { access_token: 'a', token_type: 'mtls_pop', expires_in: '3600' } }))) as { expiresOn: Date };
    expect(result.expiresOn.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
  });

  it('a response larger than maxResponseBytes is refused', async () => {
    const small = fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { maxResponseBytes: 1024 } });
    const error = await acquireWith(() => ({ body: { access_token: 'x'.repeat(5000), token_type: 'mtls_pop', expires_in: 3600 } }), true, small);
    expect(error).toMatchObject({ msalError: 'invalid_response' });
  });
});

describe('expires_in and refresh_in: whole seconds, at most one day, refresh before expiry', () => {
  const answer = (fields: Record<string, unknown>) => () => ({ body: { access_token: 'lifetime-test', token_type: 'mtls_pop', ...fields } });

  it.each([
    ['expires_in 1e13', { expires_in: 1e13 }],
    ['expires_in 1e308', { expires_in: 1e308 }],
    ['expires_in -1', { expires_in: -1 }],
    ['expires_in 0', { expires_in: 0 }],
    ['expires_in "abc"', { expires_in: 'abc' }],
    ['expires_in 3.5', { expires_in: 3.5 }],
    ['expires_in one second over a day', { expires_in: MAX_EXPIRES_IN_SECONDS + 1 }],
    ['expires_in "86401" as a string', { expires_in: String(MAX_EXPIRES_IN_SECONDS + 1) }],
    ['expires_in null', { expires_in: null }],
    ['refresh_in after expires_in', { expires_in: 3600, refresh_in: 7200 }],
    ['refresh_in equal to expires_in', { expires_in: 3600, refresh_in: 3600 }],
    ['refresh_in 1e308', { expires_in: 3600, refresh_in: 1e308 }],
    ['refresh_in -1', { expires_in: 3600, refresh_in: -1 }],
    ['refresh_in "abc"', { expires_in: 3600, refresh_in: 'abc' }],
    ['refresh_in 3.5', { expires_in: 3600, refresh_in: 3.5 }],
    ['refresh_in without expires_in', { refresh_in: 60 }],
  ])('%s is refused with invalid_response and nothing is cached', async (_label, fields) => {
    const tokenCache = new TokenCache();
    const target = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache });
    const error = await acquireWith(answer(fields), true, target);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_RESPONSE_INVALID' });
    expect((error as Error).message).toMatch(/expires_in|refresh_in/);
    expect(tokenCache.size).toBe(0);
  });

  it('one day with a refresh at half of it is accepted, cached, and refreshed in the background on time', async () => {
    let now = Date.now();
    const tokenCache = new TokenCache();
    const target = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache, now: () => now });
    const result = (await acquireWith(answer({ expires_in: MAX_EXPIRES_IN_SECONDS, refresh_in: 43_200 }), true, target)) as AuthenticationResult;
    expect(result.expiresOn.getTime()).toBe(now + MAX_EXPIRES_IN_SECONDS * 1000);
    expect(tokenCache.size).toBe(1);
    now += 42_899_000; // refresh_in minus MSAL's largest jitter (300 s), minus one second
    const before = fx.mtls.requests.length;
    expect((await target.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true })).source).toBe('cache');
    now += 602_000;
    fx.mtls.respond(answer({ expires_in: 3600 }));
    try {
      // Due: the cached token is served and the refresh runs beside the call.
      const served = await target.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });
      expect(served.source).toBe('cache');
      expect(served.accessToken).toBe(result.accessToken);
      await (target as unknown as { idle(): Promise<void> }).idle();
      expect(fx.mtls.requests.length - before).toBe(1);
      // The next call is served the refreshed token (its one-hour lifetime), from the cache.
      const refreshed = await target.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });
      expect(refreshed.source).toBe('cache');
      expect(refreshed.expiresOn.getTime()).toBe(now + 3_600_000);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });
});

describe("the server's OAuth errors", () => {
  it('are surfaced with error, error_description, error_codes and status', async () => {
    const error = await acquireWith(() => ({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: 'AADSTS700027: Client assertion failed signature validation.\r\nTrace ID: abc',
        error_codes: [700027, 'x'],
        correlation_id: 'c0ffee',
        trace_id: 'abc',
      },
    }));
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(isCertboundClientError(error)).toBe(true);
    const typed = error as TokenEndpointError;
    expect(typed.code).toBe('ERR_CLIENT_OAUTH_ERROR');
    expect(typed.status).toBe(401);
    expect(typed.error).toBe('invalid_client');
    expect(typed.error_description).toBe('AADSTS700027: Client assertion failed signature validation. Trace ID: abc');
    expect(typed.error_codes).toEqual([700027]);
    expect(typed.correlation_id).toBe('c0ffee');
    expect(typed.message).toContain('invalid_client');
    expect(typed.message).not.toMatch(/[\r\n]/);
  });

  it('docs/security.md rule 11: an assertion echoed by the server is redacted from the error', async () => {
    const assertion = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsZWcxIn0.c2lnbmF0dXJl';
    const leg2 = fx.client({ credential: { clientAssertion: () => ({ assertion, tokenBindingCertificate: pem(fx.pki.clients['client-a']!) }) } });
    const error = (await acquireWith(
      (request) => ({ status: 400, body: { error: 'invalid_grant', error_description: `bad assertion ${request.form['client_assertion']}` } }),
      true,
      leg2,
    )) as TokenEndpointError;
    expect(error.code).toBe('ERR_CLIENT_OAUTH_ERROR');
    expect(error.message).not.toContain(assertion);
    expect(error.error_description).not.toContain(assertion);
    expect(error.error_description).toContain('[redacted]');
  });

  it.each([
    ['its signature segment alone', (assertion: string) => assertion.split('.')[2]!],
    ['a 24-character slice of it', (assertion: string) => assertion.slice(30, 54)],
    ['its base64', (assertion: string) => Buffer.from(assertion).toString('base64')],
    ['its hex, upper case', (assertion: string) => Buffer.from(assertion).toString('hex').toUpperCase()],
    ['its percent-encoding', (assertion: string) => encodeURIComponent(`${assertion}&x`)],
  ])('docs/security.md rule 11: an echo of %s is redacted too, not only an exact copy', async (_label, echo) => {
    const assertion = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJsZWcxIiwiYXVkIjoiYXBpOi8vQXp1cmVBRFRva2VuRXhjaGFuZ2UifQ.c2lnbmF0dXJlLW9mLXRoZS1sZWctMS10b2tlbi1ub3QtdG8tYmUtc2hvd24';
    const leg2 = fx.client({ credential: { clientAssertion: () => ({ assertion, tokenBindingCertificate: pem(fx.pki.clients['client-a']!) }) } });
    const error = (await acquireWith(
      () => ({ status: 400, body: { error: 'invalid_grant', error_description: `AADSTS50027: bad assertion ${echo(assertion)} Trace ID: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b` } }),
      true,
      leg2,
    )) as TokenEndpointError;
    expect(error.error_description).toContain('[redacted]');
    expect(error.error_description).toContain('Trace ID: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b');
    for (const text of [error.message, error.error_description ?? '']) expect(text).not.toContain(echo(assertion).slice(0, 16));
  });

  it('an error status without an OAuth body is http_error', async () => {
    const error = await acquireWith(() => ({ status: 403, body: 'forbidden' }));
    expect(error).toMatchObject({ code: 'ERR_CLIENT_HTTP_ERROR', status: 403 });
  });

  it('docs/security.md rule 11: no private key material in any error message', async () => {
    const issued = fx.pki.clients['client-a']!;
    const keyBody = issued.key.split('\n')[1]!;
    const errors: unknown[] = [
      await acquireWith(() => ({ status: 400, body: { error: 'invalid_request' } })),
      await acquireWith(() => ({ body: { access_token: 'a' } })),
      await fx.client({ credential: { certificate: issued.cert, privateKey: fx.pki.clients['client-b']!.key } }).acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true }).catch((e: unknown) => e),
    ];
    for (const error of errors) {
      expect(isCertboundClientError(error)).toBe(true);
      const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).stack)}`;
      expect(text).not.toContain(keyBody);
      expect(text).not.toContain('PRIVATE KEY');
    }
  });
});
