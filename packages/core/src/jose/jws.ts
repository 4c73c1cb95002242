import type { ErrorCode, JoseHeader, JwsAlgorithm } from '../types.js';
import { decodeBase64url } from './base64url.js';
import { deepFreeze } from './freeze.js';
import { parseJsonObject } from './json.js';

/** A JOSE header that passed every check that needs no key. */
export interface CheckedHeader {
  readonly header: JoseHeader;
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
}

/** The three parts of a compact JWS, located without copying the token. */
export interface CompactParts {
  /** Index of the first and second `.`. */
  readonly firstDot: number;
  readonly secondDot: number;
}

/**
 * Locate the segments of a compact JWS. Five segments are a JWE; anything but three is malformed.
 * @see RFC 7515 §7.1; RFC 7516 §7.1; docs/security.md rule 2 — JWE is refused before any crypto work.
 */
export function splitCompact(token: string): CompactParts | ErrorCode {
  const firstDot = token.indexOf('.');
  if (firstDot < 0) return 'ERR_JWT_MALFORMED';
  const secondDot = token.indexOf('.', firstDot + 1);
  if (secondDot < 0) return 'ERR_JWT_MALFORMED';
  let more = token.indexOf('.', secondDot + 1);
  if (more < 0) return { firstDot, secondDot };
  let dots = 3;
  while ((more = token.indexOf('.', more + 1)) >= 0) dots++;
  return dots === 4 ? 'ERR_JWE_UNSUPPORTED' : 'ERR_JWT_MALFORMED';
}

/**
 * The allowed `typ` values compare like jose and RFC 8725 §3.11 suggest: case-insensitively, with `application/`
 * implied when there is no `/` (so `at+jwt`, `AT+JWT` and `application/at+jwt` are the same media type).
 * @see RFC 7515 §4.1.9; RFC 9068 §2.1
 */
export function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

export interface HeaderRules {
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  /** Normalised allowed `typ` values. */
  readonly types: ReadonlySet<string>;
}

/**
 * Check a JOSE header without touching any key. Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`,
 * `x5t`) are never read: keys come from the configured JWKS only.
 * @see docs/security.md rules 1–2; RFC 8725 §2.1, §3.1, §3.11; RFC 7515 §4.1.11 (crit), RFC 7797 §3 (b64)
 */
export function checkHeader(segment: string, rules: HeaderRules): CheckedHeader | ErrorCode {
  const bytes = decodeBase64url(segment);
  if (bytes === null || bytes.length === 0) return 'ERR_JWT_MALFORMED';
  const header = parseJsonObject(bytes);
  if (header === null) return 'ERR_JWT_MALFORMED';
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string') return 'ERR_JOSE_HEADER_INVALID';
  // A JWE header (enc) or a nested JWT (cty JWT) is never processed. @see RFC 7519 §5.2, §7.2 step 8
  if (header['enc'] !== undefined) return 'ERR_JWE_UNSUPPORTED';
  const cty = header['cty'];
  if (typeof cty === 'string' && normalizeTyp(cty) === 'application/jwt') return 'ERR_JWE_UNSUPPORTED';
  // No extension is understood, so any crit is refused. @see RFC 7515 §4.1.11
  if (header['crit'] !== undefined) return 'ERR_CRIT_UNSUPPORTED';
  // Unencoded payloads are never JWTs. @see RFC 7797 §7
  const b64 = header['b64'];
  if (b64 !== undefined && b64 !== true) return 'ERR_JOSE_HEADER_INVALID';
  if (!rules.algorithms.has(alg as JwsAlgorithm)) return 'ERR_ALG_NOT_ALLOWED';
  if (kid !== undefined && typeof kid !== 'string') return 'ERR_JOSE_HEADER_INVALID';
  if (typeof typ !== 'string' || !rules.types.has(normalizeTyp(typ))) return 'ERR_TYP_NOT_ALLOWED';
  return { header: deepFreeze(header) as JoseHeader, alg: alg as JwsAlgorithm, kid };
}

/** Distinct header segments remembered: a key set has few (alg, kid, typ) combinations. */
const HEADER_CACHE_ENTRIES = 256;

/**
 * `checkHeader` with a small memo keyed by the encoded header segment: tokens from one issuer share a handful of
 * headers, so the cold path skips decoding and parsing them. The verdict depends only on the segment and the
 * verifier's options; hostile variety just cycles the bounded memo.
 */
export function createHeaderChecker(rules: HeaderRules): (segment: string) => CheckedHeader | ErrorCode {
  const memo = new Map<string, CheckedHeader | ErrorCode>();
  return (segment) => {
    const known = memo.get(segment);
    if (known !== undefined) return known;
    const verdict = checkHeader(segment, rules);
    if (segment.length <= 1024) {
      if (memo.size >= HEADER_CACHE_ENTRIES) memo.clear();
      memo.set(segment, verdict);
    }
    return verdict;
  };
}
