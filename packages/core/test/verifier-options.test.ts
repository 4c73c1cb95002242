import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import { ConfigurationError, headerSource, remoteKeys, staticKeys, tlsSource } from '../src/index.js';
import type { VerifierOptions } from '../src/types.js';
import type { RemoteKeysOptions } from '../src/keys/remote-keys.js';
import { AUDIENCE, ISSUER, createTestKey, jwksOf, type TestKey } from './helpers/tokens.js';

let rsa: TestKey;
let ec: TestKey;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([createTestKey('RS256'), createTestKey('ES256')]);
});

function base(): VerifierOptions {
  return { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: staticKeys(jwksOf(rsa)) };
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
      keys: { kind: 'static' },
      maxTokenLength: 8192,
      cache: { maxEntries: 10000, maxBytes: 67108864 },
    });
    expect(typeof verifier.options.currentTime).toBe('function');
    expect(Object.isFrozen(verifier.options)).toBe(true);
    await verifier.close();
  });

  it('resolves remote JWKS defaults', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: remoteKeys({ uri: 'https://127.0.0.1:1/keys' }) });
    expect(verifier.options.keys).toMatchObject({ kind: 'remote', uri: 'https://127.0.0.1:1/keys', timeoutMs: 5000, cacheMaxAgeMs: 600000, cooldownMs: 30000, maxResponseBytes: 65536, ca: undefined });
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
    ['keys missing', { keys: undefined }, /^keys is required: remoteKeys\(\{ uri \}\) or staticKeys\(jwks\)/],
    ['keys as a bare JWK Set', { keys: { keys: [] } }, /^keys must be a key source/],
    ['the old jwksUri option', { jwksUri: 'https://example.test/keys' }, /^jwksUri is not a known verifier option/],
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
    ['certificateSource as plain options', { certificateSource: { type: 'header', format: 'rfc9440', trustedProxies: ['10.0.0.0/8'] } }, /^certificateSource must be a certificate source/],
    ['certificateSource of unknown type', { certificateSource: { type: 'cookie', lookup: () => null } }, /^certificateSource must be a certificate source/],
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
  it.each(invalid)('refuses %s with a ConfigurationError naming the field', (_name, overrides, message) => {
    expect(creating(overrides)).toThrow(ConfigurationError);
    expect(creating(overrides)).toThrow(message);
  });

  it('puts the offending field on the error', () => {
    expect(creating({ cache: { maxEntries: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', field: 'cache.maxEntries' }));
    expect(() => headerSource({ format: 'xfcc', trustedProxies: ['10.0.0.0/8', 'x'] })).toThrow(expect.objectContaining({ field: 'certificateSource.trustedProxies[1]' }));
  });

  it('accepts the certificate sources as values', async () => {
    const tls = createVerifier({ ...base(), certificateSource: tlsSource() });
    const header = createVerifier({ ...base(), certificateSource: headerSource({ format: 'rfc9440', trustedProxies: ['10.0.0.0/8'] }) });
    expect(tls.options.certificateSource.type).toBe('tls');
    expect(header.options.certificateSource).toMatchObject({ type: 'header', format: 'rfc9440', header: 'client-cert' });
    await Promise.all([tls.close(), header.close()]);
  });

  const invalidRemote: [string, Record<string, unknown>, RegExp][] = [
    ['http uri', { uri: 'http://example.test/keys' }, /^remoteKeys.uri must be an https URL/],
    ['uri not a URL', { uri: 'keys' }, /^remoteKeys.uri must be an absolute https URL/],
    ['uri with credentials', { uri: 'https://user:pw@example.test/keys' }, /^remoteKeys.uri must not contain credentials/],
    ['timeoutMs zero', { timeoutMs: 0 }, /^remoteKeys.timeoutMs must be an integer/],
    ['cooldownMs negative', { cooldownMs: -1 }, /^remoteKeys.cooldownMs must be an integer/],
    ['maxResponseBytes huge', { maxResponseBytes: 2 ** 40 }, /^remoteKeys.maxResponseBytes must be an integer/],
    ['ca not PEM', { ca: 'not a certificate' }, /^remoteKeys.ca must hold PEM certificates/],
    ['an unknown member', { rejectUnauthorized: false }, /^remoteKeys.rejectUnauthorized is not a known option/],
  ];
  it.each(invalidRemote)('remoteKeys refuses %s with a ConfigurationError naming the field', (_name, overrides, message) => {
    const create = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: remoteKeys({ uri: 'https://example.test/keys', ...overrides } as RemoteKeysOptions) });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(message);
  });

  it('staticKeys refuses a value that is not a JWK Set', () => {
    expect(() => staticKeys({ key: [] } as never)).toThrow(/^jwks must be a JWK Set/);
  });

  it('SECURITY 1: refuses a static JWKS key without alg that fits several allowed algorithms', () => {
    const { alg: _alg, ...withoutAlg } = rsa.publicJwk;
    expect(() => createVerifier({ ...base(), algorithms: ['RS256', 'PS256'], keys: staticKeys({ keys: [withoutAlg as never] }) })).toThrow(
      /jwks.keys\[0\] has no "alg" and fits several allowed algorithms \(RS256, PS256\)/,
    );
  });

  it('SECURITY 1: refuses a static JWKS key whose kty contradicts its alg', () => {
    expect(() => createVerifier({ ...base(), keys: staticKeys({ keys: [{ ...ec.publicJwk, alg: 'RS256' }] }) })).toThrow(/jwks.keys\[0\] "kty"\/"crv" do not fit "alg" RS256/);
  });

  it('SECURITY 1: refuses a static JWKS containing private key material', () => {
    expect(() => createVerifier({ ...base(), keys: staticKeys({ keys: [{ ...rsa.publicJwk, d: 'AQAB' }] }) })).toThrow(/contains private key material/);
  });

  it('SECURITY 1: refuses a static JWKS with no key usable for the allowed algorithms', () => {
    expect(() => createVerifier({ ...base(), keys: staticKeys(jwksOf(ec)) })).toThrow(/jwks must contain at least one public signing key/);
    expect(() => createVerifier({ ...base(), keys: staticKeys({ keys: [{ ...rsa.publicJwk, use: 'enc' }] }) })).toThrow(/at least one public signing key/);
  });
});
