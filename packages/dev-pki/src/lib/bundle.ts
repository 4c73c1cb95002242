import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Generate a CA, a second CA, a localhost server certificate and client certificates. */
export async function createDevPki(options: DevPkiOptions = {}): Promise<DevPki> {
  const algorithm = options.algorithm ?? 'P-256';
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
  await mkdir(dir, { recursive: true });
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
