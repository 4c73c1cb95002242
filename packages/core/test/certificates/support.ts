// Shared helpers for the forwarded-certificate tests: request inputs shaped like Node's, encoders shaped like each
// proxy's output, and the robustness table every format must pass.
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { expect, it } from 'vitest';
import { headerSource } from '../../src/certificates/header.js';
import type { CertificateLookup, HeaderCertificateFormat, HeaderSourceOptions, RequestInput } from '../../src/types.js';

export type HeaderOptions = HeaderSourceOptions;

/** A trusted proxy address and an address outside the list used by every table. */
export const TRUSTED_PEER = '127.0.0.1';
export const UNTRUSTED_PEER = '127.0.0.2';
export const TRUSTED = ['127.0.0.1/32', '::1/128'];

let shared: Promise<TestPki> | undefined;

export interface TestPki extends DevPki {
  readonly a: IssuedCertificate;
  readonly b: IssuedCertificate;
  /** A client certificate whose base64 DER contains `+`, `/` and `=`-free content checks rely on. */
  readonly plus: IssuedCertificate;
  /** PKCS#8 DER of client-a's private key: a well-formed DER SEQUENCE that is not a certificate. */
  readonly keyDer: Buffer;
}

/** One PKI per test file (module cache is per file): real certificates, generated once. */
export function testPki(): Promise<TestPki> {
  shared ??= (async () => {
    const pki = await createDevPki({ clients: ['client-a', 'client-b'] });
    const a = pki.clients['client-a']!;
    const b = pki.clients['client-b']!;
    // The AWS ALB table needs a certificate whose base64 contains '+' (to prove it is not form-decoded); issue until one does.
    let plus = a;
    for (let i = 0; i < 20 && !plus.der.toString('base64').includes('+'); i++) {
      plus = await pki.ca.issue({ commonName: `client-plus-${i}`, usage: 'client' });
    }
    const keyDer = createPrivateKey(a.key).export({ type: 'pkcs8', format: 'der' });
    return { ...pki, a, b, plus, keyDer };
  })();
  return shared;
}

/** PEM text of DER bytes with 64-character lines, whatever the bytes are. */
export function pemOf(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Lower-case hex SHA-256 of DER bytes, as proxies send it. */
export function hexSha256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * A RequestInput as Node would build it: `rawHeaders` keeps every line, `headers` lower-cases names and joins repeats
 * of the same header with ", ".
 */
export function requestInput(lines: ReadonlyArray<readonly [string, string]>, remoteAddress: string = TRUSTED_PEER, options: { raw?: boolean } = {}): RequestInput {
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
    rawHeaders.push(name, value);
  }
  return options.raw === false ? { headers, remoteAddress } : { headers, rawHeaders, remoteAddress };
}

export function expectThumbprint(result: CertificateLookup, thumbprint: string): void {
  expect(result).toEqual({ ok: true, thumbprint, from: 'header' });
}

export function expectNone(result: CertificateLookup): void {
  expect(result).toEqual({ ok: true, thumbprint: null, from: 'none' });
}

export function expectError(result: CertificateLookup, code: 'ERR_CERTIFICATE_HEADER_INVALID' | 'ERR_CERTIFICATE_HEADER_DUPLICATE' | 'ERR_CERTIFICATE_HASH_MISMATCH'): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.code).toBe(code);
    // Fixed text: nothing from the header is reflected.
    expect(result.description).toMatch(/^[A-Za-z ]+$/);
  }
}

export type Expected = { thumbprint: string } | 'none' | 'ERR_CERTIFICATE_HEADER_INVALID' | 'ERR_CERTIFICATE_HEADER_DUPLICATE' | 'ERR_CERTIFICATE_HASH_MISMATCH';

export function expectOutcome(result: CertificateLookup, expected: Expected): void {
  if (expected === 'none') expectNone(result);
  else if (typeof expected === 'object') expectThumbprint(result, expected.thumbprint);
  else expectError(result, expected);
}

export interface FormatUnderTest {
  format: HeaderCertificateFormat;
  /** The format's default header name. */
  header: string;
  /** How the proxy writes a leaf certificate (DER bytes) into the header. */
  encode(der: Buffer): string;
  /** Whether commas are legal in the value (lists), so a Node-folded duplicate cannot be seen without rawHeaders. */
  commaSeparated: boolean;
}

/**
 * The robustness table every format must pass (docs/security.md rule 7, docs/protocol.md §7): valid leaf, "no certificate"
 * markers, duplicates, size cap, forbidden characters, non-certificate bytes, hash agreement, untrusted peers.
 */
export function robustnessTable(subject: FormatUnderTest): void {
  const source = (extra: Partial<HeaderOptions> = {}) =>
    headerSource({ format: subject.format, trustedProxies: TRUSTED, ...extra });
  const lookup = (value: string, extra: Partial<HeaderOptions> = {}, peer = TRUSTED_PEER) =>
    source(extra).lookup(requestInput([[subject.header, value]], peer));

  it('reads the leaf from the default header and thumbprints its DER exactly as sent', async () => {
    const { a } = await testPki();
    expectThumbprint(lookup(subject.encode(a.der)), a.thumbprint);
  });

  it('matches the header name case-insensitively', async () => {
    const { a } = await testPki();
    const upper = subject.header.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
    const result = source().lookup(requestInput([[upper, subject.encode(a.der)]]));
    expectThumbprint(result, a.thumbprint);
  });

  const noCertificate: Array<[string, string]> = [
    ['Apache "(null)"', '(null)'],
    ['an empty value', ''],
    ['"-"', '-'],
    ['"(null)" with surrounding spaces', '  (null) '],
    ['only whitespace', ' \t '],
  ];
  for (const [label, value] of noCertificate) {
    it(`SECURITY 7: treats ${label} as no certificate`, () => {
      expectNone(lookup(value));
    });
  }

  it('SECURITY 7: no header from a trusted proxy means no certificate (the socket certificate is the proxy’s)', () => {
    expectNone(source().lookup(requestInput([['x-unrelated', 'x']])));
  });

  it('SECURITY 7: a duplicated certificate header is an error (seen in rawHeaders)', async () => {
    const { a, b } = await testPki();
    const upper = subject.header.toUpperCase();
    const result = source().lookup(requestInput([[subject.header, subject.encode(a.der)], [upper, subject.encode(b.der)]]));
    expectError(result, 'ERR_CERTIFICATE_HEADER_DUPLICATE');
    const same = source().lookup(requestInput([[subject.header, subject.encode(a.der)], [subject.header, subject.encode(a.der)]]));
    expectError(same, 'ERR_CERTIFICATE_HEADER_DUPLICATE');
  });

  it('SECURITY 7: a duplicated header given as an array (no rawHeaders) is an error', async () => {
    const { a, b } = await testPki();
    const result = source().lookup({ headers: { [subject.header]: [subject.encode(a.der), subject.encode(b.der)] }, remoteAddress: TRUSTED_PEER });
    expectError(result, 'ERR_CERTIFICATE_HEADER_DUPLICATE');
  });

  if (!subject.commaSeparated) {
    it('SECURITY 7: a Node-folded "a, b" value without rawHeaders is a duplicate, not a list', async () => {
      const { a, b } = await testPki();
      const input = requestInput([[subject.header, subject.encode(a.der)], [subject.header, subject.encode(b.der)]], TRUSTED_PEER, { raw: false });
      expectError(source().lookup(input), 'ERR_CERTIFICATE_HEADER_DUPLICATE');
    });
  }

  it('SECURITY 7: refuses a value over maxHeaderBytes before decoding it', async () => {
    const { a } = await testPki();
    const value = subject.encode(a.der);
    expectError(lookup(value, { maxHeaderBytes: value.length - 1 }), 'ERR_CERTIFICATE_HEADER_INVALID');
    expectThumbprint(lookup(value, { maxHeaderBytes: value.length }), a.thumbprint);
    // Default cap 16384: a value one byte over is refused however it is padded.
    expectError(lookup(value + ' '.repeat(16_385 - value.length)), 'ERR_CERTIFICATE_HEADER_INVALID');
    expectError(lookup('A'.repeat(1_000_000)), 'ERR_CERTIFICATE_HEADER_INVALID');
  });

  const forbidden: Array<[string, string]> = [
    ['NUL', '\u0000'],
    ['a non-ASCII character', '\u00e9'],
    ['a latin1 high byte', '\u00ff'],
    ['a non-latin1 character', '\u2603'],
    ['a control character', '\u0001'],
    ['DEL', '\u007f'],
    ['CR LF', '\r\n'],
  ];
  for (const [label, character] of forbidden) {
    it(`SECURITY 7: refuses ${label} anywhere in the value`, async () => {
      const { a } = await testPki();
      const value = subject.encode(a.der);
      const middle = Math.floor(value.length / 2);
      expectError(lookup(value.slice(0, middle) + character + value.slice(middle)), 'ERR_CERTIFICATE_HEADER_INVALID');
      expectError(lookup(character + value), 'ERR_CERTIFICATE_HEADER_INVALID');
      expectError(lookup(value + character), 'ERR_CERTIFICATE_HEADER_INVALID');
    });
  }

  it('SECURITY 7: refuses bytes that are not exactly one X.509 certificate', async () => {
    const { a, keyDer, ca } = await testPki();
    const cases: Array<[string, Buffer]> = [
      ['a private key (a DER SEQUENCE, not a certificate)', keyDer],
      ['random bytes', randomBytes(400)],
      ['a truncated certificate', a.der.subarray(0, a.der.length - 10)],
      ['a certificate followed by a trailing byte', Buffer.concat([a.der, Buffer.from([0])])],
      ['two certificates concatenated', Buffer.concat([a.der, ca.der])],
      ['a certificate with a non-minimal DER length', Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), a.der.subarray(2)])],
      ['a single zero byte', Buffer.from([0])],
      ['the PEM text itself as bytes', Buffer.from(a.cert)],
    ];
    for (const [label, bytes] of cases) {
      expect({ label, result: lookup(subject.encode(bytes)) }).toMatchObject({ label, result: { ok: false, code: 'ERR_CERTIFICATE_HEADER_INVALID' } });
    }
  });

  it('SECURITY 7: with hashHeader, a hex SHA-256 that agrees is accepted (any case, with colons)', async () => {
    const { a } = await testPki();
    const hex = hexSha256(a.der);
    const withColons = hex.toUpperCase().match(/../g)!.join(':');
    for (const hash of [hex, hex.toUpperCase(), withColons]) {
      const input = requestInput([[subject.header, subject.encode(a.der)], ['x-client-cert-sha256', hash]]);
      expectThumbprint(source({ hashHeader: 'X-Client-Cert-Sha256' }).lookup(input), a.thumbprint);
    }
  });

  it('SECURITY 7: with hashHeader, a certificate and a hash that disagree are refused', async () => {
    const { a, b } = await testPki();
    const input = requestInput([[subject.header, subject.encode(a.der)], ['x-client-cert-sha256', hexSha256(b.der)]]);
    expectError(source({ hashHeader: 'x-client-cert-sha256' }).lookup(input), 'ERR_CERTIFICATE_HASH_MISMATCH');
  });

  it('SECURITY 7: with hashHeader alone, the hash is the thumbprint (hex → base64url); a bad hash is refused', async () => {
    const { a } = await testPki();
    const only = source({ hashHeader: 'x-client-cert-sha256' });
    expectThumbprint(only.lookup(requestInput([['x-client-cert-sha256', hexSha256(a.der)]])), a.thumbprint);
    expectNone(only.lookup(requestInput([['x-client-cert-sha256', '(null)']])));
    for (const bad of ['abc', hexSha256(a.der).slice(1), `${hexSha256(a.der)}00`, 'zz'.repeat(32), hexSha256(a.der).replace(/^../, '+/')]) {
      expectError(only.lookup(requestInput([['x-client-cert-sha256', bad]])), 'ERR_CERTIFICATE_HEADER_INVALID');
    }
    const twice = requestInput([['x-client-cert-sha256', hexSha256(a.der)], ['x-client-cert-sha256', hexSha256(a.der)]]);
    expectError(only.lookup(twice), 'ERR_CERTIFICATE_HEADER_DUPLICATE');
  });

  it('SECURITY 7: from a peer outside trustedProxies the header is ignored and reported', async () => {
    const { a, b } = await testPki();
    expect(lookup(subject.encode(a.der), {}, UNTRUSTED_PEER)).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
    // Even a malformed or duplicated header from an untrusted peer is simply ignored, never parsed.
    expect(lookup('%%%garbage\u0000', {}, UNTRUSTED_PEER)).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
    const duplicated = requestInput([[subject.header, subject.encode(a.der)], [subject.header, subject.encode(b.der)]], UNTRUSTED_PEER);
    expect(source().lookup(duplicated)).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
    // A peer with no known address is not trusted either.
    expect(source().lookup({ headers: { [subject.header]: subject.encode(a.der) } })).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
  });
}
