import { describe, expect, it } from 'vitest';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, pemOf, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

// nginx's $ssl_client_escaped_cert escapes the PEM like a URI component: spaces, newlines, '+', '/', '=' all escaped.
const encode = (der: Buffer): string => encodeURIComponent(pemOf(der));
const source = (header?: string) =>
  headerSource({ format: 'nginx', trustedProxies: TRUSTED, ...(header === undefined ? {} : { header }) });

describe('nginx $ssl_client_escaped_cert', () => {
  robustnessTable({ format: 'nginx', header: 'x-ssl-client-cert', encode, commaSeparated: false });

  it('nginx documented shape and percent-decoding edge cases (table)', async () => {
    const { a, ca } = await testPki();
    const escaped = encode(a.der);
    const ok: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['-----BEGIN%20CERTIFICATE-----%0A...%0A-----END%20CERTIFICATE-----%0A', escaped, ok],
      ['lower-case hex escapes', escaped.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), ok],
      ['CRLF line ends', encodeURIComponent(pemOf(a.der).replace(/\n/g, '\r\n')), ok],
      ['a chain: only the first certificate is the leaf', encodeURIComponent(pemOf(a.der) + pemOf(ca.der)), ok],
      ['an escape cut short', escaped.slice(0, -2), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a lone % at the end', `${escaped}%`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a non-hex escape', escaped.replace('%0A', '%0G'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an escaped NUL', escaped.replace('%0A', '%00'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an escaped non-ASCII byte', escaped.replace('%0A', '%C3%A9'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an escaped control character', escaped.replace('%0A', '%1B'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['double encoding is decoded once only', escaped.replace(/%/g, '%25'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['text before the PEM block', `junk${escaped}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a PEM block of another type', encodeURIComponent(pemOf(a.der).replace(/CERTIFICATE/g, 'PUBLIC KEY')), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a PEM block without its end line', encodeURIComponent(pemOf(a.der).split('-----END')[0]!), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a base64 body with a stray character', encodeURIComponent(pemOf(a.der).replace('\n', '\n*')), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['deprecated $ssl_client_cert (tab-folded) cannot be sent as one line', pemOf(a.der).replace(/\n/g, '\n\t'), 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, value, expected] of cases) {
      const result = source().lookup(requestInput([['X-SSL-Client-Cert', value]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
  });

  it('honours a configured header name and ignores the default one then', async () => {
    const { a } = await testPki();
    const custom = source('X-Client-Certificate');
    expectOutcome(custom.lookup(requestInput([['x-client-certificate', encode(a.der)]])), { thumbprint: a.thumbprint });
    expectOutcome(custom.lookup(requestInput([['x-ssl-client-cert', encode(a.der)]])), 'none');
  });
});
