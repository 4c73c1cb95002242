import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/index.js';
import { entraLike } from './support/recording-server.js';
import { clock, EXCHANGE, GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

describe('logger events: request, response, retry, cache hit/miss, refresh — never a token, key, assertion or secret', () => {
  it('every event of a busy session is free of secrets, and every kind is reported', async () => {
    const events: ClientEvent[] = [];
    const logger = (event: ClientEvent) => events.push(event);
    const secrets: string[] = [];
    const time = clock();
    const now = time.now;
    let failNext = 1;
    fx.mtls.respond((request, index) => {
      if (failNext-- > 0) return { status: 503, body: { error: 'temporarily_unavailable' } };
      return { body: { access_token: `secret-token-${index}-${'x'.repeat(24)}`, token_type: request.form['token_type'] ?? 'Bearer', expires_in: 3600, refresh_in: 1800 } };
    });
    fx.plain.respond((_request, index) => ({ body: { access_token: `secret-bearer-${index}-${'y'.repeat(24)}`, token_type: 'Bearer', expires_in: 3600 } }));
    try {
      const vanilla = fx.client({ credential: pem(fx.pki.clients['client-a']!), now, logger });
      const leg1 = await vanilla.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
      secrets.push(leg1.accessToken);
      secrets.push((await vanilla.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true })).accessToken);
      const leg2 = fx.client({ clientId: 'leg2', now, logger, credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! }) } });
      secrets.push((await leg2.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true })).accessToken);
      const clientSecret = 'client-secret-value-do-not-log-0123456789';
      const withSecret = fx.client({ credential: { clientSecret }, now, logger });
      secrets.push(clientSecret, (await withSecret.acquireTokenForClient({ scopes: [GRAPH] })).accessToken);
      const signed = fx.client({ credential: pem(fx.pki.clients['client-b']!), now, logger });
      secrets.push((await signed.acquireTokenForClient({ scopes: [GRAPH] })).accessToken);
      const signedAssertion = fx.plain.requests.at(-1)!.form['client_assertion']!;
      secrets.push(signedAssertion);
      // Background refresh after refresh_in.
      time.advance(2200);
      await vanilla.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
      await (vanilla as unknown as { idle(): Promise<void> }).idle();
    } finally {
      fx.mtls.respond(entraLike);
      fx.plain.respond(entraLike);
    }
    const text = JSON.stringify(events);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(0, 20));
    expect(text).not.toContain('secret-token-');
    expect(text).not.toContain('secret-bearer-');
    expect(text).not.toContain('PRIVATE KEY');
    for (const name of ['client-a', 'client-b'] as const) expect(text).not.toContain(fx.pki.clients[name]!.key.replace(/-----[^-]+-----|\s/g, '').slice(0, 40));
    const kinds = new Set(events.map((event) => event.type));
    for (const kind of ['request', 'response', 'retry', 'cache-hit', 'cache-miss', 'refresh'] as const) expect(kinds).toContain(kind);
    // Thumbprints (public) and correlation ids are what ties events together.
    expect(events.find((event) => event.type === 'cache-hit')).toMatchObject({ thumbprint: fx.pki.clients['client-a']!.thumbprint });
    expect(events.every((event) => typeof event.correlationId === 'string' && event.correlationId !== '')).toBe(true);
  });

  it('a logger that throws does not fail the acquisition', async () => {
    const client = fx.client({
      credential: pem(fx.pki.clients['client-a']!),
      logger: () => {
        throw new Error('logger broke');
      },
    });
    expect((await client.acquireTokenForClient({ scopes: ['api://logger/.default'], mtlsProofOfPossession: true })).source).toBe('network');
  });

  it('logger must be a function', () => {
    expect(() => fx.client({ credential: pem(fx.pki.clients['client-a']!), logger: 'console' as never })).toThrow(/logger must be a function/);
  });
});
