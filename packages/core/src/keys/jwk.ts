import { constants, createPublicKey, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto';
import type { JwsAlgorithm } from '../types.js';
import { ALGORITHM_NAMES, ALGORITHMS, MIN_RSA_BITS, type AlgorithmSpec } from '../jose/algorithms.js';
import { isCanonicalBase64url } from '../jose/base64url.js';

/** One verification key, imported once, bound to exactly one algorithm. @see docs/security.md rule 1 */
export interface KeyRecord {
  readonly kid: string | undefined;
  readonly alg: JwsAlgorithm;
  readonly spec: AlgorithmSpec;
  /** What `crypto.verify` receives: the KeyObject with padding / salt length / signature encoding. */
  readonly verifyKey: KeyObject | VerifyKeyObjectInput | VerifyPublicKeyInput;
  /** Exact signature length in bytes. */
  readonly signatureLength: number;
  /** kid, alg and public key material: equal identities are the same key across JWKS refetches. */
  readonly identity: string;
  /** Set when a JWKS refetch no longer lists this key: verified-token cache entries signed by it stop validating. */
  retired: boolean;
}

export type JwkImport =
  | { kind: 'usable'; record: KeyRecord }
  /** Not for us (encryption key, algorithm outside the allow-list, symmetric key): ignored silently. */
  | { kind: 'skipped'; reason: string }
  /** Broken or dangerous (private material, kty that contradicts alg, ambiguous algorithm, bad encoding). */
  | { kind: 'invalid'; reason: string };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function fits(spec: AlgorithmSpec, kty: unknown, crv: unknown): boolean {
  return spec.kty === kty && (spec.crv === undefined || spec.crv === crv);
}

function base64urlMember(jwk: Record<string, unknown>, name: string): string | null {
  const value = jwk[name];
  return typeof value === 'string' && value.length > 0 && isCanonicalBase64url(value) ? value : null;
}

/** The public members node:crypto needs, nothing else (no `x5c`, no `alg`, no extension members). */
function publicJwk(spec: AlgorithmSpec, jwk: Record<string, unknown>): Record<string, string> | null {
  if (spec.kty === 'RSA') {
    const n = base64urlMember(jwk, 'n');
    const e = base64urlMember(jwk, 'e');
    return n === null || e === null ? null : { kty: 'RSA', n, e };
  }
  const x = base64urlMember(jwk, 'x');
  if (x === null) return null;
  if (spec.kty === 'OKP') return { kty: 'OKP', crv: spec.crv!, x };
  const y = base64urlMember(jwk, 'y');
  return y === null ? null : { kty: 'EC', crv: spec.crv!, x, y };
}

function verifyKeyFor(spec: AlgorithmSpec, key: KeyObject): KeyObject | VerifyKeyObjectInput {
  // @see RFC 7518 §3.5 — PS*: MGF1 with the same hash, salt length = digest length (checked exactly by OpenSSL).
  if (spec.pssSaltLength !== undefined) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSaltLength };
  // @see RFC 7518 §3.4 — ES*: the signature is the fixed-size r || s (IEEE P1363), not DER.
  if (spec.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' };
  return key;
}

/**
 * Import one JWK for verification. The key is bound to a single algorithm: its `alg` when present, otherwise the
 * only allowed algorithm its `kty`/`crv` fit; several fitting algorithms (an RSA key with RS256 and PS256 both
 * allowed) make the key ambiguous and it is refused.
 * @see docs/security.md rule 1; RFC 8725 §3.1; RFC 7517 §4.2–4.4 (use, key_ops, alg)
 */
export function importJwk(jwk: unknown, allowed: ReadonlySet<JwsAlgorithm>): JwkImport {
  if (!isPlainObject(jwk)) return { kind: 'invalid', reason: 'is not a JSON object' };
  const { kty, kid, alg, use, key_ops: keyOps, ext, crv } = jwk;
  if (typeof kty !== 'string') return { kind: 'invalid', reason: 'has no string "kty"' };
  if (kid !== undefined && typeof kid !== 'string') return { kind: 'invalid', reason: '"kid" is not a string' };
  if (use !== undefined && use !== 'sig') return { kind: 'skipped', reason: '"use" is not "sig"' };
  if (ext !== undefined && typeof ext !== 'boolean') return { kind: 'invalid', reason: '"ext" is not a boolean' };
  if (keyOps !== undefined) {
    if (!Array.isArray(keyOps) || keyOps.some((op) => typeof op !== 'string') || new Set(keyOps).size !== keyOps.length) {
      return { kind: 'invalid', reason: '"key_ops" is not an array of unique strings' };
    }
    if (!keyOps.includes('verify')) return { kind: 'skipped', reason: '"key_ops" does not include "verify"' };
  }
  if (kty === 'oct') return { kind: 'skipped', reason: 'symmetric keys are never used' };
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) return { kind: 'invalid', reason: 'contains private key material' };

  let spec: AlgorithmSpec;
  if (alg !== undefined) {
    if (typeof alg !== 'string') return { kind: 'invalid', reason: '"alg" is not a string' };
    if (!Object.hasOwn(ALGORITHMS, alg)) return { kind: 'skipped', reason: `"alg" ${alg} is not a supported JWS algorithm` };
    spec = ALGORITHMS[alg as JwsAlgorithm];
    if (!fits(spec, kty, crv)) return { kind: 'invalid', reason: `"kty"/"crv" do not fit "alg" ${alg}` };
    if (!allowed.has(spec.alg)) return { kind: 'skipped', reason: `"alg" ${alg} is not in the allow-list` };
  } else {
    const candidates = ALGORITHM_NAMES.filter((name) => allowed.has(name) && fits(ALGORITHMS[name], kty, crv));
    if (candidates.length === 0) return { kind: 'skipped', reason: 'fits no allowed algorithm' };
    if (candidates.length > 1) {
      return { kind: 'invalid', reason: `has no "alg" and fits several allowed algorithms (${candidates.join(', ')}): set its "alg"` };
    }
    spec = ALGORITHMS[candidates[0]!];
  }

  const material = publicJwk(spec, jwk);
  if (material === null) return { kind: 'invalid', reason: 'public key members are missing or not canonical base64url' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: material, format: 'jwk' });
  } catch {
    return { kind: 'invalid', reason: 'is not a valid public key' };
  }
  if (key.asymmetricKeyType !== spec.keyType) return { kind: 'invalid', reason: `is not a ${spec.keyType} key` };
  let signatureLength: number;
  if (spec.kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { kind: 'invalid', reason: `RSA modulus is shorter than ${MIN_RSA_BITS} bits` };
    signatureLength = Math.ceil(bits / 8);
  } else {
    if (spec.namedCurve !== undefined && key.asymmetricKeyDetails?.namedCurve !== spec.namedCurve) {
      return { kind: 'invalid', reason: `is not on curve ${spec.crv ?? ''}` };
    }
    signatureLength = spec.signatureLength!;
  }
  const identity = JSON.stringify([kid ?? null, spec.alg, material]);
  return {
    kind: 'usable',
    record: { kid, alg: spec.alg, spec, verifyKey: verifyKeyFor(spec, key), signatureLength, identity, retired: false },
  };
}
