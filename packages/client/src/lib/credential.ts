import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { BindingCertificate, tlsMaterialOf, type TlsClientMaterial } from '../binding-certificate.js';
import { CertboundClientError } from '../errors.js';
import { assertKnownKeys } from './known-options.js';
import { safeCause } from './safe-cause.js';
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
/** Fields of every credential object shape. */
const CREDENTIAL_FIELDS = ['certificate', 'privateKey', 'passphrase', 'pfx', 'clientAssertion', 'clientSecret'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isCertificateCredential(value: unknown): value is CertificateCredential {
  if (!isObject(value)) return false;
  const optionalString = (name: string) => value[name] === undefined || typeof value[name] === 'string';
  if (typeof value['certificate'] === 'string') return optionalString('privateKey') && optionalString('passphrase');
  return (typeof value['pfx'] === 'string' || value['pfx'] instanceof Uint8Array) && optionalString('passphrase');
}

/** Check the credential's shape when the client is created (programming errors are `TypeError`s). */
export function classifyCredential(credential: ClientCredential | undefined): CredentialSource {
  if (typeof credential === 'function') return { kind: 'provider', provider: credential };
  if (!isObject(credential)) throw new TypeError('credential is required: a certificate, a provider function, { clientAssertion } or { clientSecret }');
  assertKnownKeys(credential, CREDENTIAL_FIELDS, 'credential field');
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
  if (!isCertificateCredential(credential)) throw new TypeError('credential.certificate must be a string (PEM, base64 DER or path), privateKey and passphrase strings; credential.pfx bytes, base64 or a path');
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
          throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_REQUIRED', 'The certificate provider returned no certificate');
        }
        if (isObject(provided)) assertKnownKeys(provided, CREDENTIAL_FIELDS, 'field returned by the certificate provider');
        if (!isCertificateCredential(provided)) throw new TypeError('The certificate provider must return { certificate, privateKey } or { pfx }');
        return { kind: 'certificate', certificate: await this.load(provided) };
      }
      case 'assertion': {
        const answer = await source.callback(context);
        const signed = typeof answer === 'string' ? { assertion: answer } : answer;
        if (!isObject(signed) || typeof signed.assertion !== 'string' || signed.assertion.trim() === '') {
          throw new CertboundClientError('ERR_CLIENT_ASSERTION_INVALID', 'The client assertion callback returned an empty assertion');
        }
        const binding = signed.tokenBindingCertificate;
        if (binding === undefined || binding === null) return { kind: 'assertion', assertion: signed.assertion, certificate: null };
        if (binding instanceof BindingCertificate) {
          if (tlsMaterialOf(binding) === undefined) {
            throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_WITHOUT_KEY', `tokenBindingCertificate ${binding.thumbprint} has no private key loaded`);
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

/** The credential options whose strings may be key material: named in errors, never quoted. */
type CredentialOption = 'certificate' | 'privateKey' | 'pfx';

/**
 * What a credential string is, decided without echoing it (docs/security.md rule 11): PEM text (also with the
 * literal `\n` an environment variable often carries), base64 DER without armour (a Key Vault secret's shape), or
 * else a file path.
 */
type Shape = { readonly kind: 'pem'; readonly text: string } | { readonly kind: 'der'; readonly bytes: Buffer } | { readonly kind: 'path'; readonly path: string };

const BASE64_TEXT = /^[A-Za-z0-9+/_=\s-]+$/;
/** Shorter base64 cannot be a certificate, key or PFX; such strings are paths. */
const MIN_DER_TEXT = 64;

/** True when `bytes` is one DER (or BER indefinite-length) SEQUENCE and nothing else, as every credential is. */
function isDerSequence(bytes: Buffer): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x30) return false;
  const first = bytes[1] as number;
  if (first === 0x80) return true; // BER indefinite length: some PKCS#12 writers use it
  if (first < 0x80) return 2 + first === bytes.length;
  const octets = first & 0x7f;
  if (octets > 4 || bytes.length < 2 + octets) return false;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[2 + i] as number);
  return 2 + octets + length === bytes.length;
}

function shapeOf(value: string): Shape {
  if (value.includes('-----BEGIN')) return { kind: 'pem', text: value.replace(/\\r\\n|\\n|\\r/g, '\n') };
  const compact = value.replace(/\s+/g, '');
  if (compact.length >= MIN_DER_TEXT && BASE64_TEXT.test(value)) {
    const bytes = Buffer.from(compact.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (isDerSequence(bytes)) return { kind: 'der', bytes };
  }
  return { kind: 'path', path: value };
}

/** The error for an unreadable credential file: the option and the errno code, never the value (it may be a key). */
async function readCredentialFile(path: string, option: CredentialOption): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // No cause: Node's fs errors quote the path, which may be key material given in a shape we did not recognise.
    throw new CertboundClientError(
      'ERR_CLIENT_CERTIFICATE_INVALID',
      `credential.${option} is neither PEM text, base64 DER nor a readable file${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
}

/**
 * A credential file's contents, classified like an inline value: binary DER, PEM text or base64 DER text. Anything
 * else comes back as `path` holding the text itself (a file never names another file).
 */
async function readFileShape(path: string, option: CredentialOption): Promise<Shape> {
  const bytes = await readCredentialFile(path, option);
  if (isDerSequence(bytes)) return { kind: 'der', bytes };
  const text = bytes.toString('utf8');
  const shape = shapeOf(text.trim());
  return shape.kind === 'path' ? { kind: 'path', path: text } : shape;
}

/** PEM armour around DER bytes. */
function armour(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** The private-key DER encodings Node reads, and the PEM label of each. */
const KEY_DER_TYPES = [
  ['pkcs8', 'PRIVATE KEY'],
  ['pkcs1', 'RSA PRIVATE KEY'],
  ['sec1', 'EC PRIVATE KEY'],
] as const;

/** A certificate or key string as PEM text: PEM kept, base64 DER armoured, a path read. */
async function pemText(value: string, option: 'certificate' | 'privateKey', passphrase: string | undefined): Promise<string> {
  let shape = shapeOf(value);
  if (shape.kind === 'path') {
    const content = await readFileShape(shape.path, option);
    // Neither PEM nor DER: handed on as text, for the PEM checks to refuse by name.
    if (content.kind === 'path') return content.path;
    shape = content;
  }
  if (shape.kind === 'pem') return shape.text;
  if (option === 'certificate') {
    try {
      return new X509Certificate(shape.bytes).toString();
    } catch (cause) {
      throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'credential.certificate holds DER that is not a certificate', { cause: safeCause(cause) });
    }
  }
  for (const [type, label] of KEY_DER_TYPES) {
    try {
      createPrivateKey(passphrase === undefined ? { key: shape.bytes, format: 'der', type } : { key: shape.bytes, format: 'der', type, passphrase });
      // An encrypted PKCS#8 key keeps its encryption: the armour says so and the passphrase stays with it.
      return armour(type === 'pkcs8' && passphrase !== undefined && isEncryptedPkcs8(shape.bytes) ? 'ENCRYPTED PRIVATE KEY' : label, shape.bytes);
    } catch {
      // try the next encoding
    }
  }
  throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'credential.privateKey holds DER that is not a private key this passphrase opens');
}

/** EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier SEQUENCE; PrivateKeyInfo with an INTEGER version. */
function isEncryptedPkcs8(der: Buffer): boolean {
  const first = der[1] as number;
  const offset = first <= 0x80 ? 2 : 2 + (first & 0x7f);
  return der[offset] === 0x30;
}

async function readInputs(credential: CertificateCredential): Promise<Inputs> {
  const digest = createHash('sha256');
  if ('pfx' in credential) {
    const pfxCredential = credential as PfxCertificateCredential;
    let pfx: Buffer;
    if (typeof pfxCredential.pfx === 'string') {
      const shape = shapeOf(pfxCredential.pfx);
      if (shape.kind === 'pem') throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'credential.pfx holds PEM text: pass it as { certificate, privateKey }');
      if (shape.kind === 'der') {
        pfx = shape.bytes;
      } else {
        // A PFX file holds the PKCS#12 bytes, or the same as base64 text (a Key Vault secret saved to a file);
        // anything else is handed to OpenSSL unchanged, to be refused there.
        const bytes = await readCredentialFile(shape.path, 'pfx');
        const text = isDerSequence(bytes) ? undefined : shapeOf(bytes.toString('latin1').trim());
        pfx = text?.kind === 'der' ? text.bytes : bytes;
      }
    } else {
      pfx = Buffer.from(pfxCredential.pfx);
    }
    digest.update('pfx\0').update(pfx).update('\0').update(pfxCredential.passphrase ?? '');
    return { kind: 'pfx', digest: digest.digest('base64url'), pfx, passphrase: pfxCredential.passphrase };
  }
  const pem = credential as PemCertificateCredential;
  const certText = await pemText(pem.certificate, 'certificate', undefined);
  const keyText = pem.privateKey === undefined ? undefined : await pemText(pem.privateKey, 'privateKey', pem.passphrase);
  digest.update('pem\0').update(certText).update('\0').update(keyText ?? '').update('\0').update(pem.passphrase ?? '');
  return { kind: 'pem', digest: digest.digest('base64url'), certText, keyText, passphrase: pem.passphrase };
}

function thumbprintOf(x509: X509Certificate): string {
  return createHash('sha256').update(x509.raw).digest('base64url');
}

function loadPem(input: Extract<Inputs, { kind: 'pem' }>): BindingCertificate {
  const blocks = input.certText.match(CERTIFICATE_BLOCK) ?? [];
  const leafPem = blocks[0];
  if (leafPem === undefined) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'The certificate credential contains no PEM CERTIFICATE block');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (cause) {
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'The certificate PEM could not be parsed', { cause: safeCause(cause) });
  }
  const thumbprint = thumbprintOf(leaf);
  // A combined file (cert + key) is common; otherwise the certificate has no key to prove possession with.
  const keyPem = input.keyText ?? input.certText.match(KEY_BLOCK)?.[0];
  if (keyPem === undefined || !KEY_BLOCK.test(keyPem)) {
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_WITHOUT_KEY', `The certificate ${thumbprint} has no private key`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(input.passphrase === undefined ? { key: keyPem, format: 'pem' } : { key: keyPem, format: 'pem', passphrase: input.passphrase });
  } catch (cause) {
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', `The private key of certificate ${thumbprint} could not be read (wrong passphrase or not a key)`, { cause: safeCause(cause) });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', `The private key does not belong to certificate ${thumbprint}`);
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
    if (/private key/i.test(message)) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_WITHOUT_KEY', 'The PFX holds no private key', { cause: safeCause(cause) });
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'The PFX could not be loaded (wrong passphrase or not PKCS#12)', { cause: safeCause(cause) });
  }
  const der = typeof native?.getCertificate === 'function' ? native.getCertificate() : null;
  if (der === null || der === undefined) {
    throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'The PFX certificate could not be read on this Node.js version; convert it to PEM');
  }
  const leaf = new X509Certificate(der);
  const material: TlsClientMaterial =
    input.passphrase === undefined ? { kind: 'pfx', pfx: input.pfx } : { kind: 'pfx', pfx: input.pfx, passphrase: input.passphrase };
  return new BindingCertificate(leaf, thumbprintOf(leaf), material);
}
