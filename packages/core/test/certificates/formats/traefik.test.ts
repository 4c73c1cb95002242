import { describe, expect, it } from 'vitest';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

// Traefik (>= 2.9.4) PassTLSClientCert pem: true — base64 DER per certificate, armour and newlines removed, ","-joined.
const encode = (der: Buffer): string => der.toString('base64');
const source = () => headerSource({ format: 'traefik', trustedProxies: TRUSTED });

describe('Traefik X-Forwarded-Tls-Client-Cert', () => {
  robustnessTable({ format: 'traefik', header: 'x-forwarded-tls-client-cert', encode, commaSeparated: true });

  it('Traefik documented shape: a comma list, leaf first (table)', async () => {
    const { a, b, ca, plus } = await testPki();
    const ok: Expected = { thumbprint: a.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['leaf alone', encode(a.der), ok],
      ['leaf,issuer', `${encode(a.der)},${encode(ca.der)}`, ok],
      ['leaf, issuer (space after the comma)', `${encode(a.der)}, ${encode(ca.der)}`, ok],
      ['leaf,other,issuer', `${encode(a.der)},${encode(b.der)},${encode(ca.der)}`, ok],
      ['issuers after the leaf are not parsed (only the leaf is needed)', `${encode(a.der)},not base64!`, ok],
      ['an empty first entry', `,${encode(a.der)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a malformed leaf followed by a valid certificate', `!!!,${encode(a.der)}`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['PEM armour (older Traefik escaped PEM, not supported)', `-----BEGIN CERTIFICATE-----${encode(a.der)}-----END CERTIFICATE-----`, 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a URL-escaped value', encodeURIComponent(encode(plus.der)), 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, value, expected] of cases) {
      const result = source().lookup(requestInput([['X-Forwarded-Tls-Client-Cert', value]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
  });
});
