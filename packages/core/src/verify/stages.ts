/**
 * The pure stages of one verification, in the order the verifier runs them. Each takes what the previous one
 * produced and returns the next value or the ErrorCode that ends the request; none performs I/O or keeps state
 * (the key stage, which may fetch, is the KeyStore's). The verifier (verifier.ts) wires them into the pipeline
 *
 *   extract → certificate → cache → structure/header → key → signature → claims → binding
 *
 * with the verified-token cache around the middle: a hit skips structure to claims, never time or binding.
 */
import { verify } from 'node:crypto';
import type { BindingPolicy, ErrorCode, JwtClaims } from '../types.js';
import { bindingProblem, decideBinding, readBinding, type BindingDecision } from '../binding/binding.js';
import { clientIdOf, subjectOf } from '../claims/identity.js';
import { checkClaims, checkTimes, type ClaimRules } from '../claims/validate.js';
import { decodeBase64url } from '../jose/base64url.js';
import { deepFreeze } from '../jose/freeze.js';
import { parseJsonObject } from '../jose/json.js';
import { splitCompact, type CheckedHeader } from '../jose/jws.js';
import type { VerificationKey } from '../keys/key-store.js';
import type { VerifiedToken } from './token-cache.js';

/** A token whose structure and header passed: what the key and signature stages need. */
export interface StructuredToken {
  readonly header: CheckedHeader;
  /** Index of the second `.`: the signing input is everything before it. */
  readonly secondDot: number;
  readonly payload: Buffer;
  readonly signature: Buffer;
}

/**
 * Structure and header, before any key or crypto work: three canonical base64url segments and a JOSE header that
 * passes every key-independent rule (`checkHeader`).
 * @see RFC 7515 §7.1; docs/security.md rule 2
 */
export function structureStage(token: string, checkHeader: (segment: string) => CheckedHeader | ErrorCode): StructuredToken | ErrorCode {
  const parts = splitCompact(token);
  if (typeof parts === 'string') return parts;
  const header = checkHeader(token.slice(0, parts.firstDot));
  if (typeof header === 'string') return header;
  const payload = decodeBase64url(token.slice(parts.firstDot + 1, parts.secondDot));
  if (payload === null || payload.length === 0) return 'ERR_JWT_MALFORMED';
  const signature = decodeBase64url(token.slice(parts.secondDot + 1));
  if (signature === null || signature.length === 0) return 'ERR_JWT_MALFORMED';
  return { header, secondDot: parts.secondDot, payload, signature };
}

/**
 * The signature over the token's first two segments with a key bound to the header's algorithm (node:crypto with
 * a pre-imported KeyObject; a wrong-length signature is refused before any crypto).
 * @see RFC 7515 §5.2 step 8 — the signing input is the ASCII of the two encoded segments and the dot.
 */
export function signatureStage(token: string, structured: StructuredToken, key: VerificationKey): boolean {
  if (structured.signature.length !== key.signatureLength) return false;
  try {
    return verify(key.spec.digest, Buffer.from(token.slice(0, structured.secondDot), 'latin1'), key.verifyKey, structured.signature);
  } catch {
    return false;
  }
}

/** The claims stage's refusal: the code, and the parsed claims when there were any (events may name the subject). */
export interface ClaimsRefusal {
  readonly code: ErrorCode;
  readonly claims: JwtClaims | null;
}

/**
 * The payload of a signature-verified token: a JSON object whose registered claims pass the time-independent
 * rules (presence, issuer, audience, numeric dates) and whose `cnf` is absent or a valid `x5t#S256`.
 * @see RFC 7519 §4.1; RFC 9068 §4; RFC 8705 §3.1; docs/security.md rules 4 and 5
 */
export function claimsStage(structured: StructuredToken, key: VerificationKey, rules: ClaimRules): VerifiedToken | ClaimsRefusal {
  const claims = parseJsonObject(structured.payload) as JwtClaims | null;
  if (claims === null) return { code: 'ERR_JWT_MALFORMED', claims: null };
  const times = checkClaims(claims, rules);
  if (typeof times === 'string') return { code: times, claims };
  const binding = readBinding(claims);
  if (binding === 'invalid') return { code: 'ERR_CNF_INVALID', claims };
  return { claims: deepFreeze(claims), header: structured.header.header, key, times, binding, subject: subjectOf(claims), clientId: clientIdOf(claims) };
}

/**
 * The per-request decision, the same for a cache hit and a fresh verification: time claims against `now`
 * (seconds), then the token's binding against this request's certificate under the binding policy. Returns an
 * ErrorCode to refuse, null to accept, or `{ report }` to accept in report-only mode.
 * @see RFC 7519 §4.1.4–4.1.6; RFC 8705 §3; docs/security.md rules 4, 5 and 10
 */
export function bindingStage(
  verified: Pick<VerifiedToken, 'times' | 'binding'>,
  thumbprint: string | null,
  nowSeconds: number,
  leeway: number,
  policy: BindingPolicy,
): ErrorCode | Exclude<BindingDecision, { refuse: ErrorCode }> {
  const timeProblem = checkTimes(verified.times, nowSeconds, leeway);
  if (timeProblem !== null) return timeProblem;
  const decision = decideBinding(policy, bindingProblem(verified.binding, thumbprint));
  return decision !== null && 'refuse' in decision ? decision.refuse : decision;
}
