/**
 * Remembers `jti`s of private_key_jwt assertions until they expire, so each is accepted once (RFC 7523 §3 item 7).
 * Bounded: expired entries are pruned when the cache fills; if it is still full, new assertions are refused
 * (never silently accepted without a replay check).
 */
export class ReplayCache {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.maxEntries = maxEntries;
  }

  /**
   * Record `jti` of `clientId` valid until `expiresAtMs`. Returns `fresh` the first time, `replayed` after that,
   * and `full` when the cache cannot take another entry.
   */
  remember(clientId: string, jti: string, expiresAtMs: number, nowMs: number): 'fresh' | 'replayed' | 'full' {
    const key = `${clientId.length}:${clientId}:${jti}`;
    const known = this.entries.get(key);
    if (known !== undefined && known > nowMs) return 'replayed';
    if (this.entries.size >= this.maxEntries) this.prune(nowMs);
    if (this.entries.size >= this.maxEntries) return 'full';
    this.entries.set(key, expiresAtMs);
    return 'fresh';
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    for (const [key, expiresAt] of this.entries) if (expiresAt <= nowMs) this.entries.delete(key);
  }
}
