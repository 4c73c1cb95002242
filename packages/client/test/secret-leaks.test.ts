import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfidentialClient, type ClientCredential } from '../src/index.js';
import { AUTHORITY, CLIENT_ID, GRAPH, startWireFixture, type WireFixture } from './support/fixtures.js';

// docs/security.md rule 11: no secret material in any message, cause or output, whatever shape the input had.

let fx: WireFixture;
let dir: string;
let keyPem: string;
let keyDer: Buffer;
let pfxBytes: Buffer;
let openPfxBytes: Buffer;
const PASSPHRASE = 'pfx-passphrase-never-shown';
const WRONG_PASSPHRASE = 'wrong-passphrase-never-shown';
const pop = { scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true } as const;

beforeAll(async () => {
  fx = await startWireFixture();
  dir = await mkdtemp(join(tmpdir(), 'certbound-client-leak-'));
  const issued = fx.pki.clients['client-a']!;
  keyPem = issued.key;
  keyDer = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const certPath = join(dir, 'a.crt');
  const keyPath = join(dir, 'a.key');
  await writeFile(certPath, issued.cert);
  await writeFile(keyPath, issued.key, { mode: 0o600 });
  const export12 = (out: string, pass: string) =>
    execFileSync('openssl', ['pkcs12', '-export', '-in', certPath, '-inkey', keyPath, '-out', out, '-passout', `pass:${pass}`]);
  export12(join(dir, 'a.pfx'), PASSPHRASE);
  export12(join(dir, 'open.pfx'), '');
  pfxBytes = await readFile(join(dir, 'a.pfx'));
  openPfxBytes = await readFile(join(dir, 'open.pfx'));
  await writeFile(join(dir, 'a.key.der'), keyDer, { mode: 0o600 });
  await writeFile(join(dir, 'a.key.b64'), `${keyDer.toString('base64')}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'a.crt.der'), new X509Certificate(issued.cert).raw);
  await writeFile(join(dir, 'a.pfx.b64'), pfxBytes.toString('base64'), { mode: 0o600 });
  await writeFile(join(dir, 'truncated.key.der'), keyDer.subarray(0, keyDer.length - 9), { mode: 0o600 });
  await writeFile(join(dir, 'truncated.key.b64'), keyDer.toString('base64').slice(0, -12), { mode: 0o600 });
});
afterAll(async () => {
  await fx.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every 20-character piece of the secrets in base64, base64url and hex, plus the passphrases whole. */
function secretPieces(): string[] {
  const pieces = new Set<string>([PASSPHRASE, WRONG_PASSPHRASE]);
  for (const bytes of [keyDer, pfxBytes, openPfxBytes]) {
    for (const form of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()]) {
      for (let i = 0; i + 20 <= form.length; i++) pieces.add(form.slice(i, i + 20));
    }
  }
  return [...pieces];
}

/** Every text an error shows: message, stack, inspect output, JSON, along the cause chain and AggregateError members. */
function textsOf(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || error === undefined || seen.has(error)) return [];
  seen.add(error);
  const texts = [String(error), inspect(error, { depth: 20, showHidden: true })];
  try {
    texts.push(JSON.stringify(error) ?? '');
  } catch {
    // circular: inspect above covered it
  }
  if (error instanceof Error) {
    texts.push(error.message, error.stack ?? '');
    texts.push(...textsOf(error.cause, seen));
    if (error instanceof AggregateError) for (const member of error.errors) texts.push(...textsOf(member, seen));
  }
  return texts;
}

const pfxB64 = () => pfxBytes.toString('base64');
const otherCert = () => fx.pki.clients['client-b']!.cert;
const myCert = () => fx.pki.clients['client-a']!.cert;
const envText = (pem: string) => pem.replaceAll('\n', '\\n');

/** Credential shapes that must fail, each wrong in its own way. */
const WRONG: [string, () => ClientCredential][] = [
  ['base64 DER key of another certificate', () => ({ certificate: otherCert(), privateKey: keyDer.toString('base64') })],
  ['base64url DER key of another certificate', () => ({ certificate: otherCert(), privateKey: keyDer.toString('base64url') })],
  ['truncated base64 DER key (taken for a path)', () => ({ certificate: myCert(), privateKey: keyDer.toString('base64').slice(0, -12) })],
  ['hex DER key (taken for a path)', () => ({ certificate: myCert(), privateKey: keyDer.toString('hex') })],
  ['PEM body without armour, other certificate', () => ({ certificate: otherCert(), privateKey: keyPem.split('\n').filter((line) => !line.startsWith('-----')).join('\n') })],
  ['env-var PEM with literal \\n, other certificate', () => ({ certificate: otherCert(), privateKey: envText(keyPem) })],
  ['truncated PEM key', () => ({ certificate: myCert(), privateKey: keyPem.slice(0, keyPem.length / 2) })],
  ['PEM key with a corrupted body', () => ({ certificate: myCert(), privateKey: keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!') })],
  ['the key given as the certificate', () => ({ certificate: keyPem })],
  ['base64 DER key given as the certificate', () => ({ certificate: keyDer.toString('base64'), privateKey: keyPem })],
  ['env-var key given as the certificate', () => ({ certificate: envText(keyPem) })],
  ['encrypted key, wrong passphrase', () => ({ certificate: myCert(), privateKey: encrypted(), passphrase: WRONG_PASSPHRASE })],
  ['encrypted key, no passphrase', () => ({ certificate: myCert(), privateKey: encrypted() })],
  ['base64 DER key with a passphrase it does not need, other certificate', () => ({ certificate: otherCert(), privateKey: keyDer.toString('base64'), passphrase: PASSPHRASE })],
  ['PFX as base64, wrong passphrase', () => ({ pfx: pfxB64(), passphrase: WRONG_PASSPHRASE })],
  ['PFX as base64, no passphrase', () => ({ pfx: pfxB64() })],
  ['PFX as base64url, wrong passphrase', () => ({ pfx: pfxBytes.toString('base64url'), passphrase: WRONG_PASSPHRASE })],
  ['PFX with an empty passphrase as base64, wrong passphrase', () => ({ pfx: openPfxBytes.toString('base64'), passphrase: WRONG_PASSPHRASE })],
  ['truncated PFX base64 (taken for a path)', () => ({ pfx: pfxB64().slice(0, -40), passphrase: PASSPHRASE })],
  ['PFX as hex (taken for a path)', () => ({ pfx: openPfxBytes.toString('hex') })],
  ['truncated PFX bytes', () => ({ pfx: openPfxBytes.subarray(0, openPfxBytes.length - 30) })],
  ['PFX bytes, wrong passphrase', () => ({ pfx: new Uint8Array(pfxBytes), passphrase: WRONG_PASSPHRASE })],
  ['PEM key given as pfx', () => ({ pfx: keyPem })],
  ['env-var PEM given as pfx', () => ({ pfx: envText(keyPem) })],
  ['a key file holding truncated DER', () => ({ certificate: myCert(), privateKey: join(dir, 'truncated.key.der') })],
  ['a key file holding truncated base64 DER', () => ({ certificate: myCert(), privateKey: join(dir, 'truncated.key.b64') })],
  ['a DER key file of another certificate', () => ({ certificate: otherCert(), privateKey: join(dir, 'a.key.der') })],
  ['a base64 PFX file, wrong passphrase', () => ({ pfx: join(dir, 'a.pfx.b64'), passphrase: WRONG_PASSPHRASE })],
  ['a key file path that does not exist', () => ({ certificate: myCert(), privateKey: join(dir, keyDer.toString('hex').slice(0, 40)) })],
  ['a provider returning a wrong key', () => () => ({ certificate: otherCert(), privateKey: keyDer.toString('base64') })],
  ['a provider returning a PFX with a wrong passphrase', () => () => ({ pfx: pfxB64(), passphrase: WRONG_PASSPHRASE })],
  ['a binding certificate with a truncated key', () => ({ clientAssertion: () => ({ assertion: 'leg-1', tokenBindingCertificate: { certificate: myCert(), privateKey: keyPem.slice(0, 200) } }) })],
  ['a private key of the wrong type', () => ({ certificate: myCert(), privateKey: keyDer as unknown as string })],
  ['a passphrase of the wrong type', () => ({ certificate: myCert(), privateKey: keyPem, passphrase: keyDer as unknown as string })],
];

function encrypted(): string {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string;
}

/** Run `work` with everything written to stdout, stderr and the console captured. */
async function capturingOutput<T>(work: () => Promise<T>): Promise<{ value: T; output: string[] }> {
  const output: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = consoleMethods.map((name) => console[name]);
  const capture = (chunk: unknown) => {
    output.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  for (const name of consoleMethods) console[name] = (...args: unknown[]) => void capture(args.map((arg) => inspect(arg, { depth: 20 })).join(' '));
  try {
    return { value: await work(), output };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    consoleMethods.forEach((name, i) => (console[name] = saved[i]!));
  }
}

describe('docs/security.md rule 11: credentials never appear in errors or output', () => {
  it('the pieces scanned for are real: the base64 DER key and PFX strings of the cases do contain them', () => {
    const pieces = secretPieces();
    expect(pieces.length).toBeGreaterThan(1000);
    expect(pieces.some((piece) => keyPem.includes(piece))).toBe(true);
    expect(pieces.some((piece) => pfxB64().includes(piece))).toBe(true);
  });

  it.each(WRONG)('%s: refused with an error naming no secret', async (_label, credential) => {
    const { value: error, output } = await capturingOutput(async () => {
      try {
        const client = createConfidentialClient({ clientId: CLIENT_ID, authority: AUTHORITY, credential: credential(), azureRegion: false, ca: fx.pki.ca.cert, hostOverrides: { 'mtlsauth.microsoft.com': fx.mtls.origin } });
        try {
          await client.acquireTokenForClient(pop);
        } finally {
          await client.close();
        }
      } catch (caught) {
        return caught;
      }
      return undefined;
    });
    expect(error).toBeInstanceOf(Error);
    const texts = [...textsOf(error), ...output];
    const pieces = secretPieces();
    const leaked = pieces.filter((piece) => texts.some((text) => text.includes(piece)));
    expect(leaked).toEqual([]);
    expect(texts.join('\n')).not.toContain('PRIVATE KEY-----');
  });

  it.each([
    ['base64 DER key', () => ({ certificate: myCert(), privateKey: keyDer.toString('base64') })],
    ['base64url DER key', () => ({ certificate: myCert(), privateKey: keyDer.toString('base64url') })],
    ['PEM body without armour', () => ({ certificate: myCert(), privateKey: keyPem.split('\n').filter((line) => !line.startsWith('-----')).join('') })],
    ['env-var PEM with literal \\n', () => ({ certificate: envText(myCert()), privateKey: envText(keyPem) })],
    ['PFX as base64 (a Key Vault secret)', () => ({ pfx: pfxB64(), passphrase: PASSPHRASE })],
    ['PFX with an empty passphrase as base64', () => ({ pfx: openPfxBytes.toString('base64'), passphrase: '' })],
    ['DER certificate and DER key files', () => ({ certificate: join(dir, 'a.crt.der'), privateKey: join(dir, 'a.key.der') })],
    ['a key file holding base64 DER', () => ({ certificate: myCert(), privateKey: join(dir, 'a.key.b64') })],
    ['a PFX file holding base64', () => ({ pfx: join(dir, 'a.pfx.b64'), passphrase: PASSPHRASE })],
  ] as [string, () => ClientCredential][])('%s is recognised and presented on the mTLS connection', async (_label, credential) => {
    const before = fx.mtls.requests.length;
    const result = await fx.client({ credential: credential() }).acquireTokenForClient(pop);
    expect(result.tokenType).toBe('mtls_pop');
    expect(fx.mtls.requests.slice(before).map((request) => request.thumbprint)).toEqual([fx.pki.clients['client-a']!.thumbprint]);
  });

  it('an unreadable credential file is named by its option, not by its path', async () => {
    const path = join(dir, 'missing.key');
    const error = await fx.client({ credential: { certificate: myCert(), privateKey: path } }).acquireTokenForClient(pop).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_INVALID' });
    expect((error as Error).message).toContain('credential.privateKey');
    expect((error as Error).message).toContain('ENOENT');
    expect(textsOf(error).join('\n')).not.toContain(path);
  });

  it('an unreadable ca file is named by its option, not by its value', () => {
    const path = join(dir, 'missing-ca.pem');
    const create = () => createConfidentialClient({ clientId: CLIENT_ID, authority: AUTHORITY, credential: { clientSecret: 'unused-secret' }, ca: [fx.pki.ca.cert, path] });
    expect(create).toThrow(new TypeError('ca[1] is neither PEM text nor a readable file (ENOENT)'));
  });
});
