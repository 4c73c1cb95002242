import type { JoseHeader, JwtClaims } from '../types.js';
import type { TokenBinding } from '../binding/binding.js';
import type { TokenTimes } from '../claims/validate.js';
import type { KeyRecord } from '../keys/jwk.js';

/** A token whose signature and time-independent claims were verified. Frozen claims and header, shared by hits. */
export interface VerifiedToken {
  readonly claims: JwtClaims;
  readonly header: JoseHeader;
  /** The key that verified the signature: a hit is honoured only while this key is still in the JWKS. */
  readonly key: KeyRecord;
  readonly times: TokenTimes;
  readonly binding: TokenBinding;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
}

interface Entry {
  /** The complete token: a lookup by the key below is a hit only when this is equal too. */
  readonly token: string;
  readonly value: VerifiedToken;
  /** Estimated heap cost, counted against maxBytes. */
  readonly bytes: number;
  /** Second-chance bit: set by a hit, cleared when eviction passes over the entry. */
  referenced: boolean;
}

/**
 * Characters of the token's end used as the map key. The end is the signature (≥ 64 bytes of signature output for
 * every allowed algorithm), so two tokens seldom share it; hashing 24 characters instead of the whole token (V8
 * hashes every character of a fresh string: about a microsecond for a 1 KB token) was the largest cost of a warm
 * request. The entry keeps the whole token and a lookup compares it, so a shared suffix is only a miss.
 */
const KEY_LENGTH = 24;

function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(token.length - KEY_LENGTH);
}

/** How many referenced entries one insertion may move to the back before evicting regardless. */
const SECOND_CHANCES = 8;
/**
 * Estimated heap bytes of an entry: the token (one byte per character) plus its parsed claims, measured at about
 * 0.8 × the token length + 0.3 KB on Node 20; rounded up to 2 × length + 320 so the budget errs on the safe side.
 */
export function entryBytes(token: string): number {
  return 2 * token.length + 320;
}

/**
 * Verified-token cache of complete token strings (never the signature alone: the same signature with another header
 * or payload is another token — a lookup compares the whole token; only the map's key is the token's end). Bounded in entries and in estimated bytes; eviction is CLOCK-like ("second
 * chance"): a hit only sets a bit, so the hot path does no map reordering, and eviction skips recently used
 * entries. Nothing here decides acceptance: time claims, the key and the binding are re-checked on every hit.
 * @see docs/security.md rule 10
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;
  /** Lookups that found an entry, and that did not: read by the cache metrics (docs/observability.md). */
  hits = 0;
  misses = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated heap bytes held (see entryBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  get(token: string): VerifiedToken | undefined {
    const entry = this.#entries.get(keyOf(token));
    if (entry === undefined || entry.token !== token) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.referenced = true;
    return entry.value;
  }

  set(token: string, value: VerifiedToken): void {
    const entries = this.#entries;
    const bytes = entryBytes(token);
    if (bytes > this.#maxBytes) return; // larger than the whole budget: verified every time, never cached
    const key = keyOf(token);
    this.#remove(key);
    let chances = SECOND_CHANCES;
    while (entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      const oldest = entries.entries().next();
      if (oldest.done === true) break;
      const [oldestKey, entry] = oldest.value;
      entries.delete(oldestKey);
      if (entry.referenced && chances-- > 0) {
        entry.referenced = false;
        entries.set(oldestKey, entry);
      } else {
        this.#bytes -= entry.bytes;
      }
    }
    entries.set(key, { token, value, bytes, referenced: false });
    this.#bytes += bytes;
  }

  /** Forget `token` (not another token that merely shares its end). */
  delete(token: string): void {
    const key = keyOf(token);
    if (this.#entries.get(key)?.token === token) this.#remove(key);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
