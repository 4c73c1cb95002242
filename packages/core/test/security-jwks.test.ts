// docs/security.md rule 3: JWKS fetching is bounded. A real HTTPS JWKS endpoint (dev-pki CA) counts its requests:
// timeout, size cap, max-age, one refetch per cooldown under a kid flood, outages keep known keys and turn unknown
// keys into 503, never into acceptance.
import { randomUUID } from 'node:crypto';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import type { Verifier, VerifierOptions, VerifyResult } from '../src/types.js';
import { refreshSettled, startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, NOW, b64url, claimsAt, createTestKey, headerFor, signToken, type TestKey } from './helpers/tokens.js';
import { remoteKeys, type RemoteKeysOptions } from '../src/index.js';

let pki: DevPki;
let k1: TestKey;
let k2: TestKey;
let server: JwksServer;
const verifiers: Verifier[] = [];
// Each test owns its clock, so nothing a finished (or timed-out) test still does can move another test's time.
let time = { now: NOW * 1000 };

beforeAll(async () => {
  [pki, k1, k2] = await Promise.all([createDevPki(), createTestKey('RS256', 'k1'), createTestKey('RS256', 'k2')]);
});

afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  await server?.close();
});

beforeEach(() => {
  time = { now: NOW * 1000 };
});

afterAll(async () => {
  await server?.close();
});

async function serve(keys: TestKey[]): Promise<JwksServer> {
  server = await startJwksServer(pki, keys.map((key) => key.publicJwk));
  return server;
}

function remote(options: Partial<VerifierOptions> = {}, jwksOptions: Partial<RemoteKeysOptions> = {}): Verifier {
  const clock = time;
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: remoteKeys({ uri: server.url, ca: pki.ca.cert, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, ...jwksOptions }),
    currentTime: () => clock.now,
    binding: 'if-present',
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

const FAKE_SIGNATURE = Buffer.alloc(256, 7).toString('base64url');

/** A token under a random kid. The kid is refused before any signature work, so the signature is filler. */
function randomKidToken(signer: TestKey): string {
  return `${b64url(headerFor(signer, { kid: randomUUID() }))}.${b64url(claimsAt())}.${FAKE_SIGNATURE}`;
}

describe('SECURITY 3: remote JWKS over HTTPS', () => {
  it('SECURITY 3: fetches once with the custom CA and serves later tokens from the imported keys', async () => {
    await serve([k1]);
    const verifier = remote();
    for (let i = 0; i < 5; i++) expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: String(i) })), null))).toBe('OK');
    expect(server.count()).toBe(1);
  });

  it('SECURITY 3: refuses a JWKS host whose certificate does not chain to the configured CA (503, no acceptance)', async () => {
    await serve([k1]);
    const wrongCa = remote({}, { ca: pki.otherCa.cert });
    expect(code(await wrongCa.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    const systemRoots = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: remoteKeys({ uri: server.url }), currentTime: () => time.now });
    verifiers.push(systemRoots);
    const result = await systemRoots.verifyToken(await signToken(k1), null);
    expect(result).toMatchObject({ ok: false, status: 503, error: 'temporarily_unavailable', code: 'ERR_JWKS_UNAVAILABLE' });
  });

  it('SECURITY 3: kid flood — hundreds of random kids cause at most one fetch per cooldown', async () => {
    await serve([k1]);
    const verifier = remote();
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    expect(server.count()).toBe(1);
    const attacker = await createTestKey('RS256', 'attacker');
    // Concurrent and sequential floods inside the cooldown that started with the first fetch: no fetch at all.
    const concurrent = await Promise.all(Array.from({ length: 200 }, () => verifier.verifyToken(randomKidToken(attacker), null)));
    expect(new Set(concurrent.map(code))).toEqual(new Set(['ERR_KEY_NOT_FOUND']));
    for (let i = 0; i < 50; i++) expect(code(await verifier.verifyToken(randomKidToken(attacker), null))).toBe('ERR_KEY_NOT_FOUND');
    expect(server.count()).toBe(1);
    // After the cooldown, a new flood (concurrent) makes exactly one more fetch.
    time.now += 30_001;
    const second = await Promise.all(Array.from({ length: 200 }, () => verifier.verifyToken(randomKidToken(attacker), null)));
    expect(new Set(second.map(code))).toEqual(new Set(['ERR_KEY_NOT_FOUND']));
    expect(server.count()).toBe(2);
    // Known keys never waited for any of it.
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    expect(server.count()).toBe(2);
  });

  it('SECURITY 3: a rotated-in kid is picked up by the first refetch the cooldown allows', async () => {
    await serve([k1]);
    const verifier = remote();
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    server.setKeys([k1.publicJwk, k2.publicJwk]);
    expect(code(await verifier.verifyToken(await signToken(k2), null))).toBe('ERR_KEY_NOT_FOUND');
    time.now += 30_000;
    expect(code(await verifier.verifyToken(await signToken(k2), null))).toBe('OK');
    expect(server.count()).toBe(2);
  });

  it('SECURITY 3: a kid rotated in right after the first fetch is picked up at once, then the cooldown holds', async () => {
    await serve([k1]);
    const verifier = remote();
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    server.setKeys([k1.publicJwk, k2.publicJwk]);
    time.now += 1;
    expect(code(await verifier.verifyToken(await signToken(k2), null))).toBe('OK');
    expect(server.count()).toBe(2);
    const attacker = await createTestKey('RS256', 'attacker');
    time.now += 1;
    for (let i = 0; i < 20; i++) expect(code(await verifier.verifyToken(randomKidToken(attacker), null))).toBe('ERR_KEY_NOT_FOUND');
    expect(server.count()).toBe(2);
  });

  it('SECURITY 3: refetches when the keys are older than cacheMaxAgeMs', async () => {
    await serve([k1]);
    const verifier = remote({}, { cacheMaxAgeMs: 60_000 });
    const token = await signToken(k1);
    expect(code(await verifier.verifyToken(token, null))).toBe('OK');
    time.now += 59_999;
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'x' })), null))).toBe('OK');
    expect(server.count()).toBe(1);
    time.now += 2;
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'y' })), null))).toBe('OK');
    await refreshSettled(verifier); // the refresh runs in the background: the known key did not wait for it
    expect(server.count()).toBe(2);
  });

  it('SECURITY 3: an outage keeps serving known keys; an unknown kid during the outage is 503, never accepted', async () => {
    await serve([k1]);
    const verifier = remote({}, { cacheMaxAgeMs: 60_000 });
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    server.setMode('error');
    time.now += 61_000; // keys are stale: the next request tries to refresh, and the refresh fails
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'a' })), null))).toBe('OK');
    await refreshSettled(verifier);
    expect(server.count()).toBe(2);
    const unknown = await verifier.verifyToken(await signToken(k2), null);
    expect(unknown).toMatchObject({ ok: false, status: 503, error: 'temporarily_unavailable', code: 'ERR_JWKS_UNAVAILABLE' });
    // During the outage, further requests do not hammer the endpoint: one attempt per cooldown.
    for (let i = 0; i < 20; i++) {
      expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: `b${i}` })), null))).toBe('OK');
      expect(code(await verifier.verifyToken(randomKidToken(k2), null))).toBe('ERR_JWKS_UNAVAILABLE');
    }
    expect(server.count()).toBe(2);
    // Recovery: after the cooldown the endpoint is tried again and the new key is found.
    server.setMode('ok');
    server.setKeys([k1.publicJwk, k2.publicJwk]);
    time.now += 30_000;
    expect(code(await verifier.verifyToken(await signToken(k2, claimsAt({ jti: 'c' })), null))).toBe('OK');
    expect(server.count()).toBe(3);
  });

  it('SECURITY 3: a JWKS endpoint down from the start answers 503 for every token', async () => {
    await serve([k1]);
    server.setMode('error');
    const verifier = remote();
    const results = await Promise.all([verifier.verifyToken(await signToken(k1), null), verifier.verifyToken(await signToken(k2), null)]);
    expect(results.map(code)).toEqual(['ERR_JWKS_UNAVAILABLE', 'ERR_JWKS_UNAVAILABLE']);
    expect(server.count()).toBe(1);
  });

  it('SECURITY 3: a hanging JWKS endpoint is cut off by the timeout (503)', async () => {
    await serve([k1]);
    server.setMode('hang');
    const verifier = remote({}, { timeoutMs: 200 });
    const arrived = server.nextRequest();
    const result = await verifier.verifyToken(await signToken(k1), null);
    await arrived;
    expect(code(result)).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it.each([
    ['a response larger than maxResponseBytes (Content-Length)', 'huge'],
    ['a chunked response growing past maxResponseBytes', 'huge-chunked'],
    ['a non-JSON body', 'not-json'],
    ['a JWKS without keys', 'no-keys'],
    ['a redirect (never followed)', 'redirect'],
  ] as const)('SECURITY 3: %s is a failed fetch (503), never acceptance', async (_name, mode) => {
    await serve([k1]);
    server.setMode(mode);
    const verifier = remote();
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(server.count()).toBe(1);
  });

  it('SECURITY 3: a broken fetch after a good one keeps the known keys (size cap during refresh)', async () => {
    await serve([k1]);
    const verifier = remote({}, { cacheMaxAgeMs: 1000, maxResponseBytes: 4096 });
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    server.setMode('huge');
    time.now += 2000;
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'z' })), null))).toBe('OK');
    await refreshSettled(verifier);
    expect(server.count()).toBe(2);
    expect(code(await verifier.verifyToken(await signToken(k1, claimsAt({ jti: 'z2' })), null))).toBe('OK');
  });

  it('SECURITY 1: remote keys without alg that fit several allowed algorithms are skipped, the others serve', async () => {
    const { alg: _alg, ...ambiguous } = k2.publicJwk;
    server = await startJwksServer(pki, [k1.publicJwk, ambiguous]);
    const verifier = remote({ algorithms: ['RS256', 'PS256'] });
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('OK');
    expect(code(await verifier.verifyToken(await signToken(k2), null))).toBe('ERR_KEY_NOT_FOUND');
  });

  it('SECURITY 3: close() releases the agent; a closed verifier never accepts', async () => {
    await serve([k1]);
    const verifier = remote();
    await verifier.close();
    expect(code(await verifier.verifyToken(await signToken(k1), null))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(server.count()).toBe(0);
  });
});
