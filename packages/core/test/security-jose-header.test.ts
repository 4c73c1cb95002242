// docs/security.md rules 1 and 2: algorithms, keys and JOSE header tricks. Every hostile token is refused with a precise
// code and an RFC 6750 invalid_token answer; keys named in token headers are never fetched or used.
import { createHmac, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { exportJWK, exportSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/verify/verifier.js';
import type { VerifyResult } from '../src/types.js';
import { startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import {
  AUDIENCE,
  ISSUER,
  b64url,
  claimsAt,
  clock,
  createTestKey,
  headerFor,
  signCompact,
  signToken,
  verifierWith,
  type TestKey,
} from './helpers/tokens.js';
import { remoteKeys, staticKeys } from '../src/index.js';

let rs: TestKey;
let ps: TestKey;
let es: TestKey;
let ed: TestKey;
let attackerRs: TestKey;
let attackerEs: TestKey;
let pki: DevPki;
let lure: Server;
let lureUrl: string;
let lureHits = 0;

beforeAll(async () => {
  [rs, ps, es, ed, attackerRs, attackerEs, pki] = await Promise.all([
    createTestKey('RS256', 'rs'),
    createTestKey('PS256', 'ps'),
    createTestKey('ES256', 'es'),
    createTestKey('EdDSA', 'ed'),
    createTestKey('RS256', 'attacker-rs'),
    createTestKey('ES256', 'attacker-es'),
    createDevPki(),
  ]);
  // A server an attacker would point jku/x5u at: any request to it proves the verifier followed a header.
  lure = createServer((request, response) => {
    lureHits++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerRs.publicJwk] }));
  });
  await new Promise<void>((resolve) => lure.listen(0, '127.0.0.1', resolve));
  lureUrl = `http://127.0.0.1:${(lure.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => lure.close(() => resolve()));
});

function all() {
  return verifierWith([rs, ps, es, ed], { binding: 'if-present' });
}

function expectRefused(result: VerifyResult, code: string, status = 401): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.status).toBe(status);
  expect(result.challenge).toContain(status === 401 ? 'error="invalid_token"' : 'error=');
}

describe('SECURITY 1: algorithms are an allow-list, each key bound to one algorithm', () => {
  it('SECURITY 1: accepts a well-formed token for each algorithm (baseline)', async () => {
    const verifier = all();
    for (const key of [rs, ps, es, ed]) {
      const result = await verifier.verifyToken(await signToken(key), null);
      expect(result.ok, key.alg).toBe(true);
    }
  });

  it('SECURITY 1: refuses alg "none" with an empty signature', async () => {
    const token = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claimsAt())}.`;
    expectRefused(await all().verifyToken(token, null), 'ERR_ALG_NOT_ALLOWED');
  });

  it.each(['NONE', 'None', 'nOnE'])('SECURITY 1: refuses alg %s', async (alg) => {
    const token = `${b64url({ alg, typ: 'at+jwt' })}.${b64url(claimsAt())}.`;
    expectRefused(await all().verifyToken(token, null), 'ERR_ALG_NOT_ALLOWED');
  });

  it('SECURITY 1: refuses HS256 signed with the RSA public key (PEM) as HMAC secret', async () => {
    const pem = await exportSPKI(createPublicKey({ key: rs.publicJwk as never, format: 'jwk' }) as never);
    const signingInput = `${b64url({ alg: 'HS256', kid: 'rs', typ: 'at+jwt' })}.${b64url(claimsAt())}`;
    const mac = createHmac('sha256', pem).update(signingInput).digest('base64url');
    expectRefused(await all().verifyToken(`${signingInput}.${mac}`, null), 'ERR_ALG_NOT_ALLOWED');
  });

  it('SECURITY 1: refuses HS256 signed with the JWK modulus as HMAC secret', async () => {
    const signingInput = `${b64url({ alg: 'HS256', kid: 'rs', typ: 'at+jwt' })}.${b64url(claimsAt())}`;
    const mac = createHmac('sha256', String(rs.publicJwk.n)).update(signingInput).digest('base64url');
    expectRefused(await all().verifyToken(`${signingInput}.${mac}`, null), 'ERR_ALG_NOT_ALLOWED');
  });

  it('SECURITY 1: refuses an algorithm that is valid JOSE but not in the allow-list', async () => {
    const verifier = verifierWith([rs]);
    expectRefused(await verifier.verifyToken(await signToken(es), null), 'ERR_ALG_NOT_ALLOWED');
  });

  it('SECURITY 1: refuses PS256 signed with the RSA key registered for RS256 (one key, one algorithm)', async () => {
    const confused: TestKey = { ...rs, alg: 'PS256' };
    const token = signCompact(confused, { alg: 'PS256', kid: 'rs', typ: 'at+jwt' }, claimsAt());
    expectRefused(await all().verifyToken(token, null), 'ERR_KEY_ALG_MISMATCH');
  });

  it('SECURITY 1: refuses an ES256 token whose kid names the RSA key (kty must fit alg)', async () => {
    const token = signCompact(es, { alg: 'ES256', kid: 'rs', typ: 'at+jwt' }, claimsAt());
    expectRefused(await all().verifyToken(token, null), 'ERR_KEY_ALG_MISMATCH');
  });

  it.each([
    ['missing', {}],
    ['a number', { alg: 256 }],
    ['null', { alg: null }],
    ['an array', { alg: ['RS256'] }],
  ])('SECURITY 1: refuses a header whose alg is %s', async (_name, header) => {
    const token = `${b64url({ kid: 'rs', typ: 'at+jwt', ...header })}.${b64url(claimsAt())}.c2ln`;
    expectRefused(await all().verifyToken(token, null), 'ERR_JOSE_HEADER_INVALID');
  });

  it('SECURITY 1: refuses an RSA key shorter than 2048 bits in the JWKS', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'weak', alg: 'RS256' };
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: staticKeys({ keys: [jwk as never] }) })).toThrow(
      /shorter than 2048 bits/,
    );
  });

  it('SECURITY 1: infers the algorithm of a JWK without alg when exactly one allowed algorithm fits', async () => {
    const { alg: _alg, ...withoutAlg } = rs.publicJwk;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256', 'ES256'], keys: staticKeys({ keys: [withoutAlg as never] }), currentTime: clock, binding: 'if-present' });
    expect((await verifier.verifyToken(await signToken(rs), null)).ok).toBe(true);
    // The same RSA key is never usable for PS256, even though PS256 would fit an RSA key.
    const asPs = signCompact({ ...rs, alg: 'PS256' }, { alg: 'PS256', kid: 'rs', typ: 'at+jwt' }, claimsAt());
    expectRefused(await verifier.verifyToken(asPs, null), 'ERR_ALG_NOT_ALLOWED');
  });
});

describe('SECURITY 1: kid handling', () => {
  it('SECURITY 1: refuses an unknown kid', async () => {
    expectRefused(await all().verifyToken(await signToken(attackerRs), null), 'ERR_KEY_NOT_FOUND');
  });

  it.each([
    ['an object', { kid: { $ne: null } }],
    ['a number', { kid: 1 }],
    ['null', { kid: null }],
    ['an array', { kid: ['rs'] }],
  ])('SECURITY 1: refuses a kid that is %s', async (_name, extra) => {
    const token = signCompact(rs, headerFor(rs, extra), claimsAt());
    expectRefused(await all().verifyToken(token, null), 'ERR_JOSE_HEADER_INVALID');
  });

  it('SECURITY 1: refuses a token without kid when several keys fit its algorithm', async () => {
    const second = await createTestKey('RS256', 'rs-2');
    const verifier = verifierWith([rs, second], { binding: 'if-present' });
    const token = signCompact(rs, { alg: 'RS256', typ: 'at+jwt' }, claimsAt());
    expectRefused(await verifier.verifyToken(token, null), 'ERR_KEY_NOT_FOUND');
  });

  it('SECURITY 1: accepts a token without kid when exactly one key fits its algorithm (as jose does)', async () => {
    const token = signCompact(rs, { alg: 'RS256', typ: 'at+jwt' }, claimsAt());
    expect((await all().verifyToken(token, null)).ok).toBe(true);
  });

  it('SECURITY 1: refuses a kid shared by two different keys with the same algorithm', async () => {
    const twin = await createTestKey('RS256', 'rs');
    const verifier = verifierWith([rs, twin], { binding: 'if-present' });
    expectRefused(await verifier.verifyToken(await signToken(rs), null), 'ERR_KEY_NOT_FOUND');
  });

  it('SECURITY 1: refuses a token signed by another key under a trusted kid', async () => {
    const forged = signCompact({ ...attackerRs, kid: 'rs' }, headerFor(rs), claimsAt());
    expectRefused(await all().verifyToken(forged, null), 'ERR_SIGNATURE_INVALID');
  });
});

describe('SECURITY 1: signatures', () => {
  it('SECURITY 1: refuses an ES256 signature in DER encoding instead of r||s', async () => {
    const signingInput = `${b64url(headerFor(es))}.${b64url(claimsAt())}`;
    const { privateKey } = await import('node:crypto').then(({ KeyObject }) => ({ privateKey: KeyObject.from(es.privateKey) }));
    const der = cryptoSign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'der' });
    expectRefused(await all().verifyToken(`${signingInput}.${der.toString('base64url')}`, null), 'ERR_SIGNATURE_INVALID');
  });

  it('SECURITY 1: refuses ES256 and EdDSA signatures of the wrong length', async () => {
    for (const key of [es, ed]) {
      const token = await signToken(key);
      const [h, p, s] = token.split('.');
      const longer = Buffer.concat([Buffer.from(s!, 'base64url'), Buffer.from([0])]).toString('base64url');
      const shorter = Buffer.from(s!, 'base64url').subarray(1).toString('base64url');
      expectRefused(await all().verifyToken(`${h}.${p}.${longer}`, null), 'ERR_SIGNATURE_INVALID');
      expectRefused(await all().verifyToken(`${h}.${p}.${shorter}`, null), 'ERR_SIGNATURE_INVALID');
    }
  });

  it('SECURITY 1: refuses an RSA signature with its leading byte stripped or a zero byte prepended', async () => {
    const token = await signToken(rs);
    const [h, p, s] = token.split('.');
    const bytes = Buffer.from(s!, 'base64url');
    const prefixed = Buffer.concat([Buffer.from([0]), bytes]).toString('base64url');
    expectRefused(await all().verifyToken(`${h}.${p}.${prefixed}`, null), 'ERR_SIGNATURE_INVALID');
    expectRefused(await all().verifyToken(`${h}.${p}.${bytes.subarray(1).toString('base64url')}`, null), 'ERR_SIGNATURE_INVALID');
  });
});

describe('SECURITY 2: keys come from the configured JWKS only', () => {
  it('SECURITY 2: ignores jku and x5u pointing at an attacker JWKS (never fetched)', async () => {
    const before = lureHits;
    for (const member of ['jku', 'x5u']) {
      const token = signCompact(attackerRs, headerFor(attackerRs, { [member]: lureUrl }), claimsAt());
      expectRefused(await all().verifyToken(token, null), 'ERR_KEY_NOT_FOUND');
      const underTrustedKid = signCompact(attackerRs, headerFor(rs, { [member]: lureUrl }), claimsAt());
      expectRefused(await all().verifyToken(underTrustedKid, null), 'ERR_SIGNATURE_INVALID');
    }
    expect(lureHits).toBe(before);
  });

  it('SECURITY 2: ignores an embedded jwk header carrying the attacker key', async () => {
    const token = signCompact(attackerEs, headerFor(es, { jwk: attackerEs.publicJwk }), claimsAt());
    expectRefused(await all().verifyToken(token, null), 'ERR_SIGNATURE_INVALID');
    const withoutKid = signCompact(attackerEs, { alg: 'ES256', typ: 'at+jwt', jwk: attackerEs.publicJwk }, claimsAt());
    // Without kid the only ES256 key of the JWKS is tried, and the attacker's signature fails against it.
    expectRefused(await all().verifyToken(withoutKid, null), 'ERR_SIGNATURE_INVALID');
  });

  it('SECURITY 2: ignores an x5c chain with a certificate the attacker holds the key for', async () => {
    const mine = pki.clients['client-a']!;
    const x5c = [mine.der.toString('base64')];
    const attacker: TestKey = { ...es, privateKey: (await import('jose').then(({ importPKCS8 }) => importPKCS8(mine.key, 'ES256'))) };
    const token = signCompact(attacker, headerFor(es, { x5c }), claimsAt());
    expectRefused(await all().verifyToken(token, null), 'ERR_SIGNATURE_INVALID');
  });

  it('SECURITY 2: a token signed by the trusted key stays valid whatever jku/x5u/jwk/x5c it names (they are never read)', async () => {
    const token = signCompact(rs, headerFor(rs, { jku: lureUrl, x5u: lureUrl, jwk: attackerRs.publicJwk, x5c: ['AAAA'] }), claimsAt());
    const before = lureHits;
    expect((await all().verifyToken(token, null)).ok).toBe(true);
    expect(lureHits).toBe(before);
  });
});

describe('SECURITY 2: crit, JWE, nested JWT and b64 are refused before any key or crypto work', () => {
  let jwks: JwksServer;
  beforeAll(async () => {
    jwks = await startJwksServer(pki, [rs.publicJwk]);
  });
  afterAll(async () => {
    await jwks.close();
  });

  function remote() {
    return createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: remoteKeys({ uri: jwks.url, ca: pki.ca.cert }), currentTime: clock, binding: 'if-present' });
  }

  const cases: [string, () => string, string][] = [
    ['crit naming an unknown extension', () => signCompact(rs, headerFor(rs, { crit: ['urn:x:ext'], 'urn:x:ext': 1 }), claimsAt()), 'ERR_CRIT_UNSUPPORTED'],
    ['crit naming a registered claim', () => signCompact(rs, headerFor(rs, { crit: ['exp'] }), claimsAt()), 'ERR_CRIT_UNSUPPORTED'],
    ['crit with b64 false', () => signCompact(rs, headerFor(rs, { crit: ['b64'], b64: false }), claimsAt()), 'ERR_CRIT_UNSUPPORTED'],
    ['an empty crit list', () => signCompact(rs, headerFor(rs, { crit: [] }), claimsAt()), 'ERR_CRIT_UNSUPPORTED'],
    ['crit that is not a list', () => signCompact(rs, headerFor(rs, { crit: 'exp' }), claimsAt()), 'ERR_CRIT_UNSUPPORTED'],
    ['b64 false without crit', () => signCompact(rs, headerFor(rs, { b64: false }), claimsAt()), 'ERR_JOSE_HEADER_INVALID'],
    ['b64 as a string', () => signCompact(rs, headerFor(rs, { b64: 'false' }), claimsAt()), 'ERR_JOSE_HEADER_INVALID'],
    ['a five-segment JWE', () => `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'rs' })}.a2V5.aXY.Y2lwaGVy.dGFn`, 'ERR_JWE_UNSUPPORTED'],
    ['a PBES2 JWE with a huge p2c', () => `${b64url({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2 ** 31, p2s: 'c2FsdA' })}.a2V5.aXY.Y2lwaGVy.dGFn`, 'ERR_JWE_UNSUPPORTED'],
    ['a JWS header carrying enc', () => signCompact(rs, headerFor(rs, { enc: 'A256GCM' }), claimsAt()), 'ERR_JWE_UNSUPPORTED'],
    ['a nested JWT (cty JWT)', () => signCompact(rs, headerFor(rs, { cty: 'JWT' }), claimsAt()), 'ERR_JWE_UNSUPPORTED'],
    ['a nested JWT (cty application/jwt)', () => signCompact(rs, headerFor(rs, { cty: 'application/JWT' }), claimsAt()), 'ERR_JWE_UNSUPPORTED'],
    ['a header that is a JSON array', () => `${b64url(['RS256'])}.${b64url(claimsAt())}.c2ln`, 'ERR_JWT_MALFORMED'],
    ['a header that is JSON null', () => `${b64url('null')}.${b64url(claimsAt())}.c2ln`, 'ERR_JWT_MALFORMED'],
    ['a header that is not JSON', () => `${b64url('{alg:RS256}')}.${b64url(claimsAt())}.c2ln`, 'ERR_JWT_MALFORMED'],
    ['a header with invalid UTF-8', () => `${b64url(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))}.${b64url(claimsAt())}.c2ln`, 'ERR_JWT_MALFORMED'],
    ['two segments', () => `${b64url(headerFor(rs))}.${b64url(claimsAt())}`, 'ERR_JWT_MALFORMED'],
    ['four segments', () => `${b64url(headerFor(rs))}.${b64url(claimsAt())}.c2ln.c2ln`, 'ERR_JWT_MALFORMED'],
  ];

  it.each(cases)('SECURITY 2: refuses %s, without fetching the JWKS', async (_name, build, code) => {
    const verifier = remote();
    const before = jwks.count();
    expectRefused(await verifier.verifyToken(build(), null), code);
    expect(jwks.count()).toBe(before);
    await verifier.close();
  });
});
