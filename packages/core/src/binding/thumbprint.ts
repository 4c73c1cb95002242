import { createHash } from 'node:crypto';

/**
 * The `x5t#S256` thumbprint of a certificate's DER bytes: base64url(SHA-256(DER)), without padding.
 * @see RFC 8705 §3.1
 */
export function thumbprintOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Convert a proxy-supplied hex SHA-256 fingerprint (colons allowed) to the base64url `x5t#S256` form. */
export function thumbprintFromHex(hex: string): string | null {
  const compact = hex.includes(':') ? hex.replaceAll(':', '') : hex;
  return HEX_SHA256.test(compact) ? Buffer.from(compact, 'hex').toString('base64url') : null;
}
