import { MAX_ASSERTION_LENGTH } from './constants.js';

export type JsonObject = Record<string, unknown>;

/** Header and claims of a compact JWS, read without verifying it (to choose the verification path and key). */
export interface UnverifiedJwt {
  readonly header: JsonObject;
  readonly payload: JsonObject;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): JsonObject | null {
  if (!SEGMENT.test(segment)) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

/**
 * Structural checks done before any cryptography (docs/security.md rule 2): a bounded-length compact JWS with three
 * non-empty base64url segments, JSON-object header and payload, a string `alg` other than `none`, and none of
 * `crit`, `b64`, `enc` (JWE) or `zip`. Returns null when any fails.
 */
export function readUnverifiedJwt(token: string): UnverifiedJwt | null {
  if (token.length === 0 || token.length > MAX_ASSERTION_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [headerSegment, payloadSegment, signature] = parts as [string, string, string];
  if (!SEGMENT.test(signature)) return null;
  const header = decodeSegment(headerSegment);
  const payload = decodeSegment(payloadSegment);
  if (header === null || payload === null) return null;
  if (typeof header['alg'] !== 'string' || header['alg'] === 'none') return null;
  for (const forbidden of ['crit', 'b64', 'enc', 'zip']) if (forbidden in header) return null;
  return { header, payload };
}
