// docs/security.md rule 3: a JWKS outage fails closed without stalling. Real HTTPS JWKS endpoints (dev-pki) that
// hang, answer 404, present an untrusted certificate, refuse connections or do not resolve: known keys and cache
// hits never wait for a fetch, a request needing an unknown key waits at most unknownKidWaitMs and then gets 503
// with Retry-After, and every refresh is reported with its cause.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import type { Verifier, VerifierEvent, VerifyResult } from '../src/types.js';
import { ConfigurationError, remoteKeys, type RemoteKeysOptions } from '../src/index.js';
import { refreshSettled, startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, NOW, b64url, claimsAt, createTestKey, headerFor, signToken, type TestKey } from './helpers/tokens.js';

let pki: DevPki;
let k1: TestKey;
let k2: TestKey;
let server: JwksServer | undefined;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  [pki, k1, k2] = await Promise.all([createDevPki(), createTestKey('RS256', 'k1'), createTestKey('RS256', 'k2')]);
});

afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  await server?.close();
});

interface Watched {
  verifier: Verifier;
  events: VerifierEvent[];
  clock: { now: number };
}

function watched(uri: string, jwksOptions: Partial<RemoteKeysOptions> = {}): Watched {
  const events: VerifierEvent[] = [];
  const clock = { now: NOW * 1000 };
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: remoteKeys({ uri, ca: pki.ca.cert, cacheMaxAgeMs: 60_000, cooldownMs: 30_000, ...jwksOptions }),
    currentTime: () => clock.now,
    binding: 'if-present',
    onEvent: (event) => events.push(event),
  });
  verifiers.push(verifier);
  return { verifier, events, clock };
}

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

function unknownKidToken(signer: TestKey): string {
  return `${b64url(headerFor(signer, { kid: randomUUID() }))}.${b64url(claimsAt())}.${Buffer.alloc(256, 7).toString('base64url')}`;
}

function refreshes(events: VerifierEvent[]): VerifierEvent[] {
  return events.filter((event) => event.type === 'jwks-refresh');
}

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('SECURITY 3: a JWKS endpoint that accepts connections and never answers', () => {
  it('SECURITY 3: known kids and cache hits are answered at once while the refresh hangs; unknown kids get 503 + Retry-After within the wait bound', async () => {
    server = await startJwksServer(pki, [k1.publicJwk]);
    const { verifier, events, clock } = watched(server.url, { timeoutMs: 5000, unknownKidWaitMs: 300 });
    const cached = await signToken(k1);
    expect(code(await verifier.verifyToken(cached, null))).toBe('OK');
    server.setMode('hang');
    clock.now += 60_001; // stale: the next request starts a refresh that hangs for the whole 5 s timeout
    const arrived = server.nextRequest();
    const first = await timed(() => verifier.verifyToken(cached, null));
    await arrived;
    expect(verifier.state().refreshing).toBe(true);
    const known = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(async () => verifier.verifyToken(await signToken(k1, claimsAt({ jti: `k${i}` })), null))));
    const hit = await timed(() => verifier.verifyToken(cached, null));
    expect([first, hit, ...known].map((run) => code(run.value))).toEqual(Array(22).fill('OK'));
    // Generous bound: the hanging fetch lasts 5 s, a request that waited for it would take that long.
    expect(Math.max(first.ms, hit.ms)).toBeLessThan(1000);

    const unknown = await Promise.all(Array.from({ length: 10 }, () => timed(() => verifier.verifyToken(unknownKidToken(k2), null))));
    for (const run of unknown) {
      expect(run.value).toMatchObject({ ok: false, status: 503, code: 'ERR_JWKS_UNAVAILABLE', error: 'temporarily_unavailable', retryAfter: 5 });
      expect(run.ms).toBeLessThan(2500); // the wait bound is 300 ms, far under the 5 s fetch timeout
    }
    const refusal = events.find((event) => event.code === 'ERR_JWKS_UNAVAILABLE');
    expect(refusal?.jwksFailure).toEqual({ cause: 'pending', detail: 'JWKS fetch still in flight' });
    expect(server.count()).toBe(2); // one refresh, however many requests arrived
    // The hang ends with the timeout: reported once, with its cause; the known key still serves.
    await refreshSettled(verifier, 8000);
    expect(refreshes(events).at(-1)).toMatchObject({ ok: false, keyCount: 1, jwksFailure: { cause: 'timeout' } });
    expect(verifier.state()).toMatchObject({ ready: true, keyCount: 1, lastError: { cause: 'timeout' } });
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'after' })), null))).toBe('OK');
  });

  it('SECURITY 3: with no keys loaded yet, every token waits at most unknownKidWaitMs and gets 503, never acceptance', async () => {
    server = await startJwksServer(pki, [k1.publicJwk]);
    server.setMode('hang');
    const { verifier } = watched(server.url, { timeoutMs: 4000, unknownKidWaitMs: 200 });
    const results = await Promise.all([k1, k1, k2].map((key) => timed(async () => verifier.verifyToken(await signToken(key), null))));
    for (const run of results) {
      expect(code(run.value)).toBe('ERR_JWKS_UNAVAILABLE');
      expect(run.ms).toBeLessThan(2000);
    }
    expect(verifier.state()).toMatchObject({ ready: false, refreshing: true, keyCount: 0 });
  });
});

describe('SECURITY 3: refresh diagnostics carry the cause', () => {
  it('reports a successful refresh with its key count, and state() becomes ready', async () => {
    server = await startJwksServer(pki, [k1.publicJwk, k2.publicJwk]);
    const { verifier, events } = watched(server.url);
    expect(verifier.state()).toMatchObject({ ready: false, keyCount: 0, lastError: null });
    // Reading the state started the first load (a readiness probe before any token).
    await refreshSettled(verifier);
    expect(verifier.state()).toMatchObject({ ready: true, keyCount: 2, lastError: null, loadedAt: NOW * 1000 });
    expect(refreshes(events)).toEqual([{ type: 'jwks-refresh', thumbprint: null, time: NOW * 1000, ok: true, keyCount: 2 }]);
    expect(server.count()).toBe(1);
  });

  it('an HTTP 404 is cause "http" with the status', async () => {
    server = await startJwksServer(pki, [k1.publicJwk]);
    server.setMode('not-found');
    const { verifier, events } = watched(server.url);
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(refreshes(events)).toEqual([expect.objectContaining({ ok: false, keyCount: 0, jwksFailure: { cause: 'http', detail: 'HTTP 404', status: 404 } })]);
    expect(events.find((event) => event.type === 'rejected')?.jwksFailure).toMatchObject({ cause: 'http', status: 404 });
    expect(verifier.state()).toMatchObject({ ready: false, lastError: { cause: 'http', status: 404 } });
  });

  it('a certificate from an untrusted CA is cause "tls" with OpenSSL\'s reason', async () => {
    server = await startJwksServer(pki, [k1.publicJwk]);
    const { verifier, events } = watched(server.url, { ca: pki.otherCa.cert });
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    const failure = refreshes(events)[0]?.jwksFailure;
    expect(failure?.cause).toBe('tls');
    // Node passes OpenSSL's X509 verify result on: its code and reason text.
    expect(failure?.detail).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN): \w/);
  });

  it('an unresolvable host (.invalid) is cause "dns"', async () => {
    const { verifier, events } = watched('https://jwks.certbound.invalid/keys');
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(refreshes(events)[0]?.jwksFailure).toMatchObject({ cause: 'dns', detail: expect.stringContaining('jwks.certbound.invalid') });
  });

  it('a refused connection is cause "connect"; garbage and oversized bodies are "json" and "size"', async () => {
    const refused = watched(`https://127.0.0.1:${await closedPort()}/keys`);
    expect(code(await refused.verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(refreshes(refused.events)[0]?.jwksFailure).toMatchObject({ cause: 'connect', detail: expect.stringContaining('ECONNREFUSED') });
    server = await startJwksServer(pki, [k1.publicJwk]);
    for (const [mode, cause] of [['not-json', 'json'], ['huge', 'size'], ['huge-chunked', 'size'], ['no-keys', 'keys'], ['error', 'http']] as const) {
      server.setMode(mode);
      const { verifier, events } = watched(server.url);
      expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
      expect(refreshes(events)[0]?.jwksFailure?.cause, mode).toBe(cause);
    }
  });
});

describe('remoteKeys: unknownKidWaitMs', () => {
  it('defaults to 1000 ms (at most the timeout) and is refused above timeoutMs, naming the field', () => {
    expect(remoteKeys({ uri: 'https://keys.example.test/jwks' }).unknownKidWaitMs).toBe(1000);
    expect(remoteKeys({ uri: 'https://keys.example.test/jwks', timeoutMs: 400 }).unknownKidWaitMs).toBe(400);
    expect(remoteKeys({ uri: 'https://keys.example.test/jwks', unknownKidWaitMs: 0 }).unknownKidWaitMs).toBe(0);
    for (const bad of [6000, -1, 1.5, '100']) {
      const attempt = (): unknown => remoteKeys({ uri: 'https://keys.example.test/jwks', timeoutMs: 5000, unknownKidWaitMs: bad as number });
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(expect.objectContaining({ field: 'remoteKeys.unknownKidWaitMs' }));
    }
  });
});
