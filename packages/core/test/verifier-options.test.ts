import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import type { VerifierOptions } from '../src/types.js';
import { AUDIENCE, ISSUER, createTestKey, jwksOf, type TestKey } from './helpers/tokens.js';

let rsa: TestKey;
let ec: TestKey;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([createTestKey('RS256'), createTestKey('ES256')]);
});

function base(): VerifierOptions {
  return { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwks: jwksOf(rsa) };
}

function creating(overrides: Record<string, unknown>): () => unknown {
  return () => createVerifier({ ...base(), ...overrides } as VerifierOptions);
}

describe('createVerifier options', () => {
  it('applies the documented defaults', async () => {
    const verifier = createVerifier(base());
    expect(verifier.options).toMatchObject({
      tokenTypes: ['at+jwt', 'application/at+jwt'],
      clockToleranceSeconds: 30,
      requiredClaims: [],
      binding: 'required',
      schemes: ['Bearer', 'mtls_pop'],
      certificateSource: { type: 'tls' },
      maxTokenLength: 8192,
      cache: { maxEntries: 10000, maxBytes: 67108864 },
    });
    expect(typeof verifier.options.currentTime).toBe('function');
    expect(Object.isFrozen(verifier.options)).toBe(true);
    await verifier.close();
  });

  it('resolves remote JWKS defaults', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUri: 'https://127.0.0.1:1/keys' });
    expect(verifier.options.jwksOptions).toEqual({ timeoutMs: 5000, cacheMaxAgeMs: 600000, cooldownMs: 30000, maxResponseBytes: 65536 });
    await verifier.close();
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['issuer missing', { issuer: undefined }, /^issuer must be/],
    ['issuer empty list', { issuer: [] }, /^issuer must be/],
    ['issuer with an empty string', { issuer: [''] }, /^issuer must be/],
    ['issuer with two placeholders', { issuer: 'https://x/{tenantid}/{tenantid}' }, /issuer may contain "\{tenantid\}" at most once/],
    ['audience missing', { audience: undefined }, /^audience must be/],
    ['audience a number', { audience: 42 }, /^audience must be/],
    ['algorithms missing', { algorithms: undefined }, /^algorithms must be a non-empty array of JWS algorithms/],
    ['algorithms empty', { algorithms: [] }, /^algorithms must be a non-empty array of JWS algorithms/],
    ['algorithms with none', { algorithms: ['none'] }, /^algorithms must be a non-empty array of JWS algorithms/],
    ['algorithms with HS256', { algorithms: ['RS256', 'HS256'] }, /^algorithms must be a non-empty array of JWS algorithms/],
    ['algorithms a string', { algorithms: 'RS256' }, /^algorithms must be/],
    ['both jwks and jwksUri', { jwksUri: 'https://example.test/keys' }, /exactly one of jwks and jwksUri/],
    ['neither jwks nor jwksUri', { jwks: undefined }, /exactly one of jwks and jwksUri/],
    ['jwks without keys', { jwks: { key: [] } }, /^jwks must be a JWK Set/],
    ['jwksOptions with static jwks', { jwksOptions: { timeoutMs: 1 } }, /jwksOptions applies to jwksUri only/],
    ['tokenTypes empty', { tokenTypes: [] }, /^tokenTypes must be/],
    ['tokenTypes a string', { tokenTypes: 'at+jwt' }, /^tokenTypes must be/],
    ['clockToleranceSeconds negative', { clockToleranceSeconds: -1 }, /^clockToleranceSeconds must be/],
    ['clockToleranceSeconds NaN', { clockToleranceSeconds: Number.NaN }, /^clockToleranceSeconds must be/],
    ['currentTime not a function', { currentTime: 5 }, /^currentTime must be a function/],
    ['requiredClaims with a number', { requiredClaims: [1] }, /^requiredClaims must be/],
    ['binding unknown', { binding: 'off' }, /^binding must be one of/],
    ['schemes empty', { schemes: [] }, /^schemes must be/],
    ['schemes with a space', { schemes: ['Bearer token'] }, /^schemes must be/],
    ['schemes repeated in another case', { schemes: ['Bearer', 'bearer'] }, /^schemes must not repeat/],
    ['certificateSource unknown type', { certificateSource: { type: 'cookie' } }, /^certificateSource.type must be/],
    ['header source without trustedProxies', { certificateSource: { type: 'header', format: 'rfc9440' } }, /trustedProxies is required/],
    ['maxTokenLength zero', { maxTokenLength: 0 }, /^maxTokenLength must be an integer/],
    ['maxTokenLength fractional', { maxTokenLength: 100.5 }, /^maxTokenLength must be an integer/],
    ['cache true', { cache: true }, /^cache must be false or an object/],
    ['cache maxEntries zero', { cache: { maxEntries: 0 } }, /^cache.maxEntries must be an integer/],
    ['cache unknown member', { cache: { ttl: 1 } }, /^cache.ttl is not a known option/],
    ['cache maxBytes below 64 KiB', { cache: { maxBytes: 1024 } }, /^cache.maxBytes must be an integer/],
    ['realm with a quote', { realm: 'a"b' }, /^realm must be a string without quotes/],
    ['realm with CRLF', { realm: 'a\r\nSet-Cookie: x' }, /^realm must be a string without quotes/],
    ['onEvent not a function', { onEvent: 'log' }, /^onEvent must be a function/],
    ['a misspelt option', { audiance: AUDIENCE }, /^audiance is not a known verifier option/],
  ];
  it.each(invalid)('refuses %s with a TypeError naming the field', (_name, overrides, message) => {
    expect(creating(overrides)).toThrow(TypeError);
    expect(creating(overrides)).toThrow(message);
  });

  const invalidRemote: [string, Record<string, unknown>, RegExp][] = [
    ['http jwksUri', { jwksUri: 'http://example.test/keys' }, /^jwksUri must use https/],
    ['jwksUri not a URL', { jwksUri: 'keys' }, /^jwksUri must be an https URL/],
    ['jwksUri with credentials', { jwksUri: 'https://user:pw@example.test/keys' }, /^jwksUri must not contain credentials/],
    ['jwksOptions.timeoutMs zero', { jwksOptions: { timeoutMs: 0 } }, /^jwksOptions.timeoutMs must be an integer/],
    ['jwksOptions.cooldownMs negative', { jwksOptions: { cooldownMs: -1 } }, /^jwksOptions.cooldownMs must be an integer/],
    ['jwksOptions.maxResponseBytes huge', { jwksOptions: { maxResponseBytes: 2 ** 40 } }, /^jwksOptions.maxResponseBytes must be an integer/],
    ['jwksOptions.ca not PEM', { jwksOptions: { ca: 'not a certificate' } }, /^jwksOptions.ca must hold PEM certificates/],
    ['jwksOptions unknown member', { jwksOptions: { rejectUnauthorized: false } }, /^jwksOptions.rejectUnauthorized is not a known option/],
  ];
  it.each(invalidRemote)('refuses %s with a TypeError naming the field', (_name, overrides, message) => {
    const create = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUri: 'https://example.test/keys', ...overrides } as VerifierOptions);
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('SECURITY 1: refuses a static JWKS key without alg that fits several allowed algorithms', () => {
    const { alg: _alg, ...withoutAlg } = rsa.publicJwk;
    expect(() => createVerifier({ ...base(), algorithms: ['RS256', 'PS256'], jwks: { keys: [withoutAlg as never] } })).toThrow(
      /jwks.keys\[0\] has no "alg" and fits several allowed algorithms \(RS256, PS256\)/,
    );
  });

  it('SECURITY 1: refuses a static JWKS key whose kty contradicts its alg', () => {
    expect(() => createVerifier({ ...base(), jwks: { keys: [{ ...ec.publicJwk, alg: 'RS256' }] } })).toThrow(/jwks.keys\[0\] "kty"\/"crv" do not fit "alg" RS256/);
  });

  it('SECURITY 1: refuses a static JWKS containing private key material', () => {
    expect(() => createVerifier({ ...base(), jwks: { keys: [{ ...rsa.publicJwk, d: 'AQAB' }] } })).toThrow(/contains private key material/);
  });

  it('SECURITY 1: refuses a static JWKS with no key usable for the allowed algorithms', () => {
    expect(() => createVerifier({ ...base(), jwks: jwksOf(ec) })).toThrow(/jwks must contain at least one public signing key/);
    expect(() => createVerifier({ ...base(), jwks: { keys: [{ ...rsa.publicJwk, use: 'enc' }] } })).toThrow(/at least one public signing key/);
  });
});
