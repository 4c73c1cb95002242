import { describe, expect, it } from 'vitest';
import { headerSource } from '../../../src/certificates/header.js';
import { expectOutcome, pemOf, requestInput, robustnessTable, testPki, TRUSTED, type Expected } from '../support.js';

// ALB: URL-encoded PEM "with +=/ as safe characters" — spaces and newlines escaped, base64 punctuation left alone.
const encode = (der: Buffer): string => pemOf(der).replace(/[^A-Za-z0-9+=/\-_.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const source = (header?: string) =>
  headerSource({ format: 'aws-alb', trustedProxies: TRUSTED, ...(header === undefined ? {} : { header }) });

describe('AWS ALB X-Amzn-Mtls-Clientcert-Leaf', () => {
  robustnessTable({ format: 'aws-alb', header: 'x-amzn-mtls-clientcert-leaf', encode, commaSeparated: false });

  it('ALB documented shape: + = / unencoded, and + is never form-decoded into a space (table)', async () => {
    const { plus, a, ca } = await testPki();
    const value = encode(plus.der);
    // Precondition: the certificate's base64 really contains the characters this case is about.
    expect(value).toContain('+');
    expect(value).toMatch(/^-----BEGIN%20CERTIFICATE-----%0A[A-Za-z0-9+/]+/);
    const ok: Expected = { thumbprint: plus.thumbprint };
    const cases: Array<[string, string, Expected]> = [
      ['as ALB sends it', value, ok],
      ['with + = / escaped as well', encodeURIComponent(pemOf(plus.der)), ok],
      // What a form decoder would have produced: every '+' turned into a space. The bytes then differ.
      ['a value whose + became %20 (form-decoded upstream)', value.replace(/\+/g, '%20'), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['a value whose + became a literal space', value.replace(/\+/g, ' '), 'ERR_CERTIFICATE_HEADER_INVALID'],
      ['an invalid escape', value.replace('%0A', '%G0'), 'ERR_CERTIFICATE_HEADER_INVALID'],
    ];
    for (const [label, headerValue, expected] of cases) {
      const result = source().lookup(requestInput([['X-Amzn-Mtls-Clientcert-Leaf', headerValue]]));
      expect({ label, ok: result.ok }).toEqual({ label, ok: typeof expected === 'object' });
      expectOutcome(result, expected);
    }
    // Passthrough mode's X-Amzn-Mtls-Clientcert carries the chain, leaf first: the same decoder takes the leaf.
    const chain = source('X-Amzn-Mtls-Clientcert').lookup(requestInput([['X-Amzn-Mtls-Clientcert', encode(a.der) + encode(ca.der)]]));
    expectOutcome(chain, { thumbprint: a.thumbprint });
  });
});
