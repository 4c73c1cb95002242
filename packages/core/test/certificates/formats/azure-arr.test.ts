import { describe, expect, it } from 'vitest';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

const encode = (der: Buffer): string => der.toString('base64');
const source = () => headerSource({ format: 'azure-arr', trustedProxies: TRUSTED });

describe('Azure App Service X-ARR-ClientCert', () => {
  robustnessTable({ format: 'azure-arr', header: 'x-arr-clientcert', encode, commaSeparated: false });

  it('App Service documented shape (base64 DER) and PEM armour tolerance (table)', async () => {
    const { a, plus } = await testPki();
    const b64 = encode(a.der);
    const ok: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['base64 DER as the platform sends it', b64, ok],
      ['base64 without padding', b64.replace(/=+$/, ''), ok],
      ['PEM armour on one line', `-----BEGIN CERTIFICATE-----${b64}-----END CERTIFICATE-----`, ok],
      ['PEM armour with spaces', `-----BEGIN CERTIFICATE----- ${b64.slice(0, 64)} ${b64.slice(64)} -----END CERTIFICATE-----`, ok],
      ['PEM armour of another type', `-----BEGIN PUBLIC KEY-----${b64}-----END PUBLIC KEY-----`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['PEM armour without the end line', `-----BEGIN CERTIFICATE-----${b64}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['base64url alphabet', plus.der.toString('base64url'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a space inside bare base64', `${b64.slice(0, 20)} ${b64.slice(20)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['characters outside base64', `${b64.slice(0, 20)}!${b64.slice(21)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a percent-encoded value', encodeURIComponent(plus.der.toString('base64')), 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, value, expected] of cases) {
      const result = source().lookup(requestInput([['X-ARR-ClientCert', value]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
  });
});
