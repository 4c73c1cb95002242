import { describe, expect, it } from 'vitest';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

// HAProxy: http-request set-header X-SSL-Client-DER %[ssl_c_der,base64]
const encode = (der: Buffer): string => der.toString('base64');
const source = () => headerSource({ format: 'base64-der', trustedProxies: TRUSTED });

describe('plain base64 DER (HAProxy ssl_c_der,base64)', () => {
  robustnessTable({ format: 'base64-der', header: 'x-ssl-client-der', encode, commaSeparated: false });

  it('HAProxy documented shape and base64 strictness (table)', async () => {
    const { a } = await testPki();
    const b64 = encode(a.der);
    const ok: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['%[ssl_c_der,base64]', b64, ok],
      ['surrounding spaces (trimmed as HTTP OWS)', `  ${b64}\t`, ok],
      ['%{+Q} quoting left in by mistake', `"${b64}"`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['hex instead of base64', a.der.toString('hex'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['PEM armour (use the nginx or azure-arr format for that)', `-----BEGIN CERTIFICATE-----${b64}-----END CERTIFICATE-----`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['one character too many', `${b64}A`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['padding followed by data', `${b64.replace(/=+$/, '')}==AA`, 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, value, expected] of cases) {
      const result = source().lookup(requestInput([['X-SSL-Client-DER', value]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
  });
});
