import { createHash, randomBytes, X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from './x509.js';
import { generateKeyPair, privateKeyPem, signingAlgorithm, type CryptoKeyPair, type KeyAlgorithm } from './keys.js';

const DAY_MS = 86_400_000;

/** A certificate with its private key, in the forms tests and servers need. */
export interface IssuedCertificate {
  /** PEM of the certificate. */
  readonly cert: string;
  /** PKCS#8 PEM of the private key. */
  readonly key: string;
  /** DER bytes of the certificate. */
  readonly der: Buffer;
  /** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER, no padding. */
  readonly thumbprint: string;
  /** Subject common name. */
  readonly commonName: string;
  /** Key algorithm. */
  readonly algorithm: KeyAlgorithm;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Node's parsed view of the certificate. */
  readonly x509: NodeX509Certificate;
}

/** A certificate authority able to sign further certificates. */
export interface CertificateAuthority extends IssuedCertificate {
  /** Issue a leaf certificate signed by this CA. */
  issue(options: LeafOptions): Promise<IssuedCertificate>;
  /** @internal signing key */
  readonly keys: CryptoKeyPair;
}

export interface ValidityOptions {
  /** Start of validity. Default: one hour ago (absorbs clock skew). */
  notBefore?: Date;
  /** End of validity. Default: `notBefore` + `days`. */
  notAfter?: Date;
  /** Lifetime in days when `notAfter` is not given. Default 30 (CA: 365). */
  days?: number;
  /** Issue an already expired certificate (valid from 10 days ago until yesterday). Default false. */
  expired?: boolean;
}

export interface CaOptions extends ValidityOptions {
  /** Common name. Default "certbound development CA". */
  commonName?: string;
  /** Default "P-256". */
  algorithm?: KeyAlgorithm;
}

export interface LeafOptions extends ValidityOptions {
  commonName: string;
  /** "server" adds serverAuth and SANs; "client" adds clientAuth. */
  usage: 'server' | 'client';
  /** DNS names and IP addresses for the SAN (server default: localhost, 127.0.0.1, ::1). */
  subjectAltNames?: string[];
  /** Default "P-256". */
  algorithm?: KeyAlgorithm;
  /** Reuse an existing key pair (a renewed certificate with the same key). */
  keys?: CryptoKeyPair;
}

/** base64url SHA-256 of DER bytes: the RFC 8705 §3.1 certificate thumbprint. */
export function thumbprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

function validity(options: ValidityOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  if (options.expired) return { notBefore: new Date(now - 10 * DAY_MS), notAfter: new Date(now - DAY_MS) };
  const notBefore = options.notBefore ?? new Date(now - 3_600_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.days ?? defaultDays) * DAY_MS);
  if (notAfter <= notBefore) throw new RangeError('notAfter must be later than notBefore');
  return { notBefore, notAfter };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair, commonName: string, algorithm: KeyAlgorithm): Promise<IssuedCertificate> {
  const der = Buffer.from(cert.rawData);
  return {
    cert: cert.toString('pem') + '\n',
    key: await privateKeyPem(keys.privateKey),
    der,
    thumbprint: thumbprintOf(der),
    commonName,
    algorithm,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    x509: new NodeX509Certificate(der),
  };
}

function escapeCn(value: string): string {
  return value.replace(/([,+"\\<>;=#])/g, '\\$1');
}

function sanEntries(names: string[]): x509.JsonGeneralNames {
  return names.map((name) => (/^[\d.]+$/.test(name) || name.includes(':') ? { type: 'ip', value: name } : { type: 'dns', value: name }));
}

/** Create a self-signed development CA. */
export async function createCertificateAuthority(options: CaOptions = {}): Promise<CertificateAuthority> {
  const algorithm = options.algorithm ?? 'P-256';
  const commonName = options.commonName ?? 'certbound development CA';
  const keys = await generateKeyPair(algorithm);
  const { notBefore, notAfter } = validity(options, 365);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeCn(commonName)}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithm(algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const issued = await finish(cert, keys, commonName, algorithm);
  const ca: CertificateAuthority = {
    ...issued,
    keys,
    issue: (leaf) => issueLeaf(ca, cert, leaf),
  };
  return ca;
}

async function issueLeaf(ca: CertificateAuthority, caCert: x509.X509Certificate, options: LeafOptions): Promise<IssuedCertificate> {
  const algorithm = options.algorithm ?? 'P-256';
  const keys = options.keys ?? (await generateKeyPair(algorithm));
  const { notBefore, notAfter } = validity(options, 30);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      algorithm === 'P-256'
        ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  const names = options.subjectAltNames ?? (options.usage === 'server' ? ['localhost', '127.0.0.1', '::1'] : []);
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sanEntries(names)));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escapeCn(options.commonName)}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: signingAlgorithm(ca.algorithm),
    extensions,
  });
  return finish(cert, keys, options.commonName, algorithm);
}
