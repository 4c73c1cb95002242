import { assertKnownKeys } from './lib/known-options.js';
import { InMemoryTokenStore, type TokenStore } from './token-store.js';
import type { ResultTokenType } from './types.js';

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Largest number of tokens kept by the default in-memory store; the least recently used goes first. Default 1000. */
  maxEntries?: number;
  /**
   * A token is served until this many seconds before it expires (capped at half its lifetime), then re-acquired in
   * the caller's path. Default 300 (MSAL's five-minute expiration buffer).
   */
  expiryBufferSeconds?: number;
  /**
   * Where tokens are kept: {@link InMemoryTokenStore} (default), {@link FileTokenStore} or {@link RedisTokenStore} to
   * persist them or share them between processes. Entries hold tokens and certificate thumbprints, never keys.
   */
  store?: TokenStore;
}

/** A cached token as stored: plain data, no key material (the binding certificate is referred to by thumbprint). */
export interface CachedToken {
  readonly accessToken: string;
  readonly tokenType: ResultTokenType;
  /** The token type the acquisition asked for: a bearer entry can never answer a PoP request. */
  readonly requestedType: 'mtls_pop' | 'bearer';
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Epoch ms after which a background refresh starts (`refresh_in`); undefined for none. */
  readonly refreshAt: number | undefined;
  readonly scopes: readonly string[];
  /** `x5t#S256` of the certificate the token is bound to, or of the credential certificate; '' when none. */
  readonly thumbprint: string;
  readonly tokenEndpoint: string;
}

/** The parts of a cache key (docs/protocol.md §4); MSAL keys by environment, tenant, client id, scopes and token type. */
export interface CacheKeyParts {
  /** The authority's `login.` host (regional and global hosts share entries) or the RFC 8705 issuer. */
  readonly environment: string;
  readonly tenant: string;
  readonly clientId: string;
  /** Normalised scope key (lower-case, sorted, space-separated). */
  readonly scopes: string;
  readonly requestedType: 'mtls_pop' | 'bearer';
  /** `x5t#S256` of the certificate of the credential, or '' when none: a different certificate never hits. */
  readonly thumbprint: string;
}

/** Everything in the key but the scopes: the entries a subset lookup may choose from. */
function partition(parts: CacheKeyParts): string {
  return JSON.stringify(['certbound-at-1', parts.environment.toLowerCase(), parts.tenant.toLowerCase(), parts.clientId, parts.requestedType, parts.thumbprint]);
}

/** Build the cache key: every part that makes a token unusable for another request is in it. */
export function cacheKey(parts: CacheKeyParts): string {
  return `${partition(parts)}:${parts.scopes}`;
}

const INDEX_SUFFIX = ':index';
/** The longest an index entry lives: a token lives at most a day (MAX_EXPIRES_IN_SECONDS). */
const INDEX_LIFETIME_MS = 86_400_000;

function isCachedToken(value: unknown): value is CachedToken {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['accessToken'] === 'string' &&
    (v['tokenType'] === 'mtls_pop' || v['tokenType'] === 'Bearer' || v['tokenType'] === 'N_A') &&
    (v['requestedType'] === 'mtls_pop' || v['requestedType'] === 'bearer') &&
    Number.isFinite(v['expiresAt']) &&
    (v['refreshAt'] === undefined || Number.isFinite(v['refreshAt'])) &&
    Array.isArray(v['scopes']) &&
    v['scopes'].every((scope) => typeof scope === 'string') &&
    typeof v['thumbprint'] === 'string' &&
    typeof v['tokenEndpoint'] === 'string'
  );
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What a lookup found: a token to serve, and whether a background refresh is due. */
export interface CacheHit {
  readonly token: CachedToken;
  readonly refreshDue: boolean;
}

/**
 * Token cache: lookups (exact scopes first, then any cached entry whose scopes include the requested ones),
 * MSAL's serving window (until expiry − 5 min) and refresh-ahead (`refresh_in`), single-flight acquisition, over a
 * {@link TokenStore}. One per client by default; pass one instance to several clients, or one shared store to several
 * processes, to share tokens.
 */
export class TokenCache {
  readonly #store: TokenStore;
  readonly #memory: InMemoryTokenStore | undefined;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #bufferMs: number;

  constructor(options: TokenCacheOptions = {}) {
    assertKnownKeys(options, ['maxEntries', 'expiryBufferSeconds', 'store'], 'TokenCache option');
    const bufferSeconds = options.expiryBufferSeconds ?? 300;
    if (!(bufferSeconds >= 0 && Number.isFinite(bufferSeconds))) throw new TypeError('expiryBufferSeconds must be a finite number >= 0');
    if (options.store !== undefined) {
      const store = options.store as Partial<TokenStore> | null;
      if (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.delete !== 'function') {
        throw new TypeError('store must have get, set and delete methods');
      }
      if (options.maxEntries !== undefined) throw new TypeError('maxEntries applies to the default in-memory store; bound your own store instead');
      this.#store = options.store;
    } else {
      this.#memory = new InMemoryTokenStore(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries });
      this.#store = this.#memory;
    }
    this.#bufferMs = bufferSeconds * 1000;
  }

  /** Number of entries held by the default in-memory store (0 with another store). */
  get size(): number {
    return this.#memory?.tokenCount ?? 0;
  }

  /** Drop every token of the default in-memory store. */
  clear(): void {
    this.#memory?.clear();
  }

  /** Until when a token is served: expiry minus the buffer, but at least for the first half of its life. */
  servableUntil(token: Pick<CachedToken, 'expiresAt'>, receivedAt: number): number {
    const lifetime = token.expiresAt - receivedAt;
    return token.expiresAt - Math.min(this.#bufferMs, Math.max(0, lifetime / 2));
  }

  async #read(key: string, parts: CacheKeyParts, now: number): Promise<CacheHit | undefined> {
    const entry = parse(await this.#store.get(key));
    if (!isCachedToken(entry)) return undefined;
    const stored = entry as CachedToken & { receivedAt?: number };
    // Checked again although the key carries both: a store edited by hand, or keyed wrongly, must still never hand a
    // bearer token to a PoP request or a token bound to another certificate (docs/security.md rule 11).
    if (entry.requestedType !== parts.requestedType || entry.thumbprint !== parts.thumbprint) return undefined;
    const receivedAt = typeof stored.receivedAt === 'number' ? stored.receivedAt : entry.expiresAt;
    if (now >= this.servableUntil(entry, receivedAt)) return undefined;
    const token: CachedToken = {
      accessToken: entry.accessToken,
      tokenType: entry.tokenType,
      requestedType: entry.requestedType,
      expiresAt: entry.expiresAt,
      refreshAt: entry.refreshAt,
      scopes: Object.freeze([...entry.scopes]),
      thumbprint: entry.thumbprint,
      tokenEndpoint: entry.tokenEndpoint,
    };
    return { token, refreshDue: entry.refreshAt !== undefined && now >= entry.refreshAt };
  }

  /**
   * A token that may be served at `now`: the entry for exactly these scopes, else one whose scopes include them
   * (MSAL answers a request for a subset of cached scopes from the cache).
   */
  async lookup(parts: CacheKeyParts, now: number): Promise<CacheHit | undefined> {
    const exact = await this.#read(cacheKey(parts), parts, now);
    if (exact !== undefined) return exact;
    const wanted = parts.scopes.split(' ');
    const index = parse(await this.#store.get(`${partition(parts)}${INDEX_SUFFIX}`));
    if (!Array.isArray(index)) return undefined;
    for (const candidate of index) {
      if (typeof candidate !== 'string' || candidate === parts.scopes) continue;
      const have = new Set(candidate.split(' '));
      if (!wanted.every((scope) => have.has(scope))) continue;
      const hit = await this.#read(cacheKey({ ...parts, scopes: candidate }), { ...parts, scopes: candidate }, now);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Store a token received at `receivedAt` under `parts`, and list its scopes in the partition's index. */
  async store(parts: CacheKeyParts, token: CachedToken, receivedAt: number): Promise<void> {
    // A token whose times are not numbers could never expire: it is not kept.
    if (!Number.isFinite(token.expiresAt) || (token.refreshAt !== undefined && !Number.isFinite(token.refreshAt))) return;
    const key = cacheKey(parts);
    await this.#store.set(key, JSON.stringify({ ...token, receivedAt }), token.expiresAt);
    const indexKey = `${partition(parts)}${INDEX_SUFFIX}`;
    const index = parse(await this.#store.get(indexKey));
    const scopes = new Set(Array.isArray(index) ? index.filter((entry): entry is string => typeof entry === 'string') : []);
    if (scopes.has(parts.scopes)) return;
    scopes.add(parts.scopes);
    // Bounded: a partition with more scope sets than this is unusual; the oldest are forgotten (exact lookups still hit).
    const kept = [...scopes].slice(-64);
    await this.#store.set(indexKey, JSON.stringify(kept), receivedAt + INDEX_LIFETIME_MS);
  }

  /** Remove one token (e.g. after the resource rejected it). */
  async delete(parts: CacheKeyParts): Promise<void> {
    await this.#store.delete(cacheKey(parts));
  }

  /** Whether an acquisition for `key` is running. */
  isInFlight(key: string): boolean {
    return this.#inFlight.has(key);
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
