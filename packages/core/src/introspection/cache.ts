import { createHash } from 'node:crypto';

/**
 * Introspection results by token, each until its own deadline, bounded in entries (the oldest goes first). Keys
 * are SHA-256 digests of the whole token: the map never holds a token, and two tokens never share an entry.
 * One lookup per token is in flight at a time; later requests for it wait for the same answer.
 * @see RFC 7662 §4 — a resource may cache responses, no longer than the token's expiry.
 */
export class IntrospectionCache<T> {
  readonly #entries = new Map<string, { value: T; until: number }>();
  readonly #pending = new Map<string, Promise<T>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('base64url');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, nowMs: number): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > nowMs) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, until: number, nowMs: number): void {
    if (until <= nowMs) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, until });
  }

  /** The answer in flight for `key`, or the one `start` begins; it leaves the in-flight map once settled. */
  once(key: string, start: () => Promise<T>): Promise<T> {
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const started = start().finally(() => this.#pending.delete(key));
    this.#pending.set(key, started);
    return started;
  }

  clear(): void {
    this.#entries.clear();
  }
}
