import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevPkiError } from '../errors.js';
import { createCertificateAuthority, type CertificateAuthority, type IssuedCertificate } from './issue.js';
import type { KeyAlgorithm } from './keys.js';

/** A ready-made development PKI: what a demo, a test suite or a benchmark needs. */
export interface DevPki {
  /** The development CA that signs the server and client certificates. */
  readonly ca: CertificateAuthority;
  /** A second, unrelated CA for "wrong CA" cases. */
  readonly otherCa: CertificateAuthority;
  /** Server certificate for localhost, 127.0.0.1 and ::1. */
  readonly server: IssuedCertificate;
  /** Client certificates by name. */
  readonly clients: Readonly<Record<string, IssuedCertificate>>;
}

export interface DevPkiOptions {
  /** Names of the client certificates to issue (common names). Default ["client-a", "client-b"]. */
  clients?: string[];
  /** Key algorithm for every certificate. Default "P-256". */
  algorithm?: KeyAlgorithm;
}

/** File stems the PKI writes for itself: a client of one of these names would overwrite (or be overwritten by) it. */
const RESERVED_NAMES = new Set(['ca', 'other-ca', 'server', 'thumbprints']);
/** A client name becomes a common name and two file names (`NAME.crt`, `NAME.key`): a plain, portable file stem. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Refuse client names that would escape the output folder, collide with the PKI's own files, or repeat. */
function checkClientNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    // The value is echoed only after it passed the plain-name pattern (no separators, no control characters).
    if (!CLIENT_NAME.test(name) || name.includes('..')) {
      throw new DevPkiError('ERR_DEV_PKI_CLIENT_NAME', 'clients', 'a client name must be 1–64 letters, digits, ".", "_" or "-", start with a letter or digit, and contain no ".." or path separator');
    }
    if (RESERVED_NAMES.has(name.toLowerCase())) {
      throw new DevPkiError('ERR_DEV_PKI_CLIENT_NAME', 'clients', `client name "${name}" is taken by the PKI's own files (${[...RESERVED_NAMES].join(', ')})`);
    }
    if (seen.has(name.toLowerCase())) throw new DevPkiError('ERR_DEV_PKI_CLIENT_NAME', 'clients', `client name "${name}" is given twice`);
    seen.add(name.toLowerCase());
  }
}

/**
 * Generate a CA, a second CA, a localhost server certificate and client certificates.
 * @throws {@link DevPkiError} `ERR_DEV_PKI_CLIENT_NAME` for a client name that is not a plain file stem, is one of
 * the PKI's own (`ca`, `other-ca`, `server`, `thumbprints`) or repeats (case-insensitively).
 */
export async function createDevPki(options: DevPkiOptions = {}): Promise<DevPki> {
  const algorithm = options.algorithm ?? 'P-256';
  checkClientNames(options.clients ?? []);
  const [ca, otherCa] = await Promise.all([
    createCertificateAuthority({ algorithm }),
    createCertificateAuthority({ algorithm, commonName: 'certbound other CA' }),
  ]);
  const server = await ca.issue({ commonName: 'localhost', usage: 'server', algorithm });
  const clients: Record<string, IssuedCertificate> = {};
  for (const name of options.clients ?? ['client-a', 'client-b']) {
    clients[name] = await ca.issue({ commonName: name, usage: 'client', algorithm });
  }
  return { ca, otherCa, server, clients };
}

/** Files written by {@link writeDevPki}, absolute paths. */
export interface DevPkiFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly otherCaCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clients: Readonly<Record<string, { cert: string; key: string; thumbprint: string }>>;
}

/**
 * Write a PKI as PEM files: `ca.crt`, `other-ca.crt`, `server.crt`/`server.key`, `NAME.crt`/`NAME.key` per client,
 * and `thumbprints.json`. Private keys are written with mode 0600.
 */
export async function writeDevPki(pki: DevPki, dir: string): Promise<DevPkiFiles> {
  checkClientNames(Object.keys(pki.clients));
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'is a file, not a folder' : `cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new DevPkiError('ERR_DEV_PKI_OUT', 'out', `the output folder ${dir} ${reason}`, { cause: error });
  }
  const put = (name: string, content: string, secret = false) =>
    writeFile(join(dir, name), content, { mode: secret ? 0o600 : 0o644 }).then(() => join(dir, name));
  const clients: Record<string, { cert: string; key: string; thumbprint: string }> = {};
  for (const [name, issued] of Object.entries(pki.clients)) {
    clients[name] = { cert: await put(`${name}.crt`, issued.cert), key: await put(`${name}.key`, issued.key, true), thumbprint: issued.thumbprint };
  }
  const files: DevPkiFiles = {
    dir,
    caCert: await put('ca.crt', pki.ca.cert),
    otherCaCert: await put('other-ca.crt', pki.otherCa.cert),
    serverCert: await put('server.crt', pki.server.cert),
    serverKey: await put('server.key', pki.server.key, true),
    clients,
  };
  await put('thumbprints.json', JSON.stringify(Object.fromEntries(Object.entries(clients).map(([n, c]) => [n, c.thumbprint])), null, 2) + '\n');
  return files;
}
