import type { ErrorCode, JwsAlgorithm } from '../types.js';
import type { KeyRecord } from './jwk.js';
import type { KeyMiss } from './key-set.js';
import type { JwksFailure } from './jwks-fetch.js';
import type { CoreTelemetry } from '../telemetry/telemetry.js';

/** What a key store reports about itself: for readiness probes and diagnostics. */
export interface KeyStoreState {
  /** Usable keys are loaded: tokens signed by them can be verified now. */
  readonly ready: boolean;
  /** Number of usable keys. */
  readonly keyCount: number;
  /** Clock time of the last successful load (ms), null before the first. */
  readonly loadedAt: number | null;
  /** A refresh is in flight. */
  readonly refreshing: boolean;
  /** Why the last refresh failed; null when it succeeded (or none was tried yet). */
  readonly lastError: JwksFailure | null;
}

/** The outcome of one JWKS refresh, reported through {@link KeyStoreContext.onRefresh}. */
export type RefreshOutcome = { readonly ok: true; readonly keyCount: number } | { readonly ok: false; readonly keyCount: number; readonly failure: JwksFailure };

/** A key lookup that failed, as the verifier reports it. */
export type KeyFailure = Extract<ErrorCode, 'ERR_KEY_NOT_FOUND' | 'ERR_KEY_ALG_MISMATCH' | 'ERR_JWKS_UNAVAILABLE'>;

/** One imported verification key, bound to exactly one algorithm (what a {@link KeyStore} hands the verifier). */
export type VerificationKey = KeyRecord;

/**
 * Where a verifier's keys come from, once opened. Both lookups answer synchronously when they can (static keys,
 * fresh remote keys) and return a promise only when a JWKS fetch is needed, so the hot path allocates no promise.
 */
export interface KeyStore {
  /** The key for a token's `alg` and `kid`, or why there is none. */
  resolve(alg: JwsAlgorithm, kid: string | undefined, now: number): VerificationKey | KeyFailure | Promise<VerificationKey | KeyFailure>;
  /**
   * Whether a key that verified a cached token is still in the key set. Refreshes first when the set is older than
   * its max-age, so a removed key stops validating cached tokens within the max-age.
   * @see docs/security.md rule 10
   */
  isCurrent(key: VerificationKey, now: number): boolean | Promise<boolean>;
  /** Release timers and sockets. */
  close(): void;
  /** Start a due refresh without waiting for it (remote keys): a readiness probe loads keys before any token. */
  prefetch?(now: number): void;
  /** Current state (static keys: always ready). */
  state(): KeyStoreState;
  /** Seconds a client should wait before retrying after `ERR_JWKS_UNAVAILABLE` (RFC 9110 §10.2.3 Retry-After). */
  readonly retryAfterSeconds?: number;
}

/** What a verifier tells its key source when it opens it. */
export interface KeyStoreContext {
  /** The verifier's `algorithms` allow-list: keys for other algorithms are ignored. */
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  /** The verifier's clock in milliseconds (`currentTime`), so tests freeze key max-age and cooldowns too. */
  readonly clock: () => number;
  /** Told after every refresh attempt of a remote key set (never throws into the store). */
  readonly onRefresh?: (outcome: RefreshOutcome) => void;
  /** The verifier's OpenTelemetry (JWKS fetch spans), null when off. */
  readonly telemetry?: CoreTelemetry | null;
}

/**
 * The value the `keys` option takes: {@link staticKeys} or {@link remoteKeys}. Options are checked when it is
 * built; `createVerifier` opens it once with the algorithm allow-list and clock.
 */
export interface KeySource {
  readonly kind: 'static' | 'remote';
  /** Build the store for one verifier. Throws a ConfigurationError when no key fits the allow-list. */
  open(context: KeyStoreContext): KeyStore;
}

export function keyFailureOf(miss: KeyMiss): KeyFailure {
  return miss === 'alg-mismatch' ? 'ERR_KEY_ALG_MISMATCH' : 'ERR_KEY_NOT_FOUND';
}
