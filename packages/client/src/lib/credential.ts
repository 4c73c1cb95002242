import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { BindingCertificate, tlsMaterialOf, type TlsClientMaterial } from '../binding-certificate.js';
import { ConfidentialClientError } from '../errors.js';
import type {
  CertificateCredential,
  ClientAssertionCallback,
  ClientCredential,
  CredentialContext,
  PemCertificateCredential,
  PfxCertificateCredential,
} from '../types.js';

/** The credential of one acquisition, after providers and callbacks ran. */
export type ResolvedCredential =
  | { readonly kind: 'certificate'; readonly certificate: BindingCertificate }
  | { readonly kind: 'assertion'; readonly assertion: string; readonly certificate: BindingCertificate | null }
  | { readonly kind: 'secret'; readonly secret: string };

type CredentialSource =
  | { readonly kind: 'certificate'; readonly credential: CertificateCredential }
  | { readonly kind: 'provider'; readonly provider: (context: CredentialContext) => unknown }
  | { readonly kind: 'assertion'; readonly callback: ClientAssertionCallback }
  | { readonly kind: 'secret'; readonly secret: string };

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/;
const MAX_LOADED = 16;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isCertificateCredential(value: unknown): value is CertificateCredential {
  return isObject(value) && (typeof value['certificate'] === 'string' || typeof value['pfx'] === 'string' || value['pfx'] instanceof Uint8Array);
}

/** Check the credential's shape when the client is created (programming errors are `TypeError`s). */
export function classifyCredential(credential: ClientCredential | undefined): CredentialSource {
  if (typeof credential === 'function') return { kind: 'provider', provider: credential };
  if (!isObject(credential)) throw new TypeError('credential is required: a certificate, a provider function, { clientAssertion } or { clientSecret }');
  const present = ['certificate', 'pfx', 'clientAssertion', 'clientSecret'].filter((name) => (credential as Record<string, unknown>)[name] !== undefined);
  if (present.length !== 1) throw new TypeError('credential must have exactly one of certificate, pfx, clientAssertion, clientSecret');
  if ('clientSecret' in credential) {
    if (typeof credential.clientSecret !== 'string' || credential.clientSecret === '') throw new TypeError('credential.clientSecret must be a non-empty string');
    return { kind: 'secret', secret: credential.clientSecret };
  }
  if ('clientAssertion' in credential) {
    const assertion = credential.clientAssertion;
    if (typeof assertion === 'function') return { kind: 'assertion', callback: assertion };
    if (typeof assertion === 'string') return { kind: 'assertion', callback: () => assertion };
    throw new TypeError('credential.clientAssertion must be a string or a callback');
  }
  if (!isCertificateCredential(credential)) throw new TypeError('credential.certificate must be a string (PEM or path); credential.pfx bytes or a path');
  return { kind: 'certificate', credential };
}

/** Loads certificate credentials into {@link BindingCertificate}s, memoised by content so equal inputs give one object. */
export class CredentialLoader {
  readonly #source: CredentialSource;
  readonly #loaded = new Map<string, Promise<BindingCertificate>>();

  constructor(credential: ClientCredential) {
    this.#source = classifyCredential(credential);
  }

  /** True when the credential can be a certificate (static or provider); RFC 8705 authorities need one. */
  get isCertificateBased(): boolean {
    return this.#source.kind === 'certificate' || this.#source.kind === 'provider';
  }

  /** Run the provider or callback of this acquisition and load what it returned. */
  async resolve(context: CredentialContext): Promise<ResolvedCredential> {
    const source = this.#source;
    switch (source.kind) {
      case 'secret':
        return { kind: 'secret', secret: source.secret };
      case 'certificate':
        return { kind: 'certificate', certificate: await this.load(source.credential) };
      case 'provider': {
        const provided = await source.provider(context);
        if (provided === undefined || provided === null) {
          throw new ConfidentialClientError('mtls_certificate_not_provided', 'The certificate provider returned no certificate');
        }
        if (!isCertificateCredential(provided)) throw new TypeError('The certificate provider must return { certificate, privateKey } or { pfx }');
        return { kind: 'certificate', certificate: await this.load(provided) };
      }
      case 'assertion': {
        const answer = await source.callback(context);
        const signed = typeof answer === 'string' ? { assertion: answer } : answer;
        if (!isObject(signed) || typeof signed.assertion !== 'string' || signed.assertion.trim() === '') {
          throw new ConfidentialClientError('invalid_client_assertion', 'The client assertion callback returned an empty assertion');
        }
        const binding = signed.tokenBindingCertificate;
        if (binding === undefined || binding === null) return { kind: 'assertion', assertion: signed.assertion, certificate: null };
        if (binding instanceof BindingCertificate) {
          if (tlsMaterialOf(binding) === undefined) {
            throw new ConfidentialClientError('cert_without_private_key', `tokenBindingCertificate ${binding.thumbprint} has no private key loaded`);
          }
          return { kind: 'assertion', assertion: signed.assertion, certificate: binding };
        }
        if (!isCertificateCredential(binding)) throw new TypeError('tokenBindingCertificate must be a BindingCertificate or a certificate credential');
        return { kind: 'assertion', assertion: signed.assertion, certificate: await this.load(binding) };
      }
    }
  }

  /** Load (or reuse) a certificate credential. */
  async load(credential: CertificateCredential): Promise<BindingCertificate> {
    const input = await readInputs(credential);
    const existing = this.#loaded.get(input.digest);
    if (existing !== undefined) {
      // Refresh recency so the credential in use is not the one evicted.
      this.#loaded.delete(input.digest);
      this.#loaded.set(input.digest, existing);
      return existing;
    }
    const loading = Promise.resolve().then(() => (input.kind === 'pem' ? loadPem(input) : loadPfx(input)));
    this.#loaded.set(input.digest, loading);
    loading.catch(() => this.#loaded.delete(input.digest));
    while (this.#loaded.size > MAX_LOADED) {
      const oldest = this.#loaded.keys().next().value;
      if (oldest === undefined) break;
      this.#loaded.delete(oldest);
    }
    return loading;
  }
}

type Inputs =
  | { kind: 'pem'; digest: string; certText: string; keyText: string | undefined; passphrase: string | undefined }
  | { kind: 'pfx'; digest: string; pfx: Buffer; passphrase: string | undefined };

async function readText(value: string, what: string): Promise<string> {
  if (value.includes('-----BEGIN')) return value;
  try {
    return await readFile(value, 'utf8');
  } catch (cause) {
    throw new ConfidentialClientError('invalid_certificate', `Could not read the ${what} file ${JSON.stringify(value)}`, { cause });
  }
}

async function readInputs(credential: CertificateCredential): Promise<Inputs> {
  const digest = createHash('sha256');
  if ('pfx' in credential) {
    const pfxCredential = credential as PfxCertificateCredential;
    let pfx: Buffer;
    if (typeof pfxCredential.pfx === 'string') {
      try {
        pfx = await readFile(pfxCredential.pfx);
      } catch (cause) {
        throw new ConfidentialClientError('invalid_certificate', `Could not read the PFX file ${JSON.stringify(pfxCredential.pfx)}`, { cause });
      }
    } else {
      pfx = Buffer.from(pfxCredential.pfx);
    }
    digest.update('pfx\0').update(pfx).update('\0').update(pfxCredential.passphrase ?? '');
    return { kind: 'pfx', digest: digest.digest('base64url'), pfx, passphrase: pfxCredential.passphrase };
  }
  const pem = credential as PemCertificateCredential;
  const certText = await readText(pem.certificate, 'certificate');
  const keyText = pem.privateKey === undefined ? undefined : await readText(pem.privateKey, 'private key');
  digest.update('pem\0').update(certText).update('\0').update(keyText ?? '').update('\0').update(pem.passphrase ?? '');
  return { kind: 'pem', digest: digest.digest('base64url'), certText, keyText, passphrase: pem.passphrase };
}

function thumbprintOf(x509: X509Certificate): string {
  return createHash('sha256').update(x509.raw).digest('base64url');
}

function loadPem(input: Extract<Inputs, { kind: 'pem' }>): BindingCertificate {
  const blocks = input.certText.match(CERTIFICATE_BLOCK) ?? [];
  const leafPem = blocks[0];
  if (leafPem === undefined) throw new ConfidentialClientError('invalid_certificate', 'The certificate credential contains no PEM CERTIFICATE block');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (cause) {
    throw new ConfidentialClientError('invalid_certificate', 'The certificate PEM could not be parsed', { cause });
  }
  const thumbprint = thumbprintOf(leaf);
  // A combined file (cert + key) is common; otherwise the certificate has no key to prove possession with.
  const keyPem = input.keyText ?? input.certText.match(KEY_BLOCK)?.[0];
  if (keyPem === undefined || !KEY_BLOCK.test(keyPem)) {
    throw new ConfidentialClientError('cert_without_private_key', `The certificate ${thumbprint} has no private key`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(input.passphrase === undefined ? { key: keyPem, format: 'pem' } : { key: keyPem, format: 'pem', passphrase: input.passphrase });
  } catch (cause) {
    // The cause is OpenSSL's decoder message; it never contains key material.
    throw new ConfidentialClientError('invalid_certificate', `The private key of certificate ${thumbprint} could not be read (wrong passphrase or not a key)`, { cause });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfidentialClientError('invalid_certificate', `The private key does not belong to certificate ${thumbprint}`);
  }
  const material: TlsClientMaterial =
    input.passphrase === undefined
      ? { kind: 'pem', cert: blocks.join('\n') + '\n', key: keyPem }
      : { kind: 'pem', cert: blocks.join('\n') + '\n', key: keyPem, passphrase: input.passphrase };
  return new BindingCertificate(leaf, thumbprint, material);
}

/** Node exposes no PKCS#12 parser; its TLS layer loads PFX and reports the leaf it loaded. */
interface NativeSecureContext {
  getCertificate?: () => Buffer | null;
}

function loadPfx(input: Extract<Inputs, { kind: 'pfx' }>): BindingCertificate {
  let native: NativeSecureContext | undefined;
  try {
    const context = createSecureContext(input.passphrase === undefined ? { pfx: input.pfx } : { pfx: input.pfx, passphrase: input.passphrase });
    native = (context as unknown as { context?: NativeSecureContext }).context;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : '';
    if (/private key/i.test(message)) throw new ConfidentialClientError('cert_without_private_key', 'The PFX holds no private key', { cause });
    throw new ConfidentialClientError('invalid_certificate', 'The PFX could not be loaded (wrong passphrase or not PKCS#12)', { cause });
  }
  const der = typeof native?.getCertificate === 'function' ? native.getCertificate() : null;
  if (der === null || der === undefined) {
    throw new ConfidentialClientError('invalid_certificate', 'The PFX certificate could not be read on this Node.js version; convert it to PEM');
  }
  const leaf = new X509Certificate(der);
  const material: TlsClientMaterial =
    input.passphrase === undefined ? { kind: 'pfx', pfx: input.pfx } : { kind: 'pfx', pfx: input.pfx, passphrase: input.passphrase };
  return new BindingCertificate(leaf, thumbprintOf(leaf), material);
}
