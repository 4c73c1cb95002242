import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, createDevPki, writeDevPki } from '../src/index.js';

describe('dev-pki', () => {
  it('issues a server certificate chaining to the CA with localhost SANs', async () => {
    const pki = await createDevPki();
    const server = new X509Certificate(pki.server.cert);
    const ca = new X509Certificate(pki.ca.cert);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.subjectAltName).toMatch(/IP Address:0:0:0:0:0:0:0:1|IP Address:::1/i);
    expect(server.checkIssued(new X509Certificate(pki.otherCa.cert))).toBe(false);
    expect(ca.ca).toBe(true);
  });

  it('computes the thumbprint as base64url SHA-256 of the DER', async () => {
    const pki = await createDevPki({ clients: ['one'] });
    const one = pki.clients['one']!;
    expect(one.thumbprint).toBe(createHash('sha256').update(new X509Certificate(one.cert).raw).digest('base64url'));
    expect(one.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('pairs each certificate with its private key, for P-256 and RSA-2048', async () => {
    for (const algorithm of ['P-256', 'RSA-2048'] as const) {
      const pki = await createDevPki({ algorithm, clients: ['c'] });
      const c = pki.clients['c']!;
      const pub = createPublicKey(createPrivateKey(c.key)).export({ format: 'der', type: 'spki' });
      expect(Buffer.compare(pub, new X509Certificate(c.cert).publicKey.export({ format: 'der', type: 'spki' }))).toBe(0);
      expect(new X509Certificate(c.cert).publicKey.asymmetricKeyType).toBe(algorithm === 'P-256' ? 'ec' : 'rsa');
    }
  });

  it('issues already expired certificates and custom validity', async () => {
    const ca = await createCertificateAuthority();
    const expired = await ca.issue({ commonName: 'old', usage: 'client', expired: true });
    expect(expired.notAfter.getTime()).toBeLessThan(Date.now());
    const short = await ca.issue({ commonName: 'short', usage: 'client', days: 2 });
    expect(short.notAfter.getTime() - short.notBefore.getTime()).toBe(2 * 86_400_000);
    await expect(ca.issue({ commonName: 'bad', usage: 'client', notBefore: new Date(10), notAfter: new Date(5) })).rejects.toThrow(RangeError);
  });

  it('renews a certificate with the same key pair under a new thumbprint', async () => {
    const ca = await createCertificateAuthority();
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const first = await ca.issue({ commonName: 'app', usage: 'client', keys });
    const renewed = await ca.issue({ commonName: 'app', usage: 'client', keys });
    expect(renewed.thumbprint).not.toBe(first.thumbprint);
    expect(renewed.x509.publicKey.export({ format: 'jwk' })).toEqual(first.x509.publicKey.export({ format: 'jwk' }));
  });

  it('writes PEM files with private keys readable by the owner only', async () => {
    const pki = await createDevPki();
    const dir = await mkdtemp(join(tmpdir(), 'certbound-pki-'));
    const files = await writeDevPki(pki, dir);
    expect(await readFile(files.serverCert, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(await readFile(files.serverKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect((await stat(files.serverKey)).mode & 0o077).toBe(0);
    const thumbprints = JSON.parse(await readFile(join(dir, 'thumbprints.json'), 'utf8'));
    expect(thumbprints['client-a']).toBe(pki.clients['client-a']!.thumbprint);
  });
});
