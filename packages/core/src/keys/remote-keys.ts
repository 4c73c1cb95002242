import { Agent } from 'node:https';
import { JwksClient } from 'jwks-rsa';
import type { JwsAlgorithm } from '../types.js';
import type { KeyRecord } from './jwk.js';
import { createJwksFetcher } from './jwks-fetch.js';
import { buildKeySet, type KeySet } from './key-set.js';
import { keyFailureOf, type KeyFailure, type KeyStore } from './key-store.js';

export interface RemoteKeyStoreOptions {
  jwksUri: string;
  allowed: ReadonlySet<JwsAlgorithm>;
  timeoutMs: number;
  cacheMaxAgeMs: number;
  cooldownMs: number;
  maxResponseBytes: number;
  ca: string[] | undefined;
  /** The verifier's clock (milliseconds): max-age and cooldown follow `currentTime`, so tests freeze them too. */
  clock: () => number;
}

/**
 * Keys from a remote JWKS, retrieved through jwks-rsa with a bounded fetcher, imported once per key.
 *
 * - Keys are trusted for `cacheMaxAgeMs` after a successful fetch; then the next request refetches (one fetch in
 *   flight at a time, every concurrent request waits for it).
 * - An unknown `kid` refetches at most once per `cooldownMs`, however many distinct kids arrive: the cooldown
 *   counts from the last refetch an unknown kid caused (so a key rotated in right after start-up is picked up at
 *   once), after a failed attempt from that attempt, and two fetches never happen in the same clock tick.
 * - An outage (failed fetch) keeps serving the keys already known; after a failure the next attempt waits for
 *   the cooldown. An unknown kid during an outage is `ERR_JWKS_UNAVAILABLE` (503), never acceptance.
 * - A fetched JWKS without a single usable key counts as a failed fetch: the known keys stay.
 * @see SECURITY.md rules 3 and 10; RFC 8725 §3.10 is silent on rotation, this follows jose's remote JWKS semantics.
 */
export function createRemoteKeyStore(options: RemoteKeyStoreOptions): KeyStore {
  const { allowed, cacheMaxAgeMs, cooldownMs, clock } = options;
  // A private agent: its trust roots are exactly `ca` when given, and close() can release its sockets.
  const agent = new Agent({ keepAlive: true, maxSockets: 2, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  const client = new JwksClient({
    jwksUri: options.jwksUri,
    cache: false, // caching, max-age and rate limiting are done here, per key set rather than per kid
    rateLimit: false,
    timeout: options.timeoutMs,
    fetcher: createJwksFetcher({ timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes, agent }),
  });

  let set: KeySet | null = null;
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let unknownKidRefetchAt = -Infinity;
  let lastAttemptFailed = false;
  let inFlight: Promise<void> | null = null;
  let closed = false;

  async function load(): Promise<void> {
    try {
      if (closed) throw new Error('verifier closed');
      const keys = (await client.getKeys()) as unknown;
      if (!Array.isArray(keys)) throw new Error('JWKS has no keys array');
      const built = buildKeySet(keys, allowed, set ?? undefined);
      if (built.set.records.length === 0) throw new Error('JWKS has no usable signing key');
      const kept = new Set(built.set.records);
      for (const record of set?.records ?? []) {
        if (!kept.has(record)) record.retired = true;
      }
      set = built.set;
      fetchedAt = clock();
      lastAttemptFailed = false;
    } catch {
      // The reason is not surfaced: results carry fixed texts, and the known keys keep serving.
      lastAttemptFailed = true;
    }
  }

  function fetchKeys(now: number): Promise<void> {
    attemptedAt = now;
    // The finally callback runs after this assignment, so inFlight never outlives its attempt.
    const attempt: Promise<void> = load().finally(() => {
      if (inFlight === attempt) inFlight = null;
    });
    inFlight = attempt;
    return attempt;
  }

  /** A refresh is due: nothing fetched yet, or keys older than max-age — but after a failure only once per cooldown. */
  function refreshDue(now: number): boolean {
    if (set !== null && now - fetchedAt < cacheMaxAgeMs) return false;
    return !lastAttemptFailed || now - attemptedAt >= cooldownMs;
  }

  function lookup(alg: JwsAlgorithm, kid: string | undefined): KeyRecord | KeyFailure {
    if (set === null) return 'ERR_JWKS_UNAVAILABLE';
    const selected = set.select(alg, kid);
    if (typeof selected !== 'string') return selected;
    if (selected === 'unknown-kid' && lastAttemptFailed) return 'ERR_JWKS_UNAVAILABLE';
    return keyFailureOf(selected);
  }

  function resolve(alg: JwsAlgorithm, kid: string | undefined, now: number): KeyRecord | KeyFailure | Promise<KeyRecord | KeyFailure> {
    if (inFlight !== null) return inFlight.then(() => lookup(alg, kid));
    if (refreshDue(now)) return fetchKeys(now).then(() => lookup(alg, kid));
    const selected = set === null ? null : set.select(alg, kid);
    // Never two fetches in the same clock tick; after a failed attempt, wait the cooldown out from that attempt.
    const coolingDown =
      now <= attemptedAt || now - unknownKidRefetchAt < cooldownMs || (lastAttemptFailed && now - attemptedAt < cooldownMs);
    if (selected === 'unknown-kid' && !coolingDown) {
      // @see SECURITY.md rule 3 — a flood of random kids causes at most one fetch per cooldown.
      unknownKidRefetchAt = now;
      return fetchKeys(now).then(() => lookup(alg, kid));
    }
    return lookup(alg, kid);
  }

  return {
    resolve,
    isCurrent(record, now) {
      if (record.retired) return false;
      if (inFlight !== null) return inFlight.then(() => !record.retired);
      if (refreshDue(now)) return fetchKeys(now).then(() => !record.retired);
      return true;
    },
    close() {
      closed = true;
      agent.destroy();
    },
  };
}
