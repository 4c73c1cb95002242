import { describe, expect, it } from 'vitest';
import { decodeRfc9440 } from '../../../src/certificates/formats/rfc9440.js';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

const encode = (der: Buffer): string => `:${der.toString('base64')}:`;
const source = () => headerSource({ format: 'rfc9440', trustedProxies: TRUSTED });

describe('RFC 9440 Client-Cert', () => {
  robustnessTable({ format: 'rfc9440', header: 'client-cert', encode, commaSeparated: false });

  it('RFC 9440 Appendix A shape: Client-Cert plus a Client-Cert-Chain list, leaf taken from Client-Cert only', async () => {
    const { a, ca, otherCa } = await testPki();
    const input = requestInput([
      ['Client-Cert', encode(a.der)],
      ['Client-Cert-Chain', `${encode(ca.der)}, ${encode(otherCa.der)}`],
    ]);
    expectOutcome(source().lookup(input), { thumbprint: a.thumbprint });
  });

  it('RFC 9440 §2.3: Client-Cert-Chain alone carries no leaf, so there is no certificate', async () => {
    const { ca } = await testPki();
    expectOutcome(source().lookup(requestInput([['Client-Cert-Chain', encode(ca.der)]])), 'none');
  });

  it('tolerates a Client-Cert-Chain it does not need, even one it could not parse', async () => {
    const { a } = await testPki();
    const input = requestInput([['Client-Cert', encode(a.der)], ['Client-Cert-Chain', ':not base64!:']]);
    expectOutcome(source().lookup(input), { thumbprint: a.thumbprint });
  });

  it('RFC 8941 §3.3.5 byte sequence, strictly (table)', async () => {
    const { a, plus } = await testPki();
    const b64 = a.der.toString('base64');
    const unpadded = b64.replace(/=+$/, '');
    const ok: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['padded', `:${b64}:`, ok],
      ['unpadded (RFC 8941 §4.2.7 asks parsers to tolerate it)', `:${unpadded}:`, ok],
      ['with an ignored parameter', `:${b64}:;v=1`, ok],
      ['with several parameters of every bare-item type', `:${b64}:;a;b=?0;c=-12;d=1.5;e="x\\"y";f=tok/en:1;g=:AQID:`, ok],
      ['a space after the parameter semicolon', `:${b64}:; a=1`, ok],
      ['no colons', b64, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['no closing colon', `:${b64}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['PEM armour instead of a byte sequence', `:${a.cert.replace(/\n/g, '')}:`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['base64url alphabet', `:${plus.der.toString('base64url')}:`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['whitespace inside', `:${b64.slice(0, 10)} ${b64.slice(10)}:`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['too much padding', `:${unpadded}===:`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['padding in the middle', `:${b64.slice(0, 8)}=${b64.slice(8)}:`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an empty byte sequence', '::', 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['text after the item', `:${b64}: x`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an upper-case parameter key', `:${b64}:;A=1`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a malformed parameter value', `:${b64}:;a=@`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an unterminated string parameter', `:${b64}:;a="x`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a dangling semicolon', `:${b64}:;`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an inner list instead of an item', `(:${b64}:)`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a list of two byte sequences', `:${b64}:, :${b64}:`, 'ERR_CERTIFICATE_HEADER_DUPLICATE'],
    ];
    for (const [label, value, expected] of cases) {
      const result = source().lookup(requestInput([['client-cert', value]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
  });

  it('decodes to the exact DER bytes (unit)', async () => {
    const { a } = await testPki();
    const decoded = decodeRfc9440(encode(a.der));
    expect(decoded.ok && decoded.der !== null && Buffer.compare(Buffer.from(decoded.der), a.der)).toBe(0);
  });
});
