import type { JwsAlgorithm } from '../types.js';

/** What a JWS algorithm needs from its key and how node:crypto checks it. */
export interface AlgorithmSpec {
  readonly alg: JwsAlgorithm;
  /** JWK `kty` the key must have. @see RFC 8725 §3.1 — the key type must fit the algorithm. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** JWK `crv` the key must have (EC and OKP). */
  readonly crv: string | undefined;
  /** node:crypto `asymmetricKeyType` of the imported key. */
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  /** OpenSSL curve name reported in `asymmetricKeyDetails.namedCurve` (EC). */
  readonly namedCurve: string | undefined;
  /** Digest for `crypto.verify`; null for EdDSA (the digest is part of the scheme). */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS salt length in bytes (= digest length). @see RFC 7518 §3.5 */
  readonly pssSaltLength: number | undefined;
  /** Exact signature length in bytes for fixed-size schemes (ECDSA r||s, Ed25519); RSA uses the modulus size. */
  readonly signatureLength: number | undefined;
}

function rsa(alg: JwsAlgorithm, bits: 256 | 384 | 512, pss: boolean): AlgorithmSpec {
  return {
    alg,
    kty: 'RSA',
    crv: undefined,
    keyType: 'rsa',
    namedCurve: undefined,
    digest: `sha${bits}`,
    pssSaltLength: pss ? bits / 8 : undefined,
    signatureLength: undefined,
  };
}

function ecdsa(alg: JwsAlgorithm, crv: string, namedCurve: string, bits: 256 | 384 | 512, signatureLength: number): AlgorithmSpec {
  return { alg, kty: 'EC', crv, keyType: 'ec', namedCurve, digest: `sha${bits}`, pssSaltLength: undefined, signatureLength };
}

/**
 * The asymmetric algorithms the verifier implements. HMAC and `none` are absent on purpose: they can never be
 * configured, so a public key can never be used as an HMAC secret.
 * @see RFC 7518 §3.1; RFC 8037 §3.1 (EdDSA: Ed25519 only here); RFC 8725 §2.1, §3.1
 */
export const ALGORITHMS: Readonly<Record<JwsAlgorithm, AlgorithmSpec>> = Object.freeze({
  RS256: rsa('RS256', 256, false),
  RS384: rsa('RS384', 384, false),
  RS512: rsa('RS512', 512, false),
  PS256: rsa('PS256', 256, true),
  PS384: rsa('PS384', 384, true),
  PS512: rsa('PS512', 512, true),
  // @see RFC 7518 §3.4 — the JWS signature is r || s, each the curve's field size.
  ES256: ecdsa('ES256', 'P-256', 'prime256v1', 256, 64),
  ES384: ecdsa('ES384', 'P-384', 'secp384r1', 384, 96),
  ES512: ecdsa('ES512', 'P-521', 'secp521r1', 512, 132),
  EdDSA: { alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519', keyType: 'ed25519', namedCurve: undefined, digest: null, pssSaltLength: undefined, signatureLength: 64 },
});

export const ALGORITHM_NAMES: readonly JwsAlgorithm[] = Object.freeze(Object.keys(ALGORITHMS) as JwsAlgorithm[]);

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}

/** RSA keys below this size are refused (as jose does). @see RFC 7518 §3.3 */
export const MIN_RSA_BITS = 2048;
