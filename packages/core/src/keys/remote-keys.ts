import { Agent } from 'node:https';
import { JwksClient } from 'jwks-rsa';
import type { JwsAlgorithm } from '../types.js';
import { invalidOption } from '../errors.js';
import type { KeyRecord } from './jwk.js';
import { createJwksFetcher, JwksFetchError, jwksFailureOf, type JwksFailure } from './jwks-fetch.js';
import { buildKeySet, type KeySet } from './key-set.js';
import { keyFailureOf, type KeyFailure, type KeySource, type KeyStore, type KeyStoreContext, type RefreshOutcome } from './key-store.js';

/** Options of {@link remoteKeys}. */
export interface RemoteKeysOptions {
  /** The JWKS URL (https only), e.g. Entra's `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`. */
  uri: string;
  /** Request timeout in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** How long fetched keys are trusted before a refetch, in milliseconds. Default 600000 (10 minutes). */
  cacheMaxAgeMs?: number;
  /** At most one refetch for an unknown `kid` per this many milliseconds. Default 30000. */
  cooldownMs?: number;
  /** Largest JWKS response accepted, in bytes. Default 65536. */
  maxResponseBytes?: number;
  /**
   * Longest time a request needing a key not yet known waits for a fetch, in milliseconds; then it gets 503 with
   * Retry-After while the fetch goes on. Requests with known keys never wait. Default 1000 (at most `timeoutMs`).
   */
  unknownKidWaitMs?: number;
  /** PEM CA certificate(s) trusted for the JWKS host (private authorities). Default: Node's public roots. */
  ca?: string | string[];
}

/** The value `remoteKeys()` returns: its options with the defaults applied, and how to open it. */
export interface RemoteKeys extends KeySource {
  readonly kind: 'remote';
  readonly uri: string;
  readonly timeoutMs: number;
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly maxResponseBytes: number;
  readonly unknownKidWaitMs: number;
  readonly ca: readonly string[] | undefined;
}

const REMOTE_DEFAULTS = Object.freeze({ timeoutMs: 5000, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, maxResponseBytes: 65_536, unknownKidWaitMs: 1000 });
const REMOTE_OPTIONS = new Set(['uri', 'timeoutMs', 'cacheMaxAgeMs', 'cooldownMs', 'maxResponseBytes', 'unknownKidWaitMs', 'ca']);
const FIELD = 'remoteKeys';

/**
 * Check a JWKS location: an absolute https URL without credentials or fragment. `field` names it in the error
 * (`remoteKeys.uri`, or the config file's `jwksUri`).
 * @see docs/security.md rule 3 — keys fetched over plain HTTP could be swapped by anyone on the path.
 */
export function checkJwksUri(value: unknown, field: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined) return invalidOption(field, 'must be an absolute https URL');
  if (url.protocol !== 'https:') invalidOption(field, 'must be an https URL');
  if (url.username !== '' || url.password !== '') invalidOption(field, 'must not contain credentials');
  if (url.hash !== '') invalidOption(field, 'must not contain a fragment');
  return value as string;
}

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalidOption(`${FIELD}.${name}`, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function caList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((pem) => typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----'))) {
    invalidOption(`${FIELD}.ca`, 'must hold PEM certificates: a string or a non-empty array of them');
  }
  return Object.freeze([...(list as string[])]) as string[];
}

/**
 * Verification keys from a remote JWKS (https), fetched when the first token arrives, refreshed after
 * `cacheMaxAgeMs` (in the background: known keys never wait), refetched for an unknown `kid` at most once per
 * `cooldownMs`. Options are checked here; the
 * HTTPS agent is created by `createVerifier` and released by `verifier.close()`.
 * @example
 * ```ts
 * const keys = remoteKeys({ uri: 'https://login.microsoftonline.com/TENANT/discovery/v2.0/keys' });
 * const verifier = createVerifier({ issuer, audience, algorithms: ['RS256'], keys });
 * ```
 * @see RFC 7517 §5; docs/security.md rules 3 and 10
 */
export function remoteKeys(options: RemoteKeysOptions): RemoteKeys {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalidOption(FIELD, 'takes an object { uri, ... }');
  for (const key of Object.keys(options)) {
    if (!REMOTE_OPTIONS.has(key)) invalidOption(`${FIELD}.${key}`, 'is not a known option');
  }
  const timeoutMs = integer(options.timeoutMs, 'timeoutMs', 1, 120_000, REMOTE_DEFAULTS.timeoutMs);
  const settings = {
    uri: checkJwksUri(options.uri, `${FIELD}.uri`),
    timeoutMs,
    cacheMaxAgeMs: integer(options.cacheMaxAgeMs, 'cacheMaxAgeMs', 1, 7 * 86_400_000, REMOTE_DEFAULTS.cacheMaxAgeMs),
    cooldownMs: integer(options.cooldownMs, 'cooldownMs', 0, 86_400_000, REMOTE_DEFAULTS.cooldownMs),
    maxResponseBytes: integer(options.maxResponseBytes, 'maxResponseBytes', 256, 16_777_216, REMOTE_DEFAULTS.maxResponseBytes),
    // Waiting longer than the fetch may take would only hold requests: the bound is at most the timeout.
    unknownKidWaitMs: integer(options.unknownKidWaitMs, 'unknownKidWaitMs', 0, timeoutMs, Math.min(REMOTE_DEFAULTS.unknownKidWaitMs, timeoutMs)),
    ca: caList(options.ca),
  };
  return Object.freeze({
    kind: 'remote' as const,
    ...settings,
    open: (context: KeyStoreContext) => openRemoteKeyStore(settings, context),
  });
}

/**
 * Keys from a remote JWKS, retrieved through jwks-rsa with a bounded fetcher, imported once per key.
 *
 * - Known keys never wait: a request whose key is in the set (and every verified-token cache hit) is answered at
 *   once, also while a refresh is in flight; keys older than `cacheMaxAgeMs` keep serving while the refresh they
 *   start runs in the background.
 * - Only a request that needs a key not yet known (nothing loaded yet, or an unknown `kid` the cooldown allows a
 *   refetch for) waits for the fetch, and at most `unknownKidWaitMs` from the fetch's start: then it is
 *   `ERR_JWKS_UNAVAILABLE` (503 with Retry-After) while the fetch goes on.
 * - An unknown `kid` refetches at most once per `cooldownMs`, however many distinct kids arrive: the cooldown
 *   counts from the last refetch an unknown kid caused (so a key rotated in right after start-up is picked up at
 *   once), after a failed attempt from that attempt, and two fetches never happen in the same clock tick.
 * - An outage (failed fetch) keeps serving the keys already known; after a failure the next attempt waits for
 *   the cooldown. An unknown kid during an outage is `ERR_JWKS_UNAVAILABLE` (503), never acceptance.
 * - A fetched JWKS without a single usable key counts as a failed fetch: the known keys stay.
 * @see docs/security.md rules 3 and 10; RFC 8725 §3.10 is silent on rotation, this follows jose's remote JWKS semantics.
 */
function openRemoteKeyStore(options: Omit<RemoteKeys, 'kind' | 'open'>, context: KeyStoreContext): KeyStore {
  const { cacheMaxAgeMs, cooldownMs, unknownKidWaitMs } = options;
  const { algorithms: allowed, clock, onRefresh, telemetry } = context;
  // A private agent: its trust roots are exactly `ca` when given, and close() can release its sockets.
  const agent = new Agent({ keepAlive: true, maxSockets: 2, ...(options.ca === undefined ? {} : { ca: [...options.ca] }) });
  const client = new JwksClient({
    jwksUri: options.uri,
    cache: false, // caching, max-age and rate limiting are done here, per key set rather than per kid
    rateLimit: false,
    timeout: options.timeoutMs,
    fetcher: createJwksFetcher({ timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes, agent, telemetry }),
  });

  let set: KeySet | null = null;
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let unknownKidRefetchAt = -Infinity;
  let lastError: JwksFailure | null = null;
  let inFlight: Promise<void> | null = null;
  // Resolves when the attempt in flight ends or unknownKidWaitMs after it began, whichever is first: one timer
  // per fetch, however many requests wait on it.
  let waitGate: Promise<void> | null = null;
  let closed = false;

  async function load(): Promise<void> {
    let outcome: RefreshOutcome;
    try {
      if (closed) throw new JwksFetchError('verifier closed', { cause: 'closed', detail: 'verifier closed' });
      const keys = (await client.getKeys()) as unknown;
      if (!Array.isArray(keys)) throw new JwksFetchError('JWKS has no keys array', { cause: 'json', detail: 'no "keys" array' });
      const built = buildKeySet(keys, allowed, set ?? undefined);
      if (built.set.records.length === 0) throw new JwksFetchError('JWKS has no usable signing key', { cause: 'keys', detail: 'no usable signing key' });
      const kept = new Set(built.set.records);
      for (const record of set?.records ?? []) {
        if (!kept.has(record)) record.retired = true;
      }
      set = built.set;
      fetchedAt = clock();
      lastError = null;
      outcome = { ok: true, keyCount: set.records.length };
    } catch (error) {
      // Results carry fixed texts; the cause goes to the refresh outcome and the store's state, never to a client.
      lastError = jwksFailureOf(error);
      outcome = { ok: false, keyCount: set?.records.length ?? 0, failure: lastError };
    }
    try {
      onRefresh?.(outcome);
    } catch {
      // Reporting must never change what the store holds.
    }
  }

  function fetchKeys(now: number): Promise<void> {
    attemptedAt = now;
    // The finally callback runs after this assignment, so inFlight never outlives its attempt.
    const attempt: Promise<void> = load().finally(() => {
      if (inFlight === attempt) inFlight = null;
    });
    inFlight = attempt;
    waitGate = new Promise<void>((resolveGate) => {
      const timer = setTimeout(resolveGate, unknownKidWaitMs);
      timer.unref();
      void attempt.then(() => {
        clearTimeout(timer);
        resolveGate();
      });
    });
    return waitGate;
  }

  /** A refresh is due: nothing fetched yet, or keys older than max-age — but after a failure only once per cooldown. */
  function refreshDue(now: number): boolean {
    if (inFlight !== null || closed) return false;
    if (set !== null && now - fetchedAt < cacheMaxAgeMs) return false;
    return lastError === null || now - attemptedAt >= cooldownMs;
  }

  /** Start a due refresh without waiting for it: known keys keep serving meanwhile. */
  function refreshInBackground(now: number): void {
    if (refreshDue(now)) void fetchKeys(now);
  }

  function lookup(alg: JwsAlgorithm, kid: string | undefined): KeyRecord | KeyFailure {
    if (set === null) return 'ERR_JWKS_UNAVAILABLE';
    const selected = set.select(alg, kid);
    if (typeof selected !== 'string') return selected;
    // The kid may be in the JWKS we could not read (failed or still pending): unavailable, not unknown.
    if (selected === 'unknown-kid' && (lastError !== null || inFlight !== null)) return 'ERR_JWKS_UNAVAILABLE';
    return keyFailureOf(selected);
  }

  function afterWait(gate: Promise<void>, alg: JwsAlgorithm, kid: string | undefined): Promise<KeyRecord | KeyFailure> {
    return gate.then(() => lookup(alg, kid));
  }

  function resolve(alg: JwsAlgorithm, kid: string | undefined, now: number): KeyRecord | KeyFailure | Promise<KeyRecord | KeyFailure> {
    const selected = set === null ? null : set.select(alg, kid);
    if (selected !== null && selected !== 'unknown-kid') {
      refreshInBackground(now);
      return typeof selected === 'string' ? keyFailureOf(selected) : selected;
    }
    // Nothing loaded yet, or an unknown kid: this request may wait, boundedly, for a fetch.
    if (inFlight !== null && waitGate !== null) return afterWait(waitGate, alg, kid);
    if (refreshDue(now)) return afterWait(fetchKeys(now), alg, kid);
    // Never two fetches in the same clock tick; after a failed attempt, wait the cooldown out from that attempt.
    const coolingDown =
      now <= attemptedAt || now - unknownKidRefetchAt < cooldownMs || (lastError !== null && now - attemptedAt < cooldownMs);
    if (selected === 'unknown-kid' && !coolingDown && !closed) {
      // @see docs/security.md rule 3 — a flood of random kids causes at most one fetch per cooldown.
      unknownKidRefetchAt = now;
      return afterWait(fetchKeys(now), alg, kid);
    }
    return lookup(alg, kid);
  }

  return {
    resolve,
    isCurrent(record, now) {
      if (record.retired) return false;
      // A cache hit never waits: a due refresh runs in the background and retires removed keys when it lands.
      refreshInBackground(now);
      return true;
    },
    close() {
      closed = true;
      agent.destroy();
    },
    prefetch: refreshInBackground,
    state() {
      return { ready: set !== null && !closed, keyCount: set?.records.length ?? 0, loadedAt: set === null ? null : fetchedAt, refreshing: inFlight !== null, lastError };
    },
    retryAfterSeconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
  };
}
