// Test token issuer: real keys from jose's generateKeyPair, standard tokens signed with jose's SignJWT, and a raw
// compact-JWS signer (node:crypto) for the hand-crafted hostile tokens jose refuses to produce.
import { KeyObject, constants, sign as cryptoSign } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createVerifier } from '../../src/verify/verifier.js';
import type { Jwk, JwsAlgorithm, VerifierOptions } from '../../src/types.js';
import { staticKeys } from '../../src/keys/static-keys.js';

export const ISSUER = 'https://issuer.certbound.test/tenant/v2.0';
export const AUDIENCE = 'api://certbound-test';
/** The frozen "now" of every test, in seconds. */
export const NOW = 1_750_000_000;
export const clock = (): number => NOW * 1000;

export interface TestKey {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: Jwk;
}

export async function createTestKey(alg: JwsAlgorithm, kid = `${alg.toLowerCase()}-key`, jwkExtras: Partial<Jwk> = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) });
  const exported = (await exportJWK(publicKey)) as JWK;
  const publicJwk = { ...exported, kid, alg, use: 'sig', ...jwkExtras } as Jwk;
  return { alg, kid, privateKey, publicJwk };
}

export function jwksOf(...keys: TestKey[]): { keys: Jwk[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** Claims of a valid token at NOW; `overrides` replace members (undefined removes one). */
export function claimsAt(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: 'subject-1', azp: 'client-1', exp: NOW + 600, iat: NOW - 10, nbf: NOW - 10 };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/** A standard token signed with jose's SignJWT. */
export async function signToken(key: TestKey, claims: Record<string, unknown> = claimsAt(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }).sign(key.privateKey);
}

export function b64url(input: string | Uint8Array | Record<string, unknown> | unknown[]): string {
  if (typeof input === 'string') return Buffer.from(input, 'utf8').toString('base64url');
  if (input instanceof Uint8Array) return Buffer.from(input).toString('base64url');
  return Buffer.from(JSON.stringify(input), 'utf8').toString('base64url');
}

/** Signature bytes over `signingInput` with the key's algorithm, computed with node:crypto. */
export function rawSignature(key: TestKey, signingInput: string): Buffer {
  const privateKey = KeyObject.from(key.privateKey);
  const data = Buffer.from(signingInput, 'latin1');
  const digest = key.alg === 'EdDSA' ? null : `sha${key.alg.slice(2)}`;
  if (key.alg.startsWith('PS')) {
    return cryptoSign(digest, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(key.alg.slice(2)) / 8 });
  }
  if (key.alg.startsWith('ES')) return cryptoSign(digest, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cryptoSign(digest, data, privateKey);
}

/**
 * A compact JWS built by hand: header and payload are objects (JSON-encoded), raw strings (used verbatim as the
 * encoded segment when `encoded` is set) or bytes. Signed with `key` over exactly the segments given.
 */
export function signCompact(
  key: TestKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string | Uint8Array,
  segments: { header?: string; payload?: string } = {},
): string {
  const headerSegment = segments.header ?? b64url(header);
  const payloadSegment = segments.payload ?? (typeof payload === 'string' ? b64url(payload) : b64url(payload as Record<string, unknown>));
  const signingInput = `${headerSegment}.${payloadSegment}`;
  return `${signingInput}.${rawSignature(key, signingInput).toString('base64url')}`;
}

export function headerFor(key: TestKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...extra };
}

/** A verifier over static keys with the test clock; options override. */
export function verifierWith(keys: TestKey[], options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [...new Set(keys.map((key) => key.alg))],
    keys: staticKeys(jwksOf(...keys)),
    currentTime: clock,
    ...options,
  });
}

/** A request as Node would hand it over: headers folded, rawHeaders as sent. */
export function requestWith(headers: [string, string][], extra: { url?: string; socket?: unknown; remoteAddress?: string } = {}) {
  const folded: Record<string, string> = {};
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && folded[lower] !== undefined) continue; // Node keeps the first Authorization
    folded[lower] = folded[lower] === undefined ? value : `${folded[lower]}, ${value}`;
  }
  return { headers: folded, rawHeaders: headers.flat(), ...extra };
}

export function bearer(token: string, scheme = 'Bearer') {
  return requestWith([['Authorization', `${scheme} ${token}`]]);
}

/** A clock a test moves by hand (`time.now`, milliseconds), starting at NOW; one per test, so no test moves another's. */
export function movableClock(start = NOW * 1000): { time: { now: number }; clock: () => number } {
  const time = { now: start };
  return { time, clock: () => time.now };
}
