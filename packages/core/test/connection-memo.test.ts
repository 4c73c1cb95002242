// docs/security.md rule 10 for the per-connection memo: a connection that presents the Authorization value it had
// accepted skips extraction, the cache lookup and the binding comparison, never the key, time and certificate checks.
// Each case sends requests over one connection object (the socket the verifier keys the memo by), first the
// accepted request, then the change that must be noticed.
import { inspect } from 'node:util';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scopeGuard } from '../src/adapter.js';
import { headerSource, remoteKeys, tlsSource } from '../src/index.js';
import type { CertificateSource, RequestInput, Verifier, VerifierEvent, VerifyResult } from '../src/types.js';
import { createVerifier } from '../src/verify/verifier.js';
import { refreshSettled, startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, NOW, claimsAt, createTestKey, movableClock, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

// Two client certificates (a, b) and two RS256 keys (k1, k2), made once.
let pki: DevPki;
let [a, b] = [] as unknown as [IssuedCertificate, IssuedCertificate];
let [k1, k2] = [] as unknown as [TestKey, TestKey];
beforeAll(async () => {
  [pki, k1, k2] = await Promise.all([createDevPki(), createTestKey('RS256', 'k1'), createTestKey('RS256', 'k2')]);
  [a, b] = [pki.clients['client-a']!, pki.clients['client-b']!];
});

// Each test moves its own clock.
let time: { now: number };
let testClock: () => () => number;
beforeEach(() => {
  const movable = movableClock();
  time = movable.time;
  testClock = () => movable.clock;
});

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

/** A TLS 1.3 connection presenting `certificate` (the peer certificate of a TLS 1.3 socket cannot change). */
function tlsConnection(certificate: IssuedCertificate | null) {
  return { remoteAddress: '127.0.0.1', getPeerCertificate: () => (certificate === null ? {} : { raw: certificate.der }), getProtocol: () => 'TLSv1.3' };
}

/** One request on `socket`: `extra` adds raw header fields after Authorization. */
function onConnection(socket: object, authorization: string, extra: [string, string][] = [], url = '/orders'): RequestInput {
  const headers: Record<string, string> = { authorization };
  for (const [name, value] of extra) if (name.toLowerCase() !== 'authorization') headers[name.toLowerCase()] = value;
  // A fresh string per request, as Node's parser hands over: equal content, another object.
  return { headers, rawHeaders: ['Authorization', `${authorization} `.slice(0, -1), ...extra.flat()], socket, url };
}

describe('docs/security.md rule 10: a connection repeating its accepted token', () => {
  it('is accepted again with a fresh success object, linked to the verifier for the guards', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint }, scp: 'orders.read' }));
    const socket = tlsConnection(a);
    const first = await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`));
    const second = await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`));
    expect(code(first)).toBe('OK');
    expect(code(second)).toBe('OK');
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    if (!second.ok) return;
    expect(second.thumbprint).toBe(a.thumbprint);
    expect(scopeGuard(['orders.write']).check(second)).toMatchObject({ status: 403, code: 'ERR_INSUFFICIENT_SCOPE' });
    expect(scopeGuard(['orders.read']).check(second)).toBeNull();
  });

  it('is refused once the token expires, on the same connection', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint }, exp: NOW + 60 }));
    const socket = tlsConnection(a);
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    time.now = (NOW + 60 + 29) * 1000; // inside the 30 s leeway
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    time.now = (NOW + 60 + 30) * 1000;
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('is refused before nbf when the clock goes backwards, on the same connection', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint }, nbf: NOW }));
    const socket = tlsConnection(a);
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    time.now = (NOW - 31) * 1000;
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  it('still fails on a duplicate Authorization field, a query access_token, or another token with the same signature', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const socket = tlsConnection(a);
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`, [['Authorization', `Bearer ${token}`]])))).toBe('ERR_AUTHORIZATION_DUPLICATE');
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`, [], '/orders?access_token=x')))).toBe('ERR_MULTIPLE_METHODS');
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(claimsAt({ cnf: { 'x5t#S256': a.thumbprint }, sub: 'admin' }))).toString('base64url')}.${signature}`;
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${forged}`)))).toBe('ERR_SIGNATURE_INVALID');
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
  });

  it('is refused when its signing key leaves the JWKS', async () => {
    const server: JwksServer = await startJwksServer(pki, [k1.publicJwk]);
    const verifier: Verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      keys: remoteKeys({ uri: server.url, ca: pki.ca.cert, cacheMaxAgeMs: 60_000, cooldownMs: 10_000 }),
      currentTime: testClock(),
    });
    try {
      const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
      const socket = tlsConnection(a);
      expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
      server.setKeys([k2.publicJwk]);
      time.now += 60_001; // past the max-age: this request starts the refresh and is served meanwhile
      expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
      await refreshSettled(verifier);
      expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('ERR_KEY_NOT_FOUND');
    } finally {
      await verifier.close();
      await server.close();
    }
  });

  it('behind a proxy (one keep-alive connection, many clients): each request’s certificate header is checked', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock(), certificateSource: headerSource({ format: 'rfc9440', trustedProxies: ['127.0.0.1/32'] }) });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const proxy = { remoteAddress: '127.0.0.1' };
    const certificateOf = (certificate: IssuedCertificate): [string, string] => ['Client-Cert', `:${certificate.der.toString('base64')}:`];
    expect(code(await verifier.verifyRequest(onConnection(proxy, `Bearer ${token}`, [certificateOf(a)])))).toBe('OK');
    expect(code(await verifier.verifyRequest(onConnection(proxy, `Bearer ${token}`, [certificateOf(b)])))).toBe('ERR_BINDING_MISMATCH');
    expect(code(await verifier.verifyRequest(onConnection(proxy, `Bearer ${token}`)))).toBe('ERR_CERTIFICATE_MISSING');
    expect(code(await verifier.verifyRequest(onConnection(proxy, `Bearer ${token}`, [certificateOf(a)])))).toBe('OK');
  });

  it('on a TLS 1.2 connection (which may renegotiate), the certificate is read again on every request', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    let presented: IssuedCertificate = a;
    const socket = { getPeerCertificate: () => ({ raw: presented.der }), getProtocol: () => 'TLSv1.2' };
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    presented = b; // renegotiated with another certificate
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('ERR_BINDING_MISMATCH');
  });

  it('skips the certificate lookup only for the built-in TLS source on TLS 1.3; a source of one\'s own is asked every time', async () => {
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    // A source of one's own that says it is TLS and even hands over tlsSource's own lookups, until it changes its mind.
    const builtIn = tlsSource();
    let asked = 0;
    let override: string | null = null;
    const own: CertificateSource = {
      type: 'tls',
      lookup(input) {
        asked++;
        return override === null ? builtIn.lookup(input) : { ok: true, thumbprint: override, from: 'header' };
      },
    };
    const verifier = verifierWith([k1], { currentTime: testClock(), certificateSource: own });
    const socket = tlsConnection(a);
    for (let i = 0; i < 3; i++) expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    expect(asked).toBe(3);
    override = b.thumbprint;
    expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('ERR_BINDING_MISMATCH');
    expect(asked).toBe(4); // the repeat that turned out not to be one reuses its lookup on the full way

    // The built-in source on TLS 1.3 reads the socket's certificate once for the connection.
    let reads = 0;
    const counted = { ...tlsConnection(a), getPeerCertificate: () => (reads++, { raw: a.der }) };
    const plain = verifierWith([k1], { currentTime: testClock() });
    for (let i = 0; i < 3; i++) expect(code(await plain.verifyRequest(onConnection(counted, `Bearer ${token}`)))).toBe('OK');
    expect(reads).toBe(1);
  });

  it('keeps its memo out of sight on the socket (inspection and JSON show no token), and works on a frozen connection object', async () => {
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const socket = tlsConnection(a);
    for (let i = 0; i < 2; i++) expect(code(await verifier.verifyRequest(onConnection(socket, `Bearer ${token}`)))).toBe('OK');
    expect(inspect(socket, { depth: 5 })).not.toContain(token.slice(-20));
    expect(JSON.stringify(socket)).not.toContain(token.slice(-20));
    expect(Object.keys(socket)).toEqual(['remoteAddress', 'getPeerCertificate', 'getProtocol']);

    const frozen = Object.freeze(tlsConnection(a));
    for (let i = 0; i < 2; i++) expect(code(await verifier.verifyRequest(onConnection(frozen, `Bearer ${token}`)))).toBe('OK');
    time.now += 2 * 3600 * 1000; // past exp: the memo of the frozen connection is checked like any other
    expect(code(await verifier.verifyRequest(onConnection(frozen, `Bearer ${token}`)))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('reports every repeated request: one event each, report-only mismatches included', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([k1], { currentTime: testClock(), binding: 'report-only', onEvent: (event) => events.push(event) });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const socket = tlsConnection(b);
    for (let i = 0; i < 3; i++) expect(code(await verifier.verifyRequest(onConnection(socket, `mtls_pop ${token}`)))).toBe('OK');
    expect(events.map((event) => [event.type, event.code, event.scheme, event.thumbprint, event.remoteAddress])).toEqual(
      Array.from({ length: 3 }, () => ['report-only', 'ERR_BINDING_MISMATCH', 'mtls_pop', b.thumbprint, '127.0.0.1']),
    );
  });
});

describe('verifyRequestNow (adapters)', () => {
  let verifier: Verifier;
  afterEach(async () => verifier?.close());

  it('answers a repeated token and a refusal that needs no I/O without a promise, and waits only for a key fetch', async () => {
    const { verifyRequestNow } = await import('../src/adapter.js');
    const server = await startJwksServer(pki, [k1.publicJwk]);
    try {
      verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: remoteKeys({ uri: server.url, ca: pki.ca.cert }), currentTime: testClock() });
      const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
      const socket = tlsConnection(a);
      const asRequest = (input: RequestInput) => input as unknown as Parameters<typeof verifyRequestNow>[1];
      const first = verifyRequestNow(verifier, asRequest(onConnection(socket, `Bearer ${token}`)));
      expect(first).toBeInstanceOf(Promise); // the keys are fetched on first use
      expect(code(await first)).toBe('OK');
      const again = verifyRequestNow(verifier, asRequest(onConnection(socket, `Bearer ${token}`)));
      expect(again).not.toBeInstanceOf(Promise);
      expect(code(again as VerifyResult)).toBe('OK');
      const refused = verifyRequestNow(verifier, asRequest({ headers: {}, rawHeaders: [], socket }));
      expect(refused).not.toBeInstanceOf(Promise);
      expect(code(refused as VerifyResult)).toBe('ERR_NO_CREDENTIALS');
      // The URL argument stands in for req.url (Express passes originalUrl).
      const inQuery = verifyRequestNow(verifier, asRequest(onConnection(socket, `Bearer ${token}`)), '/orders?access_token=x');
      expect(code(await inQuery)).toBe('ERR_MULTIPLE_METHODS');
    } finally {
      await server.close();
    }
  });
});
