// The fast path (node:crypto.verify with pre-imported KeyObjects, our own compact-JWS parser) against
// jose.jwtVerify with the same options: on more than 1,000 valid and mutated tokens across RS256, PS256, ES256 and
// EdDSA both must accept and reject exactly the same set.
//
// Deliberately kept OUT of this set, because the verifier is stricter than jose there (each is proven in its own
// test, see security-*.test.ts and the "stricter than jose" block at the end of this file):
// - non-canonical base64url: `==` padding, whitespace or non-zero unused bits in the signature segment (jose's
//   decoder ignores them; the signing input is unchanged so jose still verifies);
// - non-finite numeric dates (exp 1e999), iat in the future (jose checks iat only with maxTokenAge);
// - crit (jose understands b64), b64 without crit, nested JWT (cty), enc in a JWS header;
// - cnf values (jose does not look at cnf; these tokens carry no cnf and the verifier runs with binding if-present);
// - JWKS keys without alg that fit several allowed algorithms (every JWK here carries its alg).
import { KeyObject, createHmac, sign as cryptoSign } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTVerifyOptions } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JwsAlgorithm, Verifier } from '../src/types.js';
import { AUDIENCE, ISSUER, NOW, b64url, claimsAt, createTestKey, headerFor, jwksOf, rawSignature, signCompact, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

const ALGS: JwsAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

interface Case {
  name: string;
  token: string;
}

let keys: Record<string, TestKey>;
let attackers: Record<string, TestKey>;
let cases: Case[];

/** A deterministic pseudo-random sequence, so failures reproduce. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function replaceAt(text: string, index: number, character: string): string {
  return text.slice(0, index) + character + text.slice(index + 1);
}

function segments(token: string): [string, string, string] {
  const [h, p, s] = token.split('.');
  return [h!, p!, s!];
}

/** Mutations that change the token bytes the signature covers, or the signature bytes themselves (canonically). */
function mutations(token: string, random: () => number, other: string): Case[] {
  const [h, p, s] = segments(token);
  const out: Case[] = [];
  const flip = (segment: string) => {
    const index = Math.floor(random() * segment.length);
    const current = segment[index]!;
    let replacement = current;
    while (replacement === current) replacement = BASE64URL[Math.floor(random() * 64)]!;
    return replaceAt(segment, index, replacement);
  };
  for (let i = 0; i < 3; i++) out.push({ name: 'header char flipped', token: `${flip(h)}.${p}.${s}` });
  for (let i = 0; i < 3; i++) out.push({ name: 'payload char flipped', token: `${h}.${flip(p)}.${s}` });
  const signature = Buffer.from(s, 'base64url');
  for (let i = 0; i < 3; i++) {
    const bytes = Buffer.from(signature);
    const index = Math.floor(random() * bytes.length);
    bytes[index] = bytes[index]! ^ (1 + Math.floor(random() * 255));
    out.push({ name: 'signature byte flipped', token: `${h}.${p}.${bytes.toString('base64url')}` });
  }
  out.push({ name: 'signature char flipped (not the last)', token: `${h}.${p}.${replaceAt(s, 0, s[0] === 'A' ? 'B' : 'A')}` });
  out.push({ name: 'truncated at a random point', token: token.slice(0, 1 + Math.floor(random() * (token.length - 1))) });
  out.push({ name: 'signature missing its last char', token: token.slice(0, -1) });
  out.push({ name: 'signature missing its last two chars', token: token.slice(0, -2) });
  out.push({ name: 'signature cut in half', token: `${h}.${p}.${s.slice(0, s.length >> 1)}` });
  out.push({ name: 'empty signature', token: `${h}.${p}.` });
  out.push({ name: 'signature of another token', token: `${h}.${p}.${segments(other)[2]}` });
  out.push({ name: 'payload of another token', token: `${h}.${segments(other)[1]}.${s}` });
  out.push({ name: 'one padding char on the signature', token: `${token}=` });
  out.push({ name: 'padding on the header', token: `${h}=.${p}.${s}` });
  out.push({ name: 'padding on the payload', token: `${h}.${p}==.${s}` });
  out.push({ name: 'standard base64 alphabet in the payload', token: `${h}.${p.replaceAll('-', '+').replaceAll('_', '/')}x.${s}` });
  out.push({ name: '+ in the signature', token: `${h}.${p}.+${s.slice(1)}` });
  out.push({ name: 'non-canonical last char of the header', token: `${replaceAt(h, h.length - 1, BASE64URL[(BASE64URL.indexOf(h.at(-1)!) + 1) % 64]!)}.${p}.${s}` });
  out.push({ name: 'whitespace inside the header', token: `${h.slice(0, 4)} ${h.slice(4)}.${p}.${s}` });
  out.push({ name: 'fourth segment appended', token: `${token}.${s}` });
  out.push({ name: 'five segments', token: `${token}.${p}.${s}` });
  out.push({ name: 'segments swapped', token: `${p}.${h}.${s}` });
  out.push({ name: 'upper-cased token', token: token.toUpperCase() });
  out.push({ name: 'leading dot', token: `.${token}` });
  return out;
}

/** Re-signed variants: validly signed tokens whose header or claims carry edge values. */
async function variants(key: TestKey, other: TestKey, attacker: TestKey): Promise<Case[]> {
  const claimVariants: [string, Record<string, unknown>][] = [
    ['exp past beyond leeway', { exp: NOW - 31 }],
    ['exp at now minus leeway', { exp: NOW - 30 }],
    ['exp within leeway', { exp: NOW - 29 }],
    ['exp fractional', { exp: NOW + 10.25 }],
    ['exp huge finite', { exp: 1e15 }],
    ['exp negative', { exp: -5 }],
    ['exp missing', { exp: undefined }],
    ['exp string', { exp: String(NOW + 600) }],
    ['exp null', { exp: null }],
    ['exp boolean', { exp: true }],
    ['exp array', { exp: [NOW + 600] }],
    ['nbf future beyond leeway', { nbf: NOW + 31 }],
    ['nbf within leeway', { nbf: NOW + 30 }],
    ['nbf string', { nbf: String(NOW) }],
    ['nbf null', { nbf: null }],
    ['iat string', { iat: 'now' }],
    ['iat null', { iat: null }],
    ['iat within leeway', { iat: NOW + 30 }],
    ['nbf and iat absent', { nbf: undefined, iat: undefined }],
    ['aud wrong', { aud: 'api://other' }],
    ['aud array with ours', { aud: ['x', AUDIENCE, 3] }],
    ['aud array without ours', { aud: ['x', 'y'] }],
    ['aud empty array', { aud: [] }],
    ['aud number', { aud: 7 }],
    ['aud missing', { aud: undefined }],
    ['aud trailing slash', { aud: `${AUDIENCE}/` }],
    ['iss trailing slash', { iss: `${ISSUER}/` }],
    ['iss upper case', { iss: ISSUER.toUpperCase() }],
    ['iss missing', { iss: undefined }],
    ['iss array', { iss: [ISSUER] }],
    ['iss number', { iss: 1 }],
    ['sub number', { sub: 12 }],
    ['unicode claims', { name: 'Zoë 😀 名前', nested: { deep: [1, { x: null }] } }],
  ];
  const out: Case[] = [];
  for (const [name, overrides] of claimVariants) out.push({ name: `claims: ${name}`, token: await signToken(key, claimsAt(overrides)) });

  const headerVariants: [string, Record<string, unknown>][] = [
    ['typ AT+JWT', { typ: 'AT+JWT' }],
    ['typ application/at+jwt', { typ: 'application/at+jwt' }],
    ['typ application/AT+JWT', { typ: 'application/AT+JWT' }],
    ['typ JWT', { typ: 'JWT' }],
    ['typ with a space', { typ: 'at+jwt ' }],
    ['typ other media type', { typ: 'text/at+jwt' }],
    ['typ number', { typ: 1 }],
    ['kid unknown', { kid: 'nobody' }],
    ['kid of another algorithm key', { kid: other.kid }],
    ['kid number', { kid: 7 }],
    ['kid null', { kid: null }],
    ['kid object', { kid: { id: key.kid } }],
    ['jku elsewhere', { jku: 'https://attacker.example/jwks' }],
    ['x5u elsewhere', { x5u: 'https://attacker.example/cert' }],
    ['jwk embedded', { jwk: attacker.publicJwk }],
    ['x5c embedded', { x5c: ['MIIB'] }],
    ['unknown header member', { foo: 'bar' }],
  ];
  for (const [name, extra] of headerVariants) out.push({ name: `header: ${name}`, token: signCompact(key, headerFor(key, extra), claimsAt()) });

  out.push({ name: 'header: typ missing', token: signCompact(key, { alg: key.alg, kid: key.kid }, claimsAt()) });
  out.push({ name: 'header: kid missing (one key per algorithm)', token: signCompact(key, { alg: key.alg, typ: 'at+jwt' }, claimsAt()) });
  out.push({ name: 'header: alg of the other algorithm', token: signCompact(key, headerFor(key, { alg: other.alg }), claimsAt()) });
  out.push({ name: 'header: alg none', token: `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claimsAt())}.` });
  const hsInput = `${b64url({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })}.${b64url(claimsAt())}`;
  out.push({ name: 'header: HS256 with the public key as secret', token: `${hsInput}.${createHmac('sha256', JSON.stringify(key.publicJwk)).update(hsInput).digest('base64url')}` });
  out.push({ name: 'attacker key under the real kid', token: signCompact({ ...attacker, kid: key.kid }, headerFor(key), claimsAt()) });
  out.push({ name: 'attacker key with embedded jwk', token: signCompact(attacker, headerFor(attacker, { jwk: attacker.publicJwk }), claimsAt()) });
  out.push({ name: 'payload: JSON array', token: signCompact(key, headerFor(key), '[1]') });
  out.push({ name: 'payload: not JSON', token: signCompact(key, headerFor(key), 'not json') });
  out.push({ name: 'payload: invalid UTF-8', token: signCompact(key, headerFor(key), Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])) });
  out.push({ name: 'payload: empty', token: signCompact(key, headerFor(key), '', { payload: '' }) });
  out.push({ name: 'header: JSON array', token: signCompact(key, {}, claimsAt(), { header: b64url([key.alg]) }) });
  if (key.alg === 'ES256') {
    // ECDSA signatures in DER instead of r||s, and the "high-S" twin of a valid signature (both valid or both not).
    const input = `${b64url(headerFor(key))}.${b64url(claimsAt({ jti: 'der' }))}`;
    const der = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding: 'der' });
    out.push({ name: 'ES256 DER signature', token: `${input}.${der.toString('base64url')}` });
    const rs = rawSignature(key, input);
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt(`0x${rs.subarray(32).toString('hex')}`);
    const highS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
    out.push({ name: 'ES256 high-S signature', token: `${input}.${Buffer.concat([rs.subarray(0, 32), highS]).toString('base64url')}` });
  }
  return out;
}

beforeAll(async () => {
  const created = await Promise.all(ALGS.map((alg) => createTestKey(alg, `${alg.toLowerCase()}-1`)));
  const attackerKeys = await Promise.all(ALGS.map((alg) => createTestKey(alg, `${alg.toLowerCase()}-attacker`)));
  keys = Object.fromEntries(created.map((key) => [key.alg, key]));
  attackers = Object.fromEntries(attackerKeys.map((key) => [key.alg, key]));
  const random = prng(8705);
  cases = [];
  for (const [index, alg] of ALGS.entries()) {
    const key = keys[alg]!;
    const other = keys[ALGS[(index + 1) % ALGS.length]!]!;
    const valid: string[] = [];
    for (let i = 0; i < 12; i++) {
      const claims = claimsAt({
        jti: `${alg}-${i}`,
        sub: `user-${i}`,
        exp: NOW + 60 + Math.floor(random() * 3600),
        ...(i % 3 === 0 ? { aud: ['api://x', AUDIENCE] } : {}),
        ...(i % 4 === 0 ? { scp: 'orders.read orders.write' } : {}),
      });
      valid.push(await signToken(key, claims));
    }
    for (const token of valid) cases.push({ name: `${alg} valid`, token });
    for (const [i, token] of valid.entries()) {
      for (const mutated of mutations(token, random, valid[(i + 1) % valid.length]!)) cases.push({ name: `${alg} ${mutated.name}`, token: mutated.token });
    }
    for (const variant of await variants(key, other, attackers[alg]!)) cases.push({ name: `${alg} ${variant.name}`, token: variant.token });
  }
}, 60_000);

const joseOptions: JWTVerifyOptions = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ALGS,
  typ: 'at+jwt',
  clockTolerance: 30,
  currentDate: new Date(NOW * 1000),
  requiredClaims: ['exp'],
};

async function joseAccepts(token: string, jwks: ReturnType<typeof createLocalJWKSet>): Promise<boolean> {
  try {
    await jwtVerify(token, jwks, joseOptions);
    return true;
  } catch {
    return false;
  }
}

describe('differential: fast path versus jose.jwtVerify', () => {
  function verifiers(): { cold: Verifier; warm: Verifier } {
    const all = ALGS.map((alg) => keys[alg]!);
    const options = { binding: 'if-present' as const, tokenTypes: ['at+jwt'], clockToleranceSeconds: 30 };
    return { cold: verifierWith(all, { ...options, cache: false }), warm: verifierWith(all, options) };
  }

  it('generates at least 1000 tokens across RS256, PS256, ES256 and EdDSA, valid and invalid', () => {
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    for (const alg of ALGS) expect(cases.filter((c) => c.name.startsWith(alg)).length, alg).toBeGreaterThan(200);
  });

  it('accepts and rejects exactly the same set as jose.jwtVerify (cache off and cache on, each token twice)', async () => {
    const jwks = createLocalJWKSet(jwksOf(...ALGS.map((alg) => keys[alg]!)) as never);
    const { cold, warm } = verifiers();
    const disagreements: string[] = [];
    let accepted = 0;
    for (const { name, token } of cases) {
      const expected = await joseAccepts(token, jwks);
      const answers = [await cold.verifyToken(token, null), await warm.verifyToken(token, null), await warm.verifyToken(token, null)];
      for (const answer of answers) {
        if (answer.ok !== expected) disagreements.push(`${name}: jose ${expected ? 'accepts' : 'rejects'}, verifier ${answer.ok ? 'accepts' : `rejects (${answer.code})`}`);
      }
      if (expected) accepted++;
    }
    expect(disagreements).toEqual([]);
    // Both outcomes are well represented: the set is not trivially all-valid or all-invalid.
    expect(accepted).toBeGreaterThan(100);
    expect(cases.length - accepted).toBeGreaterThan(600);
  }, 60_000);

  it('returns the same claims and header as jose for every accepted token', async () => {
    const jwks = createLocalJWKSet(jwksOf(...ALGS.map((alg) => keys[alg]!)) as never);
    const { cold } = verifiers();
    for (const { token } of cases.filter((c) => c.name.endsWith('valid'))) {
      const ours = await cold.verifyToken(token, null);
      const theirs = await jwtVerify(token, jwks, joseOptions);
      expect(ours.ok).toBe(true);
      if (ours.ok) {
        expect(ours.claims).toEqual(theirs.payload);
        expect(ours.header).toEqual(theirs.protectedHeader);
      }
    }
  });
});

describe('stricter than jose (kept out of the differential set on purpose)', () => {
  let jwks: ReturnType<typeof createLocalJWKSet>;
  let verifier: Verifier;
  beforeAll(() => {
    jwks = createLocalJWKSet(jwksOf(...ALGS.map((alg) => keys[alg]!)) as never);
    verifier = verifierWith(ALGS.map((alg) => keys[alg]!), { binding: 'if-present', tokenTypes: ['at+jwt'] });
  });

  async function differ(token: string, code: string): Promise<void> {
    expect(await joseAccepts(token, jwks)).toBe(true);
    const result = await verifier.verifyToken(token, null);
    expect(result.ok ? 'OK' : result.code).toBe(code);
  }

  it.each(ALGS)('SECURITY 2: %s signature with == padding is refused (jose decodes it leniently)', async (alg) => {
    await differ(`${await signToken(keys[alg]!)}==`, 'ERR_JWT_MALFORMED');
  });

  it.each(ALGS)('SECURITY 2: %s signature with non-zero unused bits in its last char is refused', async (alg) => {
    const token = await signToken(keys[alg]!);
    const last = token.at(-1)!;
    await differ(replaceAt(token, token.length - 1, BASE64URL[BASE64URL.indexOf(last) + 1]!), 'ERR_JWT_MALFORMED');
  });

  it('SECURITY 2: whitespace inside the signature is refused', async () => {
    const token = await signToken(keys['RS256']!);
    await differ(`${token.slice(0, -10)} ${token.slice(-10)}`, 'ERR_JWT_MALFORMED');
  });

  it('SECURITY 2: a padded header segment, validly signed, is refused', async () => {
    const key = keys['ES256']!;
    const header = b64url(headerFor(key));
    const padded = header.length % 4 === 0 ? null : `${header}${'='.repeat(4 - (header.length % 4))}`;
    if (padded === null) return;
    await differ(signCompact(key, {}, claimsAt(), { header: padded }), 'ERR_JWT_MALFORMED');
  });

  it('SECURITY 4: exp of 1e999 is refused (jose treats Infinity as a number)', async () => {
    const key = keys['EdDSA']!;
    await differ(signCompact(key, headerFor(key), `{"iss":"${ISSUER}","aud":"${AUDIENCE}","exp":1e999}`), 'ERR_CLAIM_INVALID');
  });

  it('SECURITY 4: iat in the future beyond the leeway is refused (jose checks iat only with maxTokenAge)', async () => {
    await differ(await signToken(keys['PS256']!, claimsAt({ iat: NOW + 3600 })), 'ERR_TOKEN_ISSUED_IN_FUTURE');
  });

  it('SECURITY 2: crit ["b64"] with b64 true is refused (jose understands b64)', async () => {
    const key = keys['ES256']!;
    await differ(signCompact(key, headerFor(key, { crit: ['b64'], b64: true }), claimsAt()), 'ERR_CRIT_UNSUPPORTED');
  });

  it('SECURITY 2: b64 false without crit is refused (jose ignores b64 unless it is critical)', async () => {
    const key = keys['ES256']!;
    await differ(signCompact(key, headerFor(key, { b64: false }), claimsAt()), 'ERR_JOSE_HEADER_INVALID');
  });

  it('SECURITY 2: a nested JWT (cty JWT) is refused (jwtVerify does not look at cty)', async () => {
    const key = keys['RS256']!;
    await differ(signCompact(key, headerFor(key, { cty: 'JWT' }), claimsAt()), 'ERR_JWE_UNSUPPORTED');
  });

  it('SECURITY 5: a non-string cnf x5t#S256 is refused (jose does not look at cnf)', async () => {
    await differ(await signToken(keys['EdDSA']!, claimsAt({ cnf: { 'x5t#S256': 5 } })), 'ERR_CNF_INVALID');
  });
});
