import type { ErrorCode, Jwk, JwsAlgorithm } from '../types.js';
import type { KeyRecord } from './jwk.js';
import { buildKeySet, type KeyMiss } from './key-set.js';

/** A key lookup that failed, as the verifier reports it. */
export type KeyFailure = Extract<ErrorCode, 'ERR_KEY_NOT_FOUND' | 'ERR_KEY_ALG_MISMATCH' | 'ERR_JWKS_UNAVAILABLE'>;

/**
 * Where verification keys come from. Both methods answer synchronously when they can (static keys, fresh remote
 * keys) and return a promise only when a JWKS fetch is needed, so the hot path allocates no promise of its own.
 */
export interface KeyStore {
  /** The key for a token's `alg` and `kid`. */
  resolve(alg: JwsAlgorithm, kid: string | undefined, now: number): KeyRecord | KeyFailure | Promise<KeyRecord | KeyFailure>;
  /**
   * Whether a key that verified a cached token is still in the JWKS. Refreshes first when the JWKS is older than
   * its max-age, so a removed key stops validating cached tokens within the max-age.
   * @see SECURITY.md rule 10
   */
  isCurrent(record: KeyRecord, now: number): boolean | Promise<boolean>;
  close(): void;
}

export function keyFailureOf(miss: KeyMiss): KeyFailure {
  return miss === 'alg-mismatch' ? 'ERR_KEY_ALG_MISMATCH' : 'ERR_KEY_NOT_FOUND';
}

/**
 * Keys from the `jwks` option. Broken keys (private material, kty contradicting alg, ambiguous algorithm) are a
 * configuration error reported at creation; keys that are simply not for us (encryption keys, algorithms outside
 * the allow-list) are ignored.
 */
export function createStaticKeyStore(jwks: { keys: Jwk[] }, allowed: ReadonlySet<JwsAlgorithm>): KeyStore {
  const { set, invalid } = buildKeySet(jwks.keys, allowed);
  const [problem] = invalid;
  if (problem !== undefined) throw new TypeError(`jwks.keys[${problem.index}] ${problem.reason}`);
  if (set.records.length === 0) {
    throw new TypeError('jwks must contain at least one public signing key usable with the allowed algorithms');
  }
  return {
    resolve(alg, kid) {
      const selected = set.select(alg, kid);
      return typeof selected === 'string' ? keyFailureOf(selected) : selected;
    },
    isCurrent: (record) => !record.retired,
    close() {},
  };
}
