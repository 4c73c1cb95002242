import type { JoseHeader, JwtClaims } from '../types.js';
import type { TokenBinding } from './binding.js';
import type { TokenTimes } from './claims.js';
import type { KeyRecord } from './jwk.js';

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
  readonly value: VerifiedToken;
  /** Second-chance bit: set by a hit, cleared when eviction passes over the entry. */
  referenced: boolean;
}

/** How many referenced entries one insertion may move to the back before evicting regardless. */
const SECOND_CHANCES = 8;

/**
 * Verified-token cache, keyed by the complete token string (never by the signature alone: the same signature
 * with another header or payload is another token). Bounded in entries; eviction is CLOCK-like ("second
 * chance"): a hit only sets a bit, so the hot path does no map reordering, and eviction skips recently used
 * entries. Nothing here decides acceptance: time claims, the key and the binding are re-checked on every hit.
 * @see SECURITY.md rule 10
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(token: string): VerifiedToken | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    entry.referenced = true;
    return entry.value;
  }

  set(token: string, value: VerifiedToken): void {
    const entries = this.#entries;
    if (entries.has(token)) {
      entries.set(token, { value, referenced: false });
      return;
    }
    let chances = SECOND_CHANCES;
    while (entries.size >= this.#maxEntries) {
      const oldest = entries.entries().next();
      if (oldest.done === true) break;
      const [key, entry] = oldest.value;
      entries.delete(key);
      if (entry.referenced && chances-- > 0) {
        entry.referenced = false;
        entries.set(key, entry);
      }
    }
    entries.set(token, { value, referenced: false });
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }

  clear(): void {
    this.#entries.clear();
  }
}
