import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingCertificate } from '../src/binding-certificate.js';
import { createConfidentialClient, TokenEndpointError } from '../src/index.js';
import { AgentPool, httpSettings, parseRetryAfter, sendWithRetry } from '../src/lib/http.js';
import { entraLike, startRecordingServer, type RecordingServer } from './support/recording-server.js';
import { AUTHORITY, CLIENT_ID, GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

const pop = { scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true } as const;

describe('retries (MSAL: a 5xx without Retry-After; configurable)', () => {
  it('retries 503 and succeeds on the third attempt (maxAttempts 3)', async () => {
    const before = fx.mtls.requests.length;
    fx.mtls.respond((request, index) => (index - before < 2 ? { status: 503, body: { error: 'temporarily_unavailable' } } : entraLike(request, index)));
    try {
      const result = await fx.client({ credential: pem(fx.pki.clients['client-a']!) }).acquireTokenForClient(pop);
      expect(result.tokenType).toBe('mtls_pop');
      expect(fx.mtls.requests.length - before).toBe(3);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('stops after maxAttempts and reports the last answer', async () => {
    const before = fx.mtls.requests.length;
    fx.mtls.respond(() => ({ status: 500, body: { error: 'server_error', error_codes: [90033] } }));
    try {
      const error = await fx.client({ credential: pem(fx.pki.clients['client-a']!), http: { maxAttempts: 4, retryBaseDelayMs: 1 } }).acquireTokenForClient(pop).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR', status: 500, error: 'server_error', error_codes: [90033] });
      expect(fx.mtls.requests.length - before).toBe(4);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('a Retry-After longer than retryMaxDelayMs ends the retries and is reported', async () => {
    const before = fx.mtls.requests.length;
    fx.mtls.respond(() => ({ status: 429, headers: { 'retry-after': '3600' }, body: { error: 'too_many_requests' } }));
    try {
      const error = await fx.client({ credential: pem(fx.pki.clients['client-a']!) }).acquireTokenForClient(pop).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR', status: 429, retryAfterMs: 3_600_000 });
      expect(fx.mtls.requests.length - before).toBe(1);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('4xx answers are not retried', async () => {
    const before = fx.mtls.requests.length;
    fx.mtls.respond(() => ({ status: 400, body: { error: 'invalid_request' } }));
    try {
      await expect(fx.client({ credential: pem(fx.pki.clients['client-a']!) }).acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
      expect(fx.mtls.requests.length - before).toBe(1);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('a dropped connection is retried', async () => {
    const before = fx.mtls.requests.length;
    fx.mtls.respond((request, index) => (index === before ? { destroy: true } : entraLike(request, index)));
    try {
      const result = await fx.client({ credential: pem(fx.pki.clients['client-a']!) }).acquireTokenForClient(pop);
      expect(result.source).toBe('network');
      expect(fx.mtls.requests.length - before).toBe(2);
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('connections', () => {
  it('keep-alive: sequential requests with one certificate reuse their TLS connections', async () => {
    const server = await startRecordingServer({ cert: fx.pki.server.cert, key: fx.pki.server.key, clientCas: [fx.pki.ca.cert] });
    try {
      const client = createConfidentialClient({
        clientId: CLIENT_ID,
        authority: AUTHORITY,
        azureRegion: false,
        credential: pem(fx.pki.clients['client-a']!),
        ca: fx.pki.ca.cert,
        hostOverrides: { 'mtlsauth.microsoft.com': server.origin },
      });
      for (let i = 0; i < 8; i++) await client.acquireTokenForClient(pop);
      expect(server.requests).toHaveLength(8);
      // undici may open a second connection while the first is being released; never one per request.
      expect(server.connections()).toBeLessThanOrEqual(3);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('one agent per certificate: each request presents the certificate of its acquisition', async () => {
    let turn = 0;
    const names = ['client-a', 'client-b', 'client-a'];
    const client = fx.client({ credential: () => pem(fx.pki.clients[names[turn++ % 3]!]!) });
    const before = fx.mtls.requests.length;
    for (let i = 0; i < 3; i++) await client.acquireTokenForClient(pop);
    expect(fx.mtls.requests.slice(before).map((request) => request.thumbprint)).toEqual(names.map((name) => fx.pki.clients[name]!.thumbprint));
  });
});

describe('docs/security.md rule 11: server certificates are always verified', () => {
  let foreign: RecordingServer;
  let wrongName: RecordingServer;
  beforeAll(async () => {
    const foreignCert = await fx.pki.otherCa.issue({ commonName: 'localhost', usage: 'server' });
    foreign = await startRecordingServer({ cert: foreignCert.cert, key: foreignCert.key, clientCas: [fx.pki.ca.cert] });
    const otherHost = await fx.pki.ca.issue({ commonName: 'elsewhere', usage: 'server', subjectAltNames: ['elsewhere.example'] });
    wrongName = await startRecordingServer({ cert: otherHost.cert, key: otherHost.key, clientCas: [fx.pki.ca.cert] });
  });
  afterAll(async () => {
    await foreign.close();
    await wrongName.close();
  });

  function clientFor(origin: string, ca: string | undefined) {
    return createConfidentialClient({
      clientId: CLIENT_ID,
      authority: AUTHORITY,
      azureRegion: false,
      credential: pem(fx.pki.clients['client-a']!),
      ...(ca === undefined ? {} : { ca }),
      hostOverrides: { 'mtlsauth.microsoft.com': origin },
      http: { maxAttempts: 3, retryBaseDelayMs: 1 },
    });
  }

  it('refuses a server certificate from an unknown CA (network_error, no retry, no request sent)', async () => {
    const client = clientFor(foreign.origin, fx.pki.ca.cert);
    const error = await client.acquireTokenForClient(pop).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_NETWORK' });
    expect(String((error as Error).message)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
    expect(foreign.requests).toHaveLength(0);
    await client.close();
  });

  it('refuses the dev server when its CA was not configured (Node roots only)', async () => {
    const client = clientFor(fx.mtls.origin, undefined);
    await expect(client.acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_NETWORK' });
    await client.close();
  });

  it('refuses a trusted certificate issued for another host name', async () => {
    const client = clientFor(wrongName.origin, fx.pki.ca.cert);
    const error = await client.acquireTokenForClient(pop).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_NETWORK' });
    expect(String((error as Error).message)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(wrongName.requests).toHaveLength(0);
    await client.close();
  });
});

describe('docs/security.md rule 11: one TLS secure context per agent, server verification unchanged', () => {
  it('a custom CA is trusted alongside all of Node\'s roots, and new connections reuse the agent\'s context', async () => {
    const issued = fx.pki.clients['client-a']!;
    const certificate = new BindingCertificate(new X509Certificate(issued.cert), issued.thumbprint, { kind: 'pem', cert: issued.cert, key: issued.key });
    const settings = httpSettings({ maxAttempts: 1 });
    const pool = new AgentPool(settings, [fx.pki.ca.cert]);
    // Node's roots are still trusted when extra CAs are given (the `ca` option would otherwise replace them).
    expect(pool.trustedCas).toEqual([...rootCertificates, fx.pki.ca.cert]);
    const before = fx.mtls.requests.length;
    const connectionsBefore = fx.mtls.connections();
    // `Connection: close` forces a brand-new TLS handshake for every request on the same agent.
    fx.mtls.respond(() => ({ headers: { connection: 'close' }, body: { ok: true } }));
    try {
      for (let i = 0; i < 4; i++) {
        const response = await sendWithRetry({ url: new URL('/probe', fx.mtls.origin), method: 'GET', headers: {} }, pool.forCertificate(certificate), settings, Date.now);
        expect(response.status).toBe(200);
      }
      expect(fx.mtls.connections() - connectionsBefore).toBe(4);
      expect(fx.mtls.requests.slice(before).map((request) => request.thumbprint)).toEqual(Array(4).fill(issued.thumbprint));
      expect(pool.contextsBuilt).toBe(1);
      pool.plain();
      expect(pool.contextsBuilt).toBe(2);
    } finally {
      fx.mtls.respond(entraLike);
      await pool.close();
    }
  });

  it('without extra CAs only Node\'s default roots are used (the dev server is refused)', async () => {
    const settings = httpSettings({ maxAttempts: 1 });
    const pool = new AgentPool(settings, []);
    expect(pool.trustedCas).toBeUndefined();
    try {
      const error = await sendWithRetry({ url: new URL('/probe', fx.plain.origin), method: 'GET', headers: {} }, pool.plain(), settings, Date.now).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_CLIENT_NETWORK' });
    } finally {
      await pool.close();
    }
  });
});
