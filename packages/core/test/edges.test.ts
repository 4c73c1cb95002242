// Edges that hand-made mutants of core survived until these tests: each `describe` names the code it pins down and
// the mutant it kills (see the commit that added this file).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDevPki } from '@certbound/dev-pki';
import { headerSource } from '../src/certificates/header.js';
import { tlsSource } from '../src/certificates/tls.js';
import { createIssuerMatcher } from '../src/claims/issuer.js';
import { isCanonicalBase64url } from '../src/jose/base64url.js';
import { ConfigurationError, staticKeys } from '../src/index.js';
import { createVerifier } from '../src/verify/verifier.js';
import type { VerifyResult } from '../src/types.js';
import { pemOf, requestInput, TRUSTED } from './certificates/support.js';
import { AUDIENCE, ISSUER, b64url, claimsAt, clock, createTestKey, headerFor, signCompact, signToken, verifierWith } from './helpers/tokens.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes in a non-canonical spelling: an unused low bit of the last character set. */
function nonCanonical(text: string): string {
  const last = ALPHABET.indexOf(text.at(-1)!);
  return text.slice(0, -1) + ALPHABET[last | 1];
}

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

describe('certificates/tls.ts: TLS 1.2 thumbprints are read per request', () => {
  // Mutant: the thumbprint memoised per connection whatever the protocol — after a TLS 1.2 renegotiation the old
  // certificate (or its absence) would still bind. Node's TLS client does not present its certificate when a server
  // renegotiates (tried: the server sees none), so the change is modelled on one socket object, as a renegotiation
  // would look to the verifier: same socket, protocol TLSv1.2, another peer certificate.
  it('the same TLS 1.2 socket presenting another certificate is read again; a TLS 1.3 socket is read once', async () => {
    const pki = await createDevPki({ clients: ['client-a', 'client-b'] });
    const [a, b] = [pki.clients['client-a']!, pki.clients['client-b']!];
    const socketWith = (protocol: string) => {
      let current: Buffer | null = null;
      let reads = 0;
      return {
        present(der: Buffer | null) {
          current = der;
        },
        reads: () => reads,
        getProtocol: () => protocol,
        getPeerCertificate() {
          reads++;
          return current === null ? {} : { raw: current };
        },
      };
    };
    const source = tlsSource();
    const tls12 = socketWith('TLSv1.2');
    expect(source.lookup({ headers: {}, socket: tls12 })).toMatchObject({ thumbprint: null });
    tls12.present(a.der);
    expect(source.lookup({ headers: {}, socket: tls12 })).toMatchObject({ thumbprint: a.thumbprint, from: 'tls' });
    tls12.present(b.der);
    expect(source.lookup({ headers: {}, socket: tls12 })).toMatchObject({ thumbprint: b.thumbprint, from: 'tls' });
    // TLS 1.3 has no renegotiation: one read per connection is enough (and is what the memo is for).
    const tls13 = socketWith('TLSv1.3');
    tls13.present(a.der);
    expect(source.lookup({ headers: {}, socket: tls13 })).toMatchObject({ thumbprint: a.thumbprint });
    expect(source.lookup({ headers: {}, socket: tls13 })).toMatchObject({ thumbprint: a.thumbprint });
    expect(tls13.reads()).toBe(1);
  });
});

describe('claims/issuer.ts: the tid substituted into an issuer template', () => {
  // Mutant: a `.` allowed in the tenant id — `..` or `evil.example` would then build other issuer paths or hosts.
  const { matches } = createIssuerMatcher(['https://login.microsoftonline.com/{tenantid}/v2.0']);
  it('accepts a GUID tid and refuses a tid with dots, even when iss was built from it', () => {
    const tid = '3c5b8e1a-7d2f-4e9b-a1c6-0f4d2b8e9a71';
    expect(matches({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid })).toBe(true);
    for (const dotted of ['..', 'evil.example', 'a.b', '.']) {
      expect(matches({ iss: `https://login.microsoftonline.com/${dotted}/v2.0`, tid: dotted }), dotted).toBe(false);
    }
  });
});

describe('jose/base64url.ts and keys/jwk.ts: canonical base64url key members', () => {
  // Mutant: isCanonicalBase64url always true — a JWK whose n, x or y is spelled non-canonically would be imported.
  it('isCanonicalBase64url refuses set unused bits, a stray length and foreign characters', () => {
    expect(isCanonicalBase64url('AQAB')).toBe(true);
    expect(isCanonicalBase64url('AQ')).toBe(true);
    expect(isCanonicalBase64url('AR')).toBe(false); // 4 unused bits, one set
    expect(isCanonicalBase64url('AQA')).toBe(true);
    expect(isCanonicalBase64url('AQB')).toBe(false); // 2 unused bits, one set
    expect(isCanonicalBase64url('AQABA')).toBe(false);
    expect(isCanonicalBase64url('AQ+/')).toBe(false);
  });

  it.each([
    ['RS256', 'n'],
    ['ES256', 'x'],
    ['ES256', 'y'],
  ] as const)('a %s JWK with a non-canonical "%s" is a configuration error, never a usable key', async (alg, member) => {
    const key = await createTestKey(alg, 'k');
    const spelled = String(key.publicJwk[member as keyof typeof key.publicJwk]);
    const jwk = { ...key.publicJwk, [member]: nonCanonical(spelled) };
    // The bytes are the same: a lenient decoder would import the very same key.
    expect(Buffer.from(String(jwk[member]), 'base64url')).toEqual(Buffer.from(spelled, 'base64url'));
    const create = (): unknown => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], keys: staticKeys({ keys: [jwk] }), currentTime: clock });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(expect.objectContaining({ field: 'jwks.keys[0]' }));
  });
});

describe('certificates/argument.ts: verifyToken with a precomputed thumbprint', () => {
  // Mutant: any 43-character string taken as a thumbprint — a non-canonical spelling of the bound one would bind.
  it('refuses a non-canonical 43-character thumbprint of the bound certificate (400), accepts the canonical one', async () => {
    const key = await createTestKey('ES256', 'es');
    const thumbprint = createHash('sha256').update('certificate').digest('base64url');
    const verifier = verifierWith([key]);
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': thumbprint } }));
    expect(code(await verifier.verifyToken(token, { thumbprint }))).toBe('OK');
    const spelled = nonCanonical(thumbprint);
    expect(spelled).toHaveLength(43);
    expect(await verifier.verifyToken(token, { thumbprint: spelled })).toMatchObject({ ok: false, status: 400, code: 'ERR_CERTIFICATE_INVALID' });
  });
});

describe('verify/verifier.ts: verifyToken enforces maxTokenLength', () => {
  // Mutant: verifyToken without the length check — only verifyRequest's extractor would cap the token.
  it('a valid token one character longer than maxTokenLength is refused; at the limit it is accepted', async () => {
    const key = await createTestKey('ES256', 'es');
    const token = await signToken(key);
    const atLimit = verifierWith([key], { binding: 'if-present', maxTokenLength: token.length });
    const below = verifierWith([key], { binding: 'if-present', maxTokenLength: token.length - 1 });
    expect(code(await atLimit.verifyToken(token, null))).toBe('OK');
    expect(await below.verifyToken(token, null)).toMatchObject({ ok: false, status: 400, code: 'ERR_TOKEN_TOO_LONG' });
  });
});

describe('certificates/header.ts: a folded hash header', () => {
  // Mutant: the comma check on the hash header removed — two hash headers folded into one would read as malformed
  // (or, with a lenient parser, as one of them), not as the duplicate they are.
  it('a hash header Node folded from two lines ("h1, h2", no rawHeaders) is a duplicate', async () => {
    const pki = await createDevPki({ clients: ['client-a'] });
    const a = pki.clients['client-a']!;
    const hex = createHash('sha256').update(a.der).digest('hex');
    const source = headerSource({ format: 'nginx', trustedProxies: TRUSTED, hashHeader: 'x-hash' });
    const certificate = encodeURIComponent(pemOf(a.der));
    expect(source.lookup(requestInput([['x-ssl-client-cert', certificate], ['x-hash', hex]]))).toMatchObject({ ok: true, thumbprint: a.thumbprint });
    const folded = requestInput([['x-ssl-client-cert', certificate], ['x-hash', hex], ['x-hash', hex]], undefined, { raw: false });
    expect(folded.headers['x-hash']).toBe(`${hex}, ${hex}`);
    expect(source.lookup(folded)).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HEADER_DUPLICATE' });
  });
});

describe('jose/jws.ts: segment counts', () => {
  // Mutant: five or more dots taken for a JWE — a token of six or more segments must be malformed, not "encrypted".
  it('three segments verify, five are a JWE, four and six or more are malformed', async () => {
    const key = await createTestKey('ES256', 'es');
    const verifier = verifierWith([key], { binding: 'if-present' });
    const token = signCompact(key, headerFor(key), claimsAt());
    expect(code(await verifier.verifyToken(token, null))).toBe('OK');
    const header = b64url(headerFor(key));
    const segments = (count: number): string => [header, ...Array.from({ length: count - 1 }, () => 'AAAA')].join('.');
    expect(code(await verifier.verifyToken(segments(4), null))).toBe('ERR_JWT_MALFORMED');
    expect(code(await verifier.verifyToken(segments(5), null))).toBe('ERR_JWE_UNSUPPORTED');
    for (const count of [6, 7, 12]) expect(code(await verifier.verifyToken(segments(count), null)), `${count} segments`).toBe('ERR_JWT_MALFORMED');
  });
});
