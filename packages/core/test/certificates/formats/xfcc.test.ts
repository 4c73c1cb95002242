import { describe, expect, it } from 'vitest';
import { MAX_XFCC_ELEMENTS, MAX_XFCC_PAIRS, parseXfccElements } from '../../../src/certificates/formats/xfcc.js';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, hexSha256, pemOf, requestInput, robustnessTable, testPki, TRUSTED, type Expected, type HeaderOptions } from '../support.js';

// Envoy URL-encodes the PEM (every reserved character escaped, lower-case hex is also seen) and quotes Cert.
const urlPem = (der: Buffer): string => encodeURIComponent(pemOf(der));
const encode = (der: Buffer): string => `By=spiffe://cluster.local/ns/edge/sa/gateway;Hash=${hexSha256(der)};Cert="${urlPem(der)}";Subject="CN=test";URI=spiffe://cluster.local/ns/app/sa/client`;
const source = (extra: Partial<HeaderOptions> = {}) => headerSource({ format: 'xfcc', trustedProxies: TRUSTED, ...extra });
const lookup = (value: string) => source().lookup(requestInput([['x-forwarded-client-cert', value]]));

describe('Envoy x-forwarded-client-cert', () => {
  robustnessTable({
    format: 'xfcc',
    header: 'x-forwarded-client-cert',
    // Cert only, so the robustness table's non-certificate bytes are judged on the certificate, not on a Hash.
    encode: (der) => `By=spiffe://cluster.local/ns/edge/sa/gateway;Cert="${urlPem(der)}"`,
    commaSeparated: true,
  });

  it('Envoy documented shapes (table): hash-only, several hops, Cert/Chain, quoted values', async () => {
    const { a, b, ca } = await testPki();
    const hexA = hexSha256(a.der);
    const hexB = hexSha256(b.der);
    const subject = '"/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client"';
    const okA: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['one hop, Hash with Subject and URI (no certificate bytes)', `By=http://frontend.lyft.com;Hash=${hexA};Subject=${subject};URI=http://testclient.lyft.com`, okA],
      ['one hop, URI-only SAN', `By=spiffe://lyft.com/frontend;Hash=${hexA};URI=spiffe://lyft.com/testclient`, okA],
      ['two hops: the last element (appended by the trusted hop) wins', `By=spiffe://lyft.com/frontend;Hash=${hexB};URI=spiffe://lyft.com/testclient,By=spiffe://lyft.com/backend;Hash=${hexA};URI=spiffe://lyft.com/frontend`, okA],
      ['three hops with the first two naming other certificates', `Hash=${hexB},By=x;Hash=${hexB};DNS=b.example,By=y;Hash=${hexA}`, okA],
      ['Cert with Hash, Subject, URI and several DNS SANs', `By=spiffe://lyft.com/backend;Hash=${hexA};Cert="${urlPem(a.der)}";Subject=${subject};URI=spiffe://lyft.com/frontend;DNS=a.example;DNS=b.example`, okA],
      ['Cert without quotes', `By=spiffe://x;Cert=${urlPem(a.der)}`, okA],
      ['Cert with lower-case percent escapes', `Cert="${urlPem(a.der).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}"`, okA],
      ['Chain only: the first certificate of the chain is the leaf', `By=spiffe://x;Chain="${encodeURIComponent(pemOf(a.der) + pemOf(ca.der))}"`, okA],
      ['Cert and Chain together: Cert is the leaf', `Cert="${urlPem(a.der)}";Chain="${encodeURIComponent(pemOf(a.der) + pemOf(ca.der))}"`, okA],
      ['case-insensitive keys', `by=spiffe://x;HASH=${hexA};cErT="${urlPem(a.der)}";subject="CN=a"`, okA],
      ['quoted values holding , ; = and \\"', `By=spiffe://x;Subject="CN=a\\"b, O=x;y=z";Hash=${hexA}`, okA],
      ['an earlier element with a quoted comma does not split wrongly', `Hash=${hexB};Subject="x,Hash=${hexA}",Hash=${hexA}`, okA],
      ['Node-style ", " between elements', `Hash=${hexB}, By=y;Hash=${hexA}`, okA],
      ['a client-injected earlier element (APPEND_FORWARD) is ignored', `By=evil;Hash=${hexB};Cert="${urlPem(b.der)}",By=spiffe://edge;Hash=${hexA};Cert="${urlPem(a.der)}"`, okA],
      ['unknown keys are ignored', `By=x;Hash=${hexA};Future=thing`, okA],
      ['last element without Cert, Chain or Hash: no certificate', `Hash=${hexA},By=spiffe://x;URI=spiffe://client`, 'none'],
      ['Hash and Cert that disagree', `Hash=${hexB};Cert="${urlPem(a.der)}"`, 'ERR_CERTIFICATE_HASH_MISMATCH'],
      ['Hash that is not hex SHA-256', `By=x;Hash=${hexA.slice(2)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['empty Hash', 'By=x;Hash=', 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['two Hash keys in one element', `Hash=${hexA};hash=${hexA}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['two Cert keys in one element', `Cert="${urlPem(a.der)}";Cert="${urlPem(a.der)}"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['Cert with an invalid percent-escape', `Cert="${urlPem(a.der).replace('%0A', '%0Z')}"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['Cert that is not PEM', 'Cert="hello"', 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['Cert holding a non-certificate', `Cert="${urlPem(Buffer.from('not a certificate at all'))}"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a bad Cert in the last element even though an earlier one is fine', `Cert="${urlPem(a.der)}",Cert="%ZZ"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, value, expected] of cases) {
      const result = lookup(value);
      expect({ label, result: result.ok ? result.thumbprint : result.code }).toEqual({
        label,
        result: typeof expected === 'object' ? expected.thumbprint : expected === 'none' ? null : expected,
      });
      expectOutcome(result, expected);
    }
  });

  it('SECURITY 7 / Envoy #6038: a client-planted open quote cannot swallow or fake the trusted element', async () => {
    const { a, b } = await testPki();
    const hexA = hexSha256(a.der);
    const trusted = [`By=spiffe://edge;Hash=${hexA};Subject="CN=client-a";URI=spiffe://client-a`, `By=spiffe://edge;Hash=${hexA}`, `By=spiffe://edge;Hash=${hexA};Subject=""`];
    const planted = [`Hash=${hexSha256(b.der)};Subject="abc`, `Hash=${hexSha256(b.der)};X="`, `Subject="\\`, 'X="a\\"'];
    for (const prefix of planted) {
      for (const element of trusted) {
        const result = lookup(`${prefix},${element}`);
        expect({ prefix, element, ok: result.ok }).toEqual({ prefix, element, ok: false });
      }
    }
  });

  it('grammar violations are malformed (table)', () => {
    const invalid = [
      'Hash',
      '=abc',
      'By=a;',
      'By=a,',
      'By=a,,By=b',
      ',By=a',
      'By=a;;Hash=b',
      'Subject="x"y',
      'Subject="x"By=y',
      `Subject="x"Hash=${'a'.repeat(64)}`,
      'Subject="x" y',
      'By=a"b',
      'Subject="unterminated',
      'Subject="ends with backslash\\',
      'By=a;Subject="x";URI="y"z',
      'B y=a',
      'By:a',
    ];
    for (const value of invalid) {
      const result = lookup(value);
      expect({ value, code: result.ok ? 'accepted' : result.code }).toEqual({ value, code: 'ERR_CERTIFICATE_HEADER_INVALID' });
    }
  });

  it(`caps the header at ${MAX_XFCC_ELEMENTS} elements and ${MAX_XFCC_PAIRS} pairs per element`, async () => {
    const { a } = await testPki();
    const hexA = hexSha256(a.der);
    const hops = (count: number) => [...Array.from({ length: count - 1 }, (_, i) => `By=hop${i}`), `Hash=${hexA}`].join(',');
    expectOutcome(lookup(hops(MAX_XFCC_ELEMENTS)), { thumbprint: a.thumbprint });
    expectOutcome(lookup(hops(MAX_XFCC_ELEMENTS + 1)), 'ERR_CERTIFICATE_HEADER_INVALID');
    const pairs = (count: number) => [...Array.from({ length: count - 1 }, (_, i) => `DNS=n${i}.example`), `Hash=${hexA}`].join(';');
    expectOutcome(lookup(pairs(MAX_XFCC_PAIRS)), { thumbprint: a.thumbprint });
    expectOutcome(lookup(pairs(MAX_XFCC_PAIRS + 1)), 'ERR_CERTIFICATE_HEADER_INVALID');
  });

  it('stays linear on hostile input near the size cap (no backtracking)', () => {
    const hostile: Array<[string, Expected]> = [
      [`Subject="${'\\"'.repeat(8000)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      [`${'a'.repeat(16_000)}=`, 'none'],
      [`${'a'.repeat(16_000)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      [`By=${'x'.repeat(16_000)}`, 'none'],
      [';'.repeat(16_000), 'ERR_CERTIFICATE_HEADER_INVALID'],
      [`${'By=x,'.repeat(3000)}By=x`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      [`Cert="${'%41'.repeat(5000)}"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [value, expected] of hostile) {
      expectOutcome(lookup(value), expected);
    }
  });

  it('the element Hash and hashHeader must agree with each other and with Cert', async () => {
    const { a, b } = await testPki();
    const withHashHeader = source({ hashHeader: 'x-client-cert-sha256' });
    const agree = requestInput([['x-forwarded-client-cert', encode(a.der)], ['x-client-cert-sha256', hexSha256(a.der)]]);
    expectOutcome(withHashHeader.lookup(agree), { thumbprint: a.thumbprint });
    const disagree = requestInput([['x-forwarded-client-cert', `Hash=${hexSha256(a.der)}`], ['x-client-cert-sha256', hexSha256(b.der)]]);
    expectOutcome(withHashHeader.lookup(disagree), 'ERR_CERTIFICATE_HASH_MISMATCH');
  });

  it('parseXfccElements returns unquoted, lower-cased pairs per element (unit)', () => {
    expect(parseXfccElements('By=a;Subject="x\\"y,z";DNS=b, URI=c')).toEqual([
      [
        { key: 'by', value: 'a' },
        { key: 'subject', value: 'x"y,z' },
        { key: 'dns', value: 'b' },
      ],
      [{ key: 'uri', value: 'c' }],
    ]);
  });
});
