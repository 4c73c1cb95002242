import type { Jwk } from '../types.js';
import { invalidOption } from '../errors.js';
import { buildKeySet } from './key-set.js';
import { keyFailureOf, type KeySource } from './key-store.js';

/** The value `staticKeys()` returns: the JWK Set it was given, and how to open it. */
export interface StaticKeys extends KeySource {
  readonly kind: 'static';
  readonly jwks: { readonly keys: readonly Jwk[] };
}

/**
 * Verification keys from a JWK Set you hold (a file, a secret store, a test). Broken keys (private material, `kty`
 * contradicting `alg`, an `alg`-less key that fits several allowed algorithms) are a configuration error reported
 * by `createVerifier`; keys that are simply not for us (encryption keys, algorithms outside the allow-list) are
 * ignored.
 * @param jwks a JWK Set: `{ keys: [...] }`
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer, audience, algorithms: ['ES256'], keys: staticKeys(JSON.parse(jwksText)) });
 * ```
 * @see RFC 7517 §5; docs/security.md rule 1
 */
export function staticKeys(jwks: { keys: readonly Jwk[] }): StaticKeys {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks) || !Array.isArray(jwks.keys)) {
    invalidOption('jwks', 'must be a JWK Set: an object with a "keys" array');
  }
  return Object.freeze({
    kind: 'static' as const,
    jwks,
    open({ algorithms }) {
      const { set, invalid } = buildKeySet(jwks.keys, algorithms);
      const [problem] = invalid;
      if (problem !== undefined) invalidOption(`jwks.keys[${problem.index}]`, problem.reason);
      if (set.records.length === 0) invalidOption('jwks', 'must contain at least one public signing key usable with the allowed algorithms');
      return {
        resolve(alg, kid) {
          const selected = set.select(alg, kid);
          return typeof selected === 'string' ? keyFailureOf(selected) : selected;
        },
        isCurrent: (record) => !record.retired,
        close() {},
        state: () => ({ ready: true, keyCount: set.records.length, loadedAt: null, refreshing: false, lastError: null }),
      };
    },
  } satisfies StaticKeys);
}
