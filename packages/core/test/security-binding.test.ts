// docs/security.md rule 5: the binding. cnf["x5t#S256"] must be the canonical base64url SHA-256 of the leaf DER of this
// request's certificate; every other encoding is an invalid token or a mismatch, never a crash or an acceptance.
import { createHash } from 'node:crypto';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BindingPolicy, VerifierEvent, VerifyResult } from '../src/types.js';
import { claimsAt, createTestKey, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;

beforeAll(async () => {
  [key, pki] = await Promise.all([createTestKey('ES256', 'es'), createDevPki()]);
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
});

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

async function boundTo(cnf: unknown): Promise<string> {
  return signToken(key, claimsAt({ cnf }));
}

describe('SECURITY 5: binding encodings', () => {
  const encodings: [string, () => unknown, string][] = [
    ['the exact x5t#S256', () => ({ 'x5t#S256': a.thumbprint }), 'OK'],
    ['hex SHA-256', () => ({ 'x5t#S256': createHash('sha256').update(a.der).digest('hex') }), 'ERR_CNF_INVALID'],
    ['upper-case hex SHA-256', () => ({ 'x5t#S256': createHash('sha256').update(a.der).digest('hex').toUpperCase() }), 'ERR_CNF_INVALID'],
    ['colon-separated hex', () => ({ 'x5t#S256': createHash('sha256').update(a.der).digest('hex').match(/../g)!.join(':') }), 'ERR_CNF_INVALID'],
    ['padded base64url', () => ({ 'x5t#S256': `${a.thumbprint}=` }), 'ERR_CNF_INVALID'],
    ['standard base64 with padding', () => ({ 'x5t#S256': createHash('sha256').update(a.der).digest('base64') }), 'ERR_CNF_INVALID'],
    ['standard base64 alphabet without padding', () => ({ 'x5t#S256': `${a.thumbprint.slice(0, 41)}+/`.slice(0, 42) + a.thumbprint.slice(42) }), 'ERR_CNF_INVALID'],
    ['SHA-1 x5t under x5t#S256', () => ({ 'x5t#S256': createHash('sha1').update(a.der).digest('base64url') }), 'ERR_CNF_INVALID'],
    ['SHA-1 x5t as the only member', () => ({ x5t: createHash('sha1').update(a.der).digest('base64url') }), 'ERR_CNF_INVALID'],
    ['SHA-512 of the DER', () => ({ 'x5t#S256': createHash('sha512').update(a.der).digest('base64url') }), 'ERR_CNF_INVALID'],
    ['SHA-256 of the PEM text', () => ({ 'x5t#S256': createHash('sha256').update(a.cert).digest('base64url') }), 'ERR_BINDING_MISMATCH'],
    ['SHA-256 of leaf and CA DER (the chain)', () => ({ 'x5t#S256': createHash('sha256').update(Buffer.concat([a.der, pki.ca.der])).digest('base64url') }), 'ERR_BINDING_MISMATCH'],
    ['the CA thumbprint', () => ({ 'x5t#S256': pki.ca.thumbprint }), 'ERR_BINDING_MISMATCH'],
    ['a non-canonical last character', () => ({ 'x5t#S256': a.thumbprint.slice(0, 42) + nonCanonicalTwin(a.thumbprint.at(-1)!) }), 'ERR_CNF_INVALID'],
    ['surrounding whitespace', () => ({ 'x5t#S256': ` ${a.thumbprint}` }), 'ERR_CNF_INVALID'],
    ['a number', () => ({ 'x5t#S256': 12345 }), 'ERR_CNF_INVALID'],
    ['an object', () => ({ 'x5t#S256': { value: a.thumbprint } }), 'ERR_CNF_INVALID'],
    ['an array holding the thumbprint', () => ({ 'x5t#S256': [a.thumbprint] }), 'ERR_CNF_INVALID'],
    ['null', () => ({ 'x5t#S256': null }), 'ERR_CNF_INVALID'],
    ['an empty string', () => ({ 'x5t#S256': '' }), 'ERR_CNF_INVALID'],
    ['a 43-character string that is not the thumbprint', () => ({ 'x5t#S256': 'A'.repeat(43) }), 'ERR_BINDING_MISMATCH'],
    ['cnf as a string', () => a.thumbprint, 'ERR_CNF_INVALID'],
    ['cnf as null', () => null, 'ERR_CNF_INVALID'],
    ['cnf as an array', () => [{ 'x5t#S256': a.thumbprint }], 'ERR_CNF_INVALID'],
    ['cnf holding only a DPoP jkt', () => ({ jkt: a.thumbprint }), 'ERR_CNF_INVALID'],
  ];

  it.each(encodings)('SECURITY 5: cnf with %s → %s (certificate A, policy required)', async (_name, cnf, expected) => {
    const verifier = verifierWith([key]);
    expect(code(await verifier.verifyToken(await boundTo(cnf()), a.der))).toBe(expected);
  });

  it('SECURITY 5: an empty cnf object is an unbound token', async () => {
    expect(code(await verifierWith([key]).verifyToken(await boundTo({}), a.der))).toBe('ERR_TOKEN_NOT_BOUND');
    expect(code(await verifierWith([key], { binding: 'if-present' }).verifyToken(await boundTo({}), a.der))).toBe('OK');
  });

  it('SECURITY 5: a DPoP-bound token is not accepted as a bearer token under if-present (no downgrade)', async () => {
    const verifier = verifierWith([key], { binding: 'if-present' });
    expect(code(await verifier.verifyToken(await boundTo({ jkt: a.thumbprint }), null))).toBe('ERR_CNF_INVALID');
  });
});

/** The character with the same significant 4 bits but a non-zero unused pair of bits. */
function nonCanonicalTwin(last: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return alphabet[alphabet.indexOf(last) + 1]!;
}

describe('SECURITY 5: binding policies', () => {
  type Case = [BindingPolicy, 'unbound' | 'bound', 'none' | 'A' | 'B', string, VerifierEvent['type']];
  const cases: Case[] = [
    ['required', 'bound', 'A', 'OK', 'accepted'],
    ['required', 'bound', 'B', 'ERR_BINDING_MISMATCH', 'rejected'],
    ['required', 'bound', 'none', 'ERR_CERTIFICATE_MISSING', 'rejected'],
    ['required', 'unbound', 'A', 'ERR_TOKEN_NOT_BOUND', 'rejected'],
    ['required', 'unbound', 'none', 'ERR_TOKEN_NOT_BOUND', 'rejected'],
    ['if-present', 'bound', 'A', 'OK', 'accepted'],
    ['if-present', 'bound', 'B', 'ERR_BINDING_MISMATCH', 'rejected'],
    ['if-present', 'bound', 'none', 'ERR_CERTIFICATE_MISSING', 'rejected'],
    ['if-present', 'unbound', 'A', 'OK', 'accepted'],
    ['if-present', 'unbound', 'none', 'OK', 'accepted'],
    ['report-only', 'bound', 'A', 'OK', 'accepted'],
    ['report-only', 'bound', 'B', 'OK', 'report-only'],
    ['report-only', 'bound', 'none', 'OK', 'report-only'],
    ['report-only', 'unbound', 'none', 'OK', 'report-only'],
  ];

  it.each(cases)('SECURITY 5: policy %s, %s token, certificate %s → %s (%s event)', async (binding, bound, certificate, expected, eventType) => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { binding, onEvent: (event) => events.push(event) });
    const token = await signToken(key, claimsAt(bound === 'bound' ? { cnf: { 'x5t#S256': a.thumbprint } } : {}));
    const cert = certificate === 'A' ? a.der : certificate === 'B' ? b.cert : null;
    const result = await verifier.verifyToken(token, cert);
    expect(code(result)).toBe(expected);
    expect(events.map((event) => event.type)).toEqual([eventType]);
    if (eventType === 'report-only') {
      const wouldBe = bound === 'unbound' ? 'ERR_TOKEN_NOT_BOUND' : certificate === 'none' ? 'ERR_CERTIFICATE_MISSING' : 'ERR_BINDING_MISMATCH';
      expect(events[0]!.code).toBe(wouldBe);
    }
    if (result.ok) expect(result.thumbprint).toBe(certificate === 'A' ? a.thumbprint : certificate === 'B' ? b.thumbprint : null);
  });

  it('SECURITY 5: a token carrying x5t#S256 is never accepted without its certificate under required or if-present', async () => {
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    for (const binding of ['required', 'if-present'] as const) {
      const verifier = verifierWith([key], { binding });
      for (const certificate of [null, b.der, b.cert, { thumbprint: b.thumbprint }, pki.ca.der]) {
        const result = await verifier.verifyToken(token, certificate);
        expect(result.ok, `${binding} with ${String(certificate)}`).toBe(false);
        if (!result.ok) expect(result.status).toBe(401);
      }
    }
  });

  it('SECURITY 5: report-only still refuses an invalid cnf (a malformed token is not a binding question)', async () => {
    const verifier = verifierWith([key], { binding: 'report-only' });
    expect(code(await verifier.verifyToken(await boundTo({ 'x5t#S256': 42 }), a.der))).toBe('ERR_CNF_INVALID');
  });
});

describe('verifyToken certificate argument', () => {
  async function withCertificate(certificate: unknown): Promise<VerifyResult> {
    const verifier = verifierWith([key]);
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    return verifier.verifyToken(token, certificate as never);
  }

  it.each([
    ['DER bytes (Buffer)', () => a.der],
    ['DER bytes (plain Uint8Array)', () => new Uint8Array(a.der)],
    ['PEM text', () => a.cert],
    ['a PEM chain with the leaf first', () => `${a.cert}\n${pki.ca.cert}`],
    ['a precomputed thumbprint', () => ({ thumbprint: a.thumbprint })],
  ])('SECURITY 5: accepts the bound certificate given as %s', async (_name, certificate) => {
    const result = await withCertificate(certificate());
    expect(code(result)).toBe('OK');
    if (result.ok) expect(result.thumbprint).toBe(a.thumbprint);
  });

  it.each([
    ['DER with trailing bytes', () => Buffer.concat([a.der, Buffer.from([0])])],
    ['random bytes', () => Buffer.from('not a certificate at all')],
    ['empty bytes', () => Buffer.alloc(0)],
    ['a PEM private key', () => a.key],
    ['PEM with the chain CA first is the CA (a mismatch, not the leaf)', () => `${pki.ca.cert}\n${a.cert}`],
    ['a hex thumbprint', () => ({ thumbprint: createHash('sha256').update(a.der).digest('hex') })],
    ['a padded thumbprint', () => ({ thumbprint: `${a.thumbprint}=` })],
    ['a numeric thumbprint', () => ({ thumbprint: 5 })],
    ['a number', () => 5],
    ['an unrelated object', () => ({ der: a.der })],
  ])('SECURITY 5: refuses a certificate given as %s', async (name, certificate) => {
    const result = await withCertificate(certificate());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(name.includes('CA first') ? 'ERR_BINDING_MISMATCH' : 'ERR_CERTIFICATE_INVALID');
  });
});
