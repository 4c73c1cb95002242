import { timingSafeEqual } from 'node:crypto';
import type { BindingPolicy, ErrorCode } from '../types.js';

/** `x5t#S256` is base64url(SHA-256) without padding: 43 characters, the last one carrying 2 zero bits. */
const X5T_S256 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * A token's confirmation: null when unbound, else the ASCII bytes of its `x5t#S256`, ready for a constant-time
 * comparison with the request certificate's thumbprint.
 */
export type TokenBinding = Buffer | null;

/**
 * Read `cnf`. Absent (or `{}`) means unbound. `x5t#S256` must be a canonical 43-character base64url string; hex,
 * padded, standard-base64 and non-string values are invalid tokens. A `cnf` carrying only other confirmation
 * methods (DPoP `jkt`, `jwk`, …) is refused too: accepting it as a plain bearer token would be the downgrade that
 * RFC 9449 §7.2 and RFC 8705 §3 forbid.
 * @see RFC 8705 §3.1; RFC 7800 §3.1; SECURITY.md rule 5
 */
export function readBinding(claims: Record<string, unknown>): TokenBinding | 'invalid' {
  if (!Object.hasOwn(claims, 'cnf')) return null;
  const cnf = claims['cnf'];
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return 'invalid';
  const members = Object.keys(cnf);
  if (members.length === 0) return null;
  if (!Object.hasOwn(cnf, 'x5t#S256')) return 'invalid';
  const thumbprint = (cnf as Record<string, unknown>)['x5t#S256'];
  if (typeof thumbprint !== 'string' || !X5T_S256.test(thumbprint)) return 'invalid';
  return Buffer.from(thumbprint, 'latin1');
}

/** True when the request certificate's thumbprint equals the token's; length check, then constant time. */
export function thumbprintMatches(binding: Buffer, thumbprint: string): boolean {
  if (thumbprint.length !== binding.length) return false;
  return timingSafeEqual(Buffer.from(thumbprint, 'latin1'), binding);
}

/**
 * What `required` would refuse this request for, or null when the binding holds. The policy then decides:
 * `required` refuses, `if-present` refuses all but `ERR_TOKEN_NOT_BOUND`, `report-only` accepts and reports.
 * A bound token without a matching certificate is never accepted except in report-only mode.
 * @see RFC 8705 §3; SECURITY.md rule 5
 */
export function bindingProblem(binding: TokenBinding, thumbprint: string | null): ErrorCode | null {
  if (binding === null) return 'ERR_TOKEN_NOT_BOUND';
  if (thumbprint === null) return 'ERR_CERTIFICATE_MISSING';
  return thumbprintMatches(binding, thumbprint) ? null : 'ERR_BINDING_MISMATCH';
}

export type BindingDecision = { refuse: ErrorCode } | { report: ErrorCode } | null;

export function decideBinding(policy: BindingPolicy, problem: ErrorCode | null): BindingDecision {
  if (problem === null) return null;
  if (policy === 'report-only') return { report: problem };
  if (policy === 'if-present' && problem === 'ERR_TOKEN_NOT_BOUND') return null;
  return { refuse: problem };
}
