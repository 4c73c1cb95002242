import { createHash } from 'node:crypto';
import { isX5tS256 } from '../binding/binding.js';
import { thumbprintOfCertificateDer } from './der.js';
import { firstPemCertificate } from './pem.js';

/** Certificates already checked, by thumbprint: repeated calls with the same certificate skip the X.509 parse. */
const VALIDATED_ENTRIES = 256;

/**
 * The `x5t#S256` of what a non-HTTP caller passes to `verifyToken`: DER bytes of exactly one certificate, a PEM
 * text (its first CERTIFICATE block, the leaf), a precomputed `{ thumbprint }` in canonical base64url, or null.
 * Returns 'invalid' for anything else; never throws.
 * @see RFC 8705 §3.1 — the thumbprint is over the DER of the leaf, never over PEM text.
 */
export function createCertificateReader(): (certificate: unknown) => string | null | 'invalid' {
  const validated = new Set<string>();
  function ofDer(der: Uint8Array): string | 'invalid' {
    const thumbprint = createHash('sha256').update(der).digest('base64url');
    if (validated.has(thumbprint)) return thumbprint;
    if (thumbprintOfCertificateDer(der) === null) return 'invalid';
    if (validated.size >= VALIDATED_ENTRIES) validated.clear();
    validated.add(thumbprint);
    return thumbprint;
  }
  return (certificate) => {
    try {
      if (certificate === null || certificate === undefined) return null;
      if (certificate instanceof Uint8Array) return ofDer(certificate);
      if (typeof certificate === 'string') {
        const der = firstPemCertificate(certificate);
        return der === null ? 'invalid' : ofDer(der);
      }
      if (typeof certificate === 'object' && Object.hasOwn(certificate, 'thumbprint')) {
        const { thumbprint } = certificate as { thumbprint: unknown };
        return typeof thumbprint === 'string' && isX5tS256(thumbprint) ? thumbprint : 'invalid';
      }
      return 'invalid';
    } catch {
      return 'invalid';
    }
  };
}
