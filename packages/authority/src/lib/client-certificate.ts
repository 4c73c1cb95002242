import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { x5tS256 } from './certificate-thumbprints.js';
import { parseNodeSubject, type Rdn } from './distinguished-name.js';

/** The TLS client certificate of one request's connection. */
export interface PresentedCertificate {
  /** `x5t#S256` of the leaf DER. */
  readonly thumbprint: string;
  readonly certificate: X509Certificate;
  /** Subject DN, most significant RDN first; null when this matcher cannot represent it. */
  readonly subject: readonly Rdn[] | null;
  /**
   * True when OpenSSL verified the chain during the handshake against the authority's `trustedClientCas` (and only
   * those: the server's `ca` option replaces the default roots). Always false when no CA is configured.
   */
  readonly chainVerified: boolean;
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Read the client certificate of the request's own TLS connection, on every request (a TLS 1.2 renegotiation
 * could change it; the server disables renegotiation as well). No certificate, a resumed session exposing none, or
 * anything unparsable → null.
 * @see RFC 8705 §2 and docs/security.md rule 6
 */
export function readPresentedCertificate(socket: unknown, trustedCasConfigured: boolean): PresentedCertificate | null {
  const tls = socket as Partial<TLSSocket> | null;
  if (!tls || typeof tls.getPeerCertificate !== 'function') return null;
  try {
    const raw = tls.getPeerCertificate(false)?.raw;
    if (!raw || raw.length === 0) return null;
    const certificate = new X509Certificate(raw);
    return {
      thumbprint: x5tS256(raw),
      certificate,
      subject: parseNodeSubject(certificate.subject),
      chainVerified: trustedCasConfigured && tls.authorized === true,
      notBefore: Date.parse(certificate.validFrom),
      notAfter: Date.parse(certificate.validTo),
    };
  } catch {
    return null; // a destroyed socket or a certificate Node cannot parse: no usable certificate
  }
}

/** Whether the certificate's validity period contains `nowMs`. */
export function validAt(presented: PresentedCertificate, nowMs: number): boolean {
  return Number.isFinite(presented.notBefore) && Number.isFinite(presented.notAfter) && presented.notBefore <= nowMs && nowMs <= presented.notAfter;
}
