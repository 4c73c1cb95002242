import { createHash, timingSafeEqual } from 'node:crypto';

/** @see RFC 8705 §3.1 — `x5t#S256` is base64url(SHA-256(DER)) without padding. */
export function x5tS256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** @see RFC 7515 §4.1.7 — `x5t` is base64url(SHA-1(DER)); only used to find a registered certificate. */
export function x5tSha1(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('base64url');
}

const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
const HEX_SHA256 = /^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/;

/**
 * A configured `x5t#S256` in its canonical form: base64url as is, or 64 hex digits (colons allowed) converted.
 * Returns null for anything else (SHA-1 hex, padded or standard base64 …).
 */
export function canonicalThumbprint(value: string): string | null {
  if (BASE64URL_SHA256.test(value)) return value;
  if (HEX_SHA256.test(value)) return Buffer.from(value.replaceAll(':', ''), 'hex').toString('base64url');
  return null;
}

/**
 * Constant-time string comparison (length checked first), for thumbprints and the admin token.
 * @see docs/security.md rule 5
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
