import type { X509Certificate } from 'node:crypto';

/**
 * TLS client material behind a {@link BindingCertificate}. Kept in a module-private WeakMap, never on the object,
 * so logging or serialising a result cannot print a private key (docs/security.md rule 11).
 */
export type TlsClientMaterial =
  | { readonly kind: 'pem'; readonly cert: string; readonly key: string; readonly passphrase?: string }
  | { readonly kind: 'pfx'; readonly pfx: Buffer; readonly passphrase?: string };

const materials = new WeakMap<BindingCertificate, TlsClientMaterial>();

/**
 * The certificate a token is bound to (MSAL's `BindingCertificate`). It is what the client presents on the mTLS
 * connection to the token endpoint and to the resource. Pass it as `tokenBindingCertificate` in Leg 2 of the FIC
 * two-leg flow: the client finds the private key it was loaded with, which is never a property of this object.
 */
export class BindingCertificate {
  /** @see RFC 8705 §3.1 — `x5t#S256`: base64url SHA-256 of the leaf certificate's DER, no padding. */
  readonly thumbprint: string;
  /** PEM of the leaf certificate (public). */
  readonly certificate: string;
  /** Node's parsed view of the leaf certificate. */
  readonly x509: X509Certificate;

  /** @internal Use the client's credential options; instances are created when a credential is loaded. */
  constructor(x509: X509Certificate, thumbprint: string, material: TlsClientMaterial) {
    this.x509 = x509;
    this.thumbprint = thumbprint;
    this.certificate = x509.toString();
    materials.set(this, material);
    Object.freeze(this);
  }

  /** Subject and thumbprint only: the PEM is long and the key is never shown. */
  toString(): string {
    return `BindingCertificate(${this.x509.subject.replaceAll('\n', ', ')}; x5t#S256=${this.thumbprint})`;
  }
}

/** @internal The TLS material a binding certificate was loaded with, or undefined for a look-alike object. */
export function tlsMaterialOf(certificate: BindingCertificate): TlsClientMaterial | undefined {
  return materials.get(certificate);
}
