// docs/security.md rule 10: caches never widen acceptance. A verified-token cache hit re-checks time claims, the binding
// and the signing key; the cache is bounded; a key that leaves the JWKS stops validating cached tokens.
// A hit is recognisable from outside: it returns the very same (frozen) claims object as the first verification.
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import type { Verifier, VerifyResult, VerifySuccess } from '../src/types.js';
import { refreshSettled, startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, NOW, claimsAt, createTestKey, signToken, verifierWith, type TestKey } from './helpers/tokens.js';
import { remoteKeys } from '../src/index.js';

let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;
let k1: TestKey;
let k2: TestKey;
// Each test owns its clock object, so nothing a finished (or timed-out) test still does can move another's time.
let time = { now: NOW * 1000 };
function testClock(): () => number {
  const own = time;
  return () => own.now;
}

beforeAll(async () => {
  [pki, k1, k2] = await Promise.all([createDevPki(), createTestKey('RS256', 'k1'), createTestKey('RS256', 'k2')]);
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
});

beforeEach(() => {
  time = { now: NOW * 1000 };
});

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

function success(result: VerifyResult): VerifySuccess {
  expect(result.ok).toBe(true);
  return result as VerifySuccess;
}

describe('SECURITY 10: the verified-token cache', () => {
  it('SECURITY 10: a cache hit re-checks exp against the frozen clock', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ exp: NOW + 60 }));
    const first = success(await verifier.verifyToken(token, null));
    time.now = (NOW + 60 + 29) * 1000; // still within the 30 s leeway
    const hit = success(await verifier.verifyToken(token, null));
    expect(hit.claims).toBe(first.claims);
    time.now = (NOW + 60 + 30) * 1000;
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_TOKEN_EXPIRED');
    // Expired entries are dropped: going back in time verifies afresh (a new claims object).
    time.now = NOW * 1000;
    expect(success(await verifier.verifyToken(token, null)).claims).not.toBe(first.claims);
  });

  it('SECURITY 10: a cache hit re-checks nbf and iat (clock moved backwards)', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ nbf: NOW, iat: NOW + 20 }));
    success(await verifier.verifyToken(token, null));
    time.now = (NOW - 31) * 1000;
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_TOKEN_NOT_YET_VALID');
    time.now = (NOW - 11) * 1000;
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_TOKEN_ISSUED_IN_FUTURE');
  });

  it('SECURITY 10: a cache hit re-checks the binding: same token, other certificate', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const first = success(await verifier.verifyToken(token, a.der));
    expect(code(await verifier.verifyToken(token, b.der))).toBe('ERR_BINDING_MISMATCH');
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_CERTIFICATE_MISSING');
    expect(code(await verifier.verifyToken(token, { thumbprint: b.thumbprint }))).toBe('ERR_BINDING_MISMATCH');
    const again = success(await verifier.verifyToken(token, a.cert));
    expect(again.claims).toBe(first.claims);
    expect(again.thumbprint).toBe(a.thumbprint);
  });

  it('SECURITY 10: a cache hit re-checks the binding over verifyRequest too (certificate from the socket)', async () => {
    const verifier = verifierWith([k1], { currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const socketOf = (certificate: IssuedCertificate | null) => ({
      getPeerCertificate: () => (certificate === null ? {} : { raw: certificate.der }),
      getProtocol: () => 'TLSv1.2',
    });
    const request = (certificate: IssuedCertificate | null) => ({
      headers: { authorization: `mtls_pop ${token}` },
      rawHeaders: ['Authorization', `mtls_pop ${token}`],
      socket: socketOf(certificate),
    });
    expect(code(await verifier.verifyRequest(request(a)))).toBe('OK');
    expect(code(await verifier.verifyRequest(request(b)))).toBe('ERR_BINDING_MISMATCH');
    expect(code(await verifier.verifyRequest(request(null)))).toBe('ERR_CERTIFICATE_MISSING');
    expect(code(await verifier.verifyRequest(request(a)))).toBe('OK');
  });

  it('SECURITY 10: the cache is keyed by the whole token, so a new payload under a cached signature is not a hit', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock() });
    const token = await signToken(k1);
    success(await verifier.verifyToken(token, null));
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(claimsAt({ sub: 'admin' }))).toString('base64url')}.${signature}`;
    expect(code(await verifier.verifyToken(forged, null))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('SECURITY 10: cached claims are frozen, so application code cannot change what later hits return', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock() });
    const token = await signToken(k1, claimsAt({ roles: ['reader'] }));
    const first = success(await verifier.verifyToken(token, null));
    expect(() => (first.claims.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => {
      (first.claims as Record<string, unknown>)['aud'] = 'elsewhere';
    }).toThrow(TypeError);
    expect(success(await verifier.verifyToken(token, null)).claims.roles).toEqual(['reader']);
  });

  it('SECURITY 10: the cache is bounded by maxEntries, evicting the least recently used first', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock(), cache: { maxEntries: 2 } });
    const [t1, t2, t3] = await Promise.all(['1', '2', '3'].map((jti) => signToken(k1, claimsAt({ jti }))));
    const c1 = success(await verifier.verifyToken(t1!, null)).claims;
    const c2 = success(await verifier.verifyToken(t2!, null)).claims;
    expect(success(await verifier.verifyToken(t1!, null)).claims).toBe(c1); // t1 used again
    success(await verifier.verifyToken(t3!, null)); // full: t2, unused since insertion, goes
    expect(success(await verifier.verifyToken(t1!, null)).claims).toBe(c1);
    expect(success(await verifier.verifyToken(t2!, null)).claims).not.toBe(c2);
  });

  it('SECURITY 10: many distinct tokens never grow the cache beyond maxEntries', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock(), cache: { maxEntries: 5 } });
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => signToken(k1, claimsAt({ jti: String(i) }))));
    const claims = [];
    for (const token of tokens) claims.push(success(await verifier.verifyToken(token, null)).claims);
    let hits = 0;
    for (const [i, token] of tokens.entries()) if (success(await verifier.verifyToken(token, null)).claims === claims[i]) hits++;
    expect(hits).toBeLessThanOrEqual(5);
  });

  it('SECURITY 10: the cache is bounded in memory too: maxBytes caps the estimated size whatever the token sizes', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock(), cache: { maxEntries: 1000, maxBytes: 65_536 }, maxTokenLength: 100_000 });
    // About 4.5 KB tokens: 2 × length + 320 bytes each, so at most 7 fit in 64 KiB.
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signToken(k1, claimsAt({ jti: String(i), pad: 'p'.repeat(3200) }))));
    const claims = [];
    for (const token of tokens) claims.push(success(await verifier.verifyToken(token, null)).claims);
    let hits = 0;
    for (const [i, token] of tokens.entries()) if (success(await verifier.verifyToken(token, null)).claims === claims[i]) hits++;
    expect(hits).toBeLessThanOrEqual(Math.floor(65_536 / (2 * tokens[0]!.length + 320)));
    // A token larger than the whole budget is verified every time and never cached.
    const huge = await signToken(k1, claimsAt({ pad: 'q'.repeat(40_000) }));
    const first = success(await verifier.verifyToken(huge, null));
    expect(success(await verifier.verifyToken(huge, null)).claims).not.toBe(first.claims);
  });

  it('SECURITY 10: cache: false verifies every time', async () => {
    const verifier = verifierWith([k1], { binding: 'if-present', currentTime: testClock(), cache: false });
    const token = await signToken(k1);
    const first = success(await verifier.verifyToken(token, null));
    expect(success(await verifier.verifyToken(token, null)).claims).not.toBe(first.claims);
  });
});

describe('SECURITY 10: keys leaving the JWKS', () => {
  let server: JwksServer;
  let verifier: Verifier;

  afterEach(async () => {
    await verifier.close();
    await server.close();
  });

  async function start(): Promise<void> {
    server = await startJwksServer(pki, [k1.publicJwk, k2.publicJwk]);
    verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      keys: remoteKeys({ uri: server.url, ca: pki.ca.cert, cacheMaxAgeMs: 60_000, cooldownMs: 10_000 }),
      currentTime: testClock(),
      binding: 'if-present',
    });
  }

  it('SECURITY 10: a key removed from the JWKS stops validating cached tokens within the max-age', async () => {
    await start();
    const token = await signToken(k1);
    const first = success(await verifier.verifyToken(token, null));
    server.setKeys([k2.publicJwk]);
    time.now += 30_000; // inside the max-age the keys are not refetched: the documented window
    expect(success(await verifier.verifyToken(token, null)).claims).toBe(first.claims);
    expect(server.count()).toBe(1);
    time.now += 30_001; // past the max-age: the hit starts a refresh and is served meanwhile (cache hits never wait)
    expect(code(await verifier.verifyToken(token, null))).toBe('OK');
    await refreshSettled(verifier); // the refresh landed: k1 is gone, the cached token stops validating
    expect(server.count()).toBe(2);
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_KEY_NOT_FOUND');
  });

  it('SECURITY 10: a key still listed after a refetch keeps its cached tokens valid (same key, same record)', async () => {
    await start();
    const token = await signToken(k1);
    const first = success(await verifier.verifyToken(token, null));
    server.setKeys([k2.publicJwk, k1.publicJwk]);
    time.now += 60_001;
    expect(success(await verifier.verifyToken(token, null)).claims).toBe(first.claims);
    await refreshSettled(verifier);
    expect(server.count()).toBe(2);
    expect(success(await verifier.verifyToken(token, null)).claims).toBe(first.claims);
  });

  it('SECURITY 10: a kid reused for new key material does not revive tokens of the old key', async () => {
    await start();
    const token = await signToken(k1);
    success(await verifier.verifyToken(token, null));
    const impostor = await createTestKey('RS256', 'k1');
    server.setKeys([impostor.publicJwk]);
    time.now += 60_001;
    await verifier.verifyToken(token, null); // starts the refresh; served from the old key while it runs
    await refreshSettled(verifier);
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_SIGNATURE_INVALID');
  });
});
