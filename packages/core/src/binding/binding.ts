import { timingSafeEqual } from 'node:crypto';
import type { BindingPolicy, ErrorCode } from '../types.js';

const X5T_S256_LENGTH = 43;
/** 1 for the base64url alphabet; 2 more for the characters whose low 2 bits are zero (the only valid last ones). */
const X5T_CHAR = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') X5T_CHAR[char.charCodeAt(0)] = 1;
for (const char of 'AEIMQUYcgkosw048') X5T_CHAR[char.charCodeAt(0)] = 3;

/**
 * True for a canonical `x5t#S256`: base64url(SHA-256) without padding, 43 characters, the last one carrying 2 zero
 * bits (so each digest has exactly one spelling). A table lookup per character: this runs on every fresh
 * verification, where a regular expression showed up in profiles.
 * @see RFC 8705 §3.1; RFC 4648 §5
 */
export function isX5tS256(value: string): boolean {
  if (value.length !== X5T_S256_LENGTH) return false;
  for (let index = 0; index < X5T_S256_LENGTH - 1; index++) {
    // A code beyond the table (non-ASCII) reads undefined: refused like any character outside the alphabet.
    if ((X5T_CHAR[value.charCodeAt(index)] ?? 0) === 0) return false;
  }
  return X5T_CHAR[value.charCodeAt(X5T_S256_LENGTH - 1)] === 3;
}

/** Where a request thumbprint is copied for the comparison: verification is synchronous, so one buffer serves all. */
const scratch = Buffer.alloc(X5T_S256_LENGTH);

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
 * @see RFC 8705 §3.1; RFC 7800 §3.1; docs/security.md rule 5
 */
export function readBinding(claims: Record<string, unknown>): TokenBinding | 'invalid' {
  if (!Object.hasOwn(claims, 'cnf')) return null;
  const cnf = claims['cnf'];
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return 'invalid';
  const members = Object.keys(cnf);
  if (members.length === 0) return null;
  if (!Object.hasOwn(cnf, 'x5t#S256')) return 'invalid';
  const thumbprint = (cnf as Record<string, unknown>)['x5t#S256'];
  if (typeof thumbprint !== 'string' || !isX5tS256(thumbprint)) return 'invalid';
  return Buffer.from(thumbprint, 'latin1');
}

/**
 * True when the request certificate's thumbprint equals the token's; length check, then constant time. The binding
 * was checked canonical when the token was verified; the request thumbprint comes from a certificate source or
 * `verifyToken`'s argument check, both of which only produce canonical (ASCII) thumbprints.
 * @see docs/security.md rule 5
 */
export function thumbprintMatches(binding: Buffer, thumbprint: string): boolean {
  if (thumbprint.length !== binding.length || binding.length !== X5T_S256_LENGTH) return false;
  scratch.write(thumbprint, 0, 'latin1');
  return timingSafeEqual(scratch, binding);
}

/**
 * What `required` would refuse this request for, or null when the binding holds. The policy then decides:
 * `required` refuses, `if-present` refuses all but `ERR_TOKEN_NOT_BOUND`, `report-only` accepts and reports.
 * A bound token without a matching certificate is never accepted except in report-only mode.
 * @see RFC 8705 §3; docs/security.md rule 5
 */
export function bindingProblem(binding: TokenBinding, thumbprint: string | null): ErrorCode | null {
  if (binding === null) return 'ERR_TOKEN_NOT_BOUND';
  if (thumbprint === null) return 'ERR_CERTIFICATE_MISSING';
  return thumbprintMatches(binding, thumbprint) ? null : 'ERR_BINDING_MISMATCH';
}

/** Every binding policy: the one list (options and config files are checked against it). */
export const BINDING_POLICIES: readonly BindingPolicy[] = Object.freeze(['required', 'if-present', 'report-only']);

export type BindingDecision = { refuse: ErrorCode } | { report: ErrorCode } | null;

export function decideBinding(policy: BindingPolicy, problem: ErrorCode | null): BindingDecision {
  if (problem === null) return null;
  if (policy === 'report-only') return { report: problem };
  if (policy === 'if-present' && problem === 'ERR_TOKEN_NOT_BOUND') return null;
  return { refuse: problem };
}
