import type { BindingCertificate } from './binding-certificate.js';
import { assertKnownKeys } from './lib/known-options.js';
import type { ResultTokenType } from './types.js';

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Largest number of tokens kept; the least recently used goes first. Default 1000. */
  maxEntries?: number;
  /** Refresh when less than this fraction of the lifetime remains. Default 0.1. */
  refreshMarginRatio?: number;
  /** ...or when less than this many seconds remain, whichever margin is larger (capped at half the lifetime). Default 300. */
  refreshMarginSeconds?: number;
}

/** A cached token. The cache key (see `cacheKey`) already pins certificate, client, tenant, scopes and token type. */
export interface CachedToken {
  readonly accessToken: string;
  readonly tokenType: ResultTokenType;
  /** The token type the acquisition asked for: a bearer entry can never answer a PoP request. */
  readonly requestedType: 'mtls_pop' | 'bearer';
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Epoch ms after which the token is re-acquired instead of served. */
  readonly refreshAt: number;
  readonly scopes: readonly string[];
  readonly bindingCertificate: BindingCertificate | null;
  readonly tokenEndpoint: string;
}

/** The parts of a cache key (docs/protocol.md §4). */
export interface CacheKeyParts {
  /** The authority's `login.` host (regional and global hosts share entries) or the RFC 8705 issuer. */
  readonly environment: string;
  readonly tenant: string;
  readonly clientId: string;
  /** Normalised scope key. */
  readonly scopes: string;
  readonly requestedType: 'mtls_pop' | 'bearer';
  /** `x5t#S256` of the certificate on the connection, or '' when none: a different certificate never hits. */
  readonly thumbprint: string;
}

/** Build the cache key: every part that makes a token unusable for another request is in it. */
export function cacheKey(parts: CacheKeyParts): string {
  return JSON.stringify([parts.environment.toLowerCase(), parts.tenant.toLowerCase(), parts.clientId, parts.scopes, parts.requestedType, parts.thumbprint]);
}

/**
 * In-memory token cache with refresh-ahead, LRU bounds and single-flight acquisition. One per client by default;
 * pass one instance to several clients to share it.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #maxEntries: number;
  readonly #ratio: number;
  readonly #marginMs: number;

  constructor(options: TokenCacheOptions = {}) {
    assertKnownKeys(options, ['maxEntries', 'refreshMarginRatio', 'refreshMarginSeconds'], 'TokenCache option');
    const maxEntries = options.maxEntries ?? 1000;
    const ratio = options.refreshMarginRatio ?? 0.1;
    const marginSeconds = options.refreshMarginSeconds ?? 300;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    if (!(ratio >= 0 && ratio < 1)) throw new TypeError('refreshMarginRatio must be in [0, 1)');
    if (!(marginSeconds >= 0 && Number.isFinite(marginSeconds))) throw new TypeError('refreshMarginSeconds must be a finite number >= 0');
    this.#maxEntries = maxEntries;
    this.#ratio = ratio;
    this.#marginMs = marginSeconds * 1000;
  }

  /** Number of tokens held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drop every token. */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * When a token received at `receivedAt` (ms) with `expires_in`/`refresh_in` (s) should be refreshed: at the
   * server's `refresh_in`, and no later than when the margin (10% of the lifetime or 5 minutes, whichever is larger,
   * at most half the lifetime) is reached.
   */
  refreshAt(receivedAt: number, expiresInSeconds: number, refreshInSeconds?: number): number {
    const lifetime = expiresInSeconds * 1000;
    const margin = Math.min(Math.max(lifetime * this.#ratio, this.#marginMs), lifetime / 2);
    const byMargin = receivedAt + lifetime - margin;
    if (refreshInSeconds !== undefined && refreshInSeconds > 0 && refreshInSeconds < expiresInSeconds) {
      return Math.min(byMargin, receivedAt + refreshInSeconds * 1000);
    }
    return byMargin;
  }

  /** A token that may still be served at `now` for a request of `requestedType`, or undefined. */
  lookup(key: string, requestedType: 'mtls_pop' | 'bearer', now: number): CachedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    // The key already carries the type; checking again keeps a bearer token out of a PoP answer even if keys changed.
    if (entry.requestedType !== requestedType || now >= entry.refreshAt) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Store a token, evicting expired entries and then the least recently used beyond `maxEntries`. */
  store(key: string, token: CachedToken, now: number): void {
    // A token whose times are not numbers could never expire: it is not kept.
    if (!Number.isFinite(token.expiresAt) || !Number.isFinite(token.refreshAt)) return;
    this.#entries.delete(key);
    this.#entries.set(key, token);
    if (this.#entries.size <= this.#maxEntries) return;
    for (const [candidate, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(candidate);
    }
    for (const candidate of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(candidate);
    }
  }

  /** Remove one token (e.g. after the resource rejected it). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Run `acquire` unless an acquisition for `key` is already running, in which case share its promise: concurrent
   * acquisitions for one key make one token request.
   */
  singleFlight<T>(key: string, acquire: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const started = acquire().finally(() => {
      if (this.#inFlight.get(key) === started) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, started);
    return started;
  }
}
