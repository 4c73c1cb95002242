import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createDevPki } from '@certbound/dev-pki';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, GRAPH, TENANT, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
let dir: string;
const pop = { scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true } as const;

beforeAll(async () => {
  fx = await startWireFixture();
  dir = await mkdtemp(join(tmpdir(), 'certbound-client-cred-'));
});
afterAll(async () => {
  await fx.close();
  await rm(dir, { recursive: true, force: true });
});

async function files(name: string, contents: Record<string, string>): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const [key, text] of Object.entries(contents)) {
    paths[key] = join(dir, `${name}.${key}`);
    await writeFile(paths[key], text, { mode: 0o600 });
  }
  return paths;
}

function pfx(certPath: string, keyPath: string | undefined, out: string, passphrase: string): void {
  const args = ['pkcs12', '-export', '-in', certPath, '-out', out, '-passout', `pass:${passphrase}`];
  execFileSync('openssl', keyPath === undefined ? [...args, '-nokeys'] : [...args, '-inkey', keyPath]);
}

async function presented(credential: Parameters<WireFixture['client']>[0]['credential']): Promise<string | null> {
  const before = fx.mtls.requests.length;
  await fx.client({ credential }).acquireTokenForClient(pop);
  expect(fx.mtls.requests.length - before).toBe(1);
  return fx.mtls.requests.at(-1)!.thumbprint;
}

describe('certificate credentials: PEM or PFX, from files or memory', () => {
  it('PEM certificate and key from file paths', async () => {
    const issued = fx.pki.clients['client-a']!;
    const paths = await files('a', { crt: issued.cert, key: issued.key });
    expect(await presented({ certificate: paths['crt']!, privateKey: paths['key']! })).toBe(issued.thumbprint);
  });

  it('one PEM file holding the certificate, its chain and the key', async () => {
    const issued = fx.pki.clients['client-b']!;
    const paths = await files('combined', { pem: `${issued.cert}${fx.pki.ca.cert}${issued.key}` });
    expect(await presented({ certificate: paths['pem']! })).toBe(issued.thumbprint);
  });

  it('an encrypted private key with its passphrase; a wrong passphrase is invalid_certificate without echoing it', async () => {
    const issued = fx.pki.clients['client-a']!;
    const encrypted = createPrivateKey(issued.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }) as string;
    expect(await presented({ certificate: issued.cert, privateKey: encrypted, passphrase: 'correct horse' })).toBe(issued.thumbprint);
    const error = await fx.client({ credential: { certificate: issued.cert, privateKey: encrypted, passphrase: 'battery staple' } }).acquireTokenForClient(pop).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_INVALID' });
    expect(String((error as Error).message)).not.toContain('battery staple');
  });

  it('PFX bytes and PFX file path', async () => {
    const issued = fx.pki.clients['client-b']!;
    const paths = await files('pfx-src', { crt: issued.cert, key: issued.key });
    const pfxPath = join(dir, 'client-b.pfx');
    pfx(paths['crt']!, paths['key']!, pfxPath, 'pfx-pass');
    expect(await presented({ pfx: pfxPath, passphrase: 'pfx-pass' })).toBe(issued.thumbprint);
    expect(await presented({ pfx: await readFile(pfxPath), passphrase: 'pfx-pass' })).toBe(issued.thumbprint);
  });

  it('PFX without a key bag → cert_without_private_key; wrong PFX passphrase → invalid_certificate', async () => {
    const issued = fx.pki.clients['client-a']!;
    const paths = await files('pfx-nokey', { crt: issued.cert, key: issued.key });
    const noKey = join(dir, 'nokey.pfx');
    pfx(paths['crt']!, undefined, noKey, 'pw');
    await expect(fx.client({ credential: { pfx: noKey, passphrase: 'pw' } }).acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_WITHOUT_KEY' });
    const full = join(dir, 'full.pfx');
    pfx(paths['crt']!, paths['key']!, full, 'pw');
    await expect(fx.client({ credential: { pfx: full, passphrase: 'nope' } }).acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_INVALID' });
    // Without PoP a certificate signs an assertion, which needs the key Node cannot export from a PFX.
    await expect(fx.client({ credential: { pfx: full, passphrase: 'pw' } }).acquireTokenForClient({ scopes: [GRAPH] })).rejects.toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_INVALID' });
  });

  it.each([
    ['a key of another certificate', () => ({ certificate: fx.pki.clients['client-a']!.cert, privateKey: fx.pki.clients['client-b']!.key })],
    ['a certificate that is not PEM', () => ({ certificate: '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', privateKey: fx.pki.clients['client-a']!.key })],
    ['a missing file', () => ({ certificate: join(dir, 'does-not-exist.pem') })],
    ['a key that is not a key', () => ({ certificate: fx.pki.clients['client-a']!.cert, privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' })],
  ])('invalid_certificate for %s', async (_label, credential) => {
    await expect(fx.client({ credential: credential() }).acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_INVALID' });
  });

  it('RSA certificates sign the no-PoP client assertion with PS256', async () => {
    const rsa = await createDevPki({ algorithm: 'RSA-2048', clients: ['rsa-client'] });
    const issued = rsa.clients['rsa-client']!;
    const before = fx.plain.requests.length;
    await fx.client({ credential: pem(issued) }).acquireTokenForClient({ scopes: [GRAPH] });
    const assertion = fx.plain.requests.slice(before)[0]!.form['client_assertion']!;
    expect(decodeProtectedHeader(assertion).alg).toBe('PS256');
    await jwtVerify(assertion, createPublicKey(issued.cert), { issuer: CLIENT_ID, audience: `${fx.plain.origin}/${TENANT}/oauth2/v2.0/token` });
  });
});

describe('BindingCertificate', () => {
  it('docs/security.md rule 11: inspecting or serialising a result never shows the private key', async () => {
    const issued = fx.pki.clients['client-a']!;
    const result = await fx.client({ credential: pem(issued) }).acquireTokenForClient(pop);
    const keyLine = issued.key.split('\n')[1]!;
    const shown = `${inspect(result, { depth: 10, showHidden: true })} ${JSON.stringify(result)} ${String(result.bindingCertificate)}`;
    expect(shown).not.toContain(keyLine);
    expect(shown).not.toContain('PRIVATE KEY');
    expect(result.bindingCertificate?.certificate).toContain('BEGIN CERTIFICATE');
    expect(String(result.bindingCertificate)).toContain(issued.thumbprint);
  });

  it('a provider returning the same certificate gives the same BindingCertificate object', async () => {
    const issued = fx.pki.clients['client-b']!;
    const client = fx.client({ credential: () => ({ certificate: issued.cert, privateKey: issued.key }) });
    const one = await client.acquireTokenForClient({ scopes: ['api://same/.default'], mtlsProofOfPossession: true });
    const two = await client.acquireTokenForClient({ scopes: ['api://same-too/.default'], mtlsProofOfPossession: true });
    expect(two.source).toBe('network');
    expect(two.bindingCertificate).toBe(one.bindingCertificate);
  });

  it('a look-alike object (no key loaded by the client) is refused as tokenBindingCertificate', async () => {
    const issued = fx.pki.clients['client-a']!;
    const real = (await fx.client({ credential: pem(issued) }).acquireTokenForClient(pop)).bindingCertificate!;
    const fake = Object.create(Object.getPrototypeOf(real) as object, Object.getOwnPropertyDescriptors(real)) as typeof real;
    const client = fx.client({ credential: { clientAssertion: () => ({ assertion: 'leg-1', tokenBindingCertificate: fake }) } });
    await expect(client.acquireTokenForClient(pop)).rejects.toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_WITHOUT_KEY' });
  });
});
