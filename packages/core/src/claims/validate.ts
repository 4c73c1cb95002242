import type { ErrorCode } from '../types.js';
import type { IssuerMatcher } from './issuer.js';

export interface ClaimRules {
  readonly issuer: IssuerMatcher;
  readonly audiences: ReadonlySet<string>;
  readonly requiredClaims: readonly string[];
}

/** The numeric dates of a verified token, kept for re-checking on every verified-token cache hit. */
export interface TokenTimes {
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
}

/** @see docs/security.md rule 4 — numeric dates must be finite numbers (JSON `1e999` parses to Infinity). */
function numericDate(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Check the claims that do not depend on time: presence, types, issuer and audience.
 * @see RFC 7519 §4.1; RFC 9068 §4; docs/security.md rule 4 — exact iss, aud contains ours, exp required.
 */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules): TokenTimes | ErrorCode {
  if (!Object.hasOwn(claims, 'iss') || !Object.hasOwn(claims, 'aud') || !Object.hasOwn(claims, 'exp')) return 'ERR_CLAIM_MISSING';
  for (const name of rules.requiredClaims) {
    if (!Object.hasOwn(claims, name)) return 'ERR_CLAIM_MISSING';
  }
  if (!rules.issuer.matches(claims)) return 'ERR_ISSUER_MISMATCH';
  const aud = claims['aud'];
  if (typeof aud === 'string') {
    if (!rules.audiences.has(aud)) return 'ERR_AUDIENCE_MISMATCH';
  } else if (Array.isArray(aud)) {
    if (!aud.some((member) => typeof member === 'string' && rules.audiences.has(member))) return 'ERR_AUDIENCE_MISMATCH';
  } else {
    return 'ERR_AUDIENCE_MISMATCH';
  }
  const exp = numericDate(claims['exp']);
  const nbf = numericDate(claims['nbf']);
  const iat = numericDate(claims['iat']);
  if (exp === null || exp === undefined || nbf === null || iat === null) return 'ERR_CLAIM_INVALID';
  return { exp, nbf, iat };
}

/**
 * Time checks, done on every request (cold or cached), with `now` in seconds and the leeway in seconds. Boundaries
 * follow jose: expired when `exp <= now - leeway`, not yet valid when `nbf > now + leeway`.
 * @see RFC 7519 §4.1.4–4.1.6; docs/security.md rules 4 and 10
 */
export function checkTimes(times: TokenTimes, now: number, leeway: number): ErrorCode | null {
  if (times.exp <= now - leeway) return 'ERR_TOKEN_EXPIRED';
  if (times.nbf !== undefined && times.nbf > now + leeway) return 'ERR_TOKEN_NOT_YET_VALID';
  if (times.iat !== undefined && times.iat > now + leeway) return 'ERR_TOKEN_ISSUED_IN_FUTURE';
  return null;
}
