import { describe, expect, it } from 'vitest';
import { thumbprintOfCertificateDer } from '../../src/certificates/der.js';
import { decodeBase64Strict, firstPemCertificate, percentDecode } from '../../src/certificates/pem.js';
import { pemOf, testPki } from './support.js';

describe('bounded decoders (src/certificates/pem.ts, src/certificates/der.ts)', () => {
  it('percentDecode decodes %XX once, keeps + as +, and refuses broken or unsafe escapes', () => {
    expect(percentDecode('a%20b%0Ac%0d')).toBe('a b\nc\r');
    expect(percentDecode('a+b=c/d')).toBe('a+b=c/d');
    expect(percentDecode('%2B%3D%2F')).toBe('+=/');
    expect(percentDecode('%2541')).toBe('%41');
    expect(percentDecode('no escapes')).toBe('no escapes');
    for (const bad of ['%', '%4', 'a%4', '%G0', '%0G', '%00', '%7F', '%80', '%FF', '%C3%A9', '%1F', '% 20']) {
      expect({ bad, decoded: percentDecode(bad) }).toEqual({ bad, decoded: null });
    }
  });

  it('decodeBase64Strict accepts canonical base64 with or without padding, nothing else', () => {
    expect(decodeBase64Strict('QUJD')?.toString()).toBe('ABC');
    expect(decodeBase64Strict('QUI=')?.toString()).toBe('AB');
    expect(decodeBase64Strict('QUI')?.toString()).toBe('AB');
    expect(decodeBase64Strict('QQ==')?.toString()).toBe('A');
    expect(decodeBase64Strict('QQ')?.toString()).toBe('A');
    expect(decodeBase64Strict('+/+/')).toEqual(Buffer.from([0xfb, 0xff, 0xbf]));
    const bad = ['', '=', '==', 'Q', 'QUJDR', 'QQ=', 'QQ===', 'QUJ=D', 'QR==', 'QUJ', 'Q UJD', 'QUJD\n', '-_-_', 'QUJD!', 'QU=I'];
    // 'QUJ' is canonical only if its last character's two spare bits are zero: 'J' = 9 = 0b001001 → not canonical.
    for (const text of bad) {
      expect({ text, decoded: decodeBase64Strict(text) }).toEqual({ text, decoded: null });
    }
  });

  it('firstPemCertificate reads the first CERTIFICATE block only', async () => {
    const { a, ca } = await testPki();
    expect(firstPemCertificate(pemOf(a.der))).toEqual(a.der);
    expect(firstPemCertificate(`\r\n  ${pemOf(a.der)}${pemOf(ca.der)}`)).toEqual(a.der);
    expect(firstPemCertificate(a.cert)).toEqual(a.der);
    expect(firstPemCertificate(`x${pemOf(a.der)}`)).toBeNull();
    expect(firstPemCertificate(pemOf(a.der).replace('-----END CERTIFICATE-----', ''))).toBeNull();
    expect(firstPemCertificate('-----BEGIN CERTIFICATE----------END CERTIFICATE-----')).toBeNull();
    expect(firstPemCertificate(a.key)).toBeNull();
  });

  it('thumbprintOfCertificateDer: exactly one DER certificate, thumbprint over the received bytes', async () => {
    const { a, b, keyDer } = await testPki();
    expect(thumbprintOfCertificateDer(a.der)).toBe(a.thumbprint);
    expect(thumbprintOfCertificateDer(b.der)).toBe(b.thumbprint);
    expect(thumbprintOfCertificateDer(keyDer)).toBeNull();
    expect(thumbprintOfCertificateDer(Buffer.concat([a.der, Buffer.from([0x00])]))).toBeNull();
    expect(thumbprintOfCertificateDer(a.der.subarray(0, 100))).toBeNull();
    expect(thumbprintOfCertificateDer(Buffer.from(a.cert))).toBeNull();
    expect(thumbprintOfCertificateDer(new Uint8Array(0))).toBeNull();
    expect(thumbprintOfCertificateDer(Buffer.from([0x30, 0x00]))).toBeNull();
    expect(thumbprintOfCertificateDer(Buffer.from([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]))).toBeNull(); // long form for a short length
    expect(thumbprintOfCertificateDer(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toBeNull(); // indefinite length (BER)
  });
});
