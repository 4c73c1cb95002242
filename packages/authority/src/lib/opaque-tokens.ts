import { randomBytes } from 'node:crypto';

/** The most opaque tokens kept at once: issuing beyond it drops the one closest to expiry. */
const MAX_TOKENS = 100_000;

/**
 * Opaque access tokens: 256 random bits that mean nothing outside this store, which keeps each token's claims
 * until it expires or is revoked. Resource servers learn the claims (and `cnf`) by introspection only.
 * @see RFC 7662 §2.2; RFC 7009 §2.1; RFC 8705 §3.2
 */
export class OpaqueTokenStore {
  readonly #tokens = new Map<string, { claims: Readonly<Record<string, unknown>>; expiresAtMs: number }>();

  issue(claims: Record<string, unknown>, expiresAtMs: number, nowMs: number): string {
    if (this.#tokens.size >= MAX_TOKENS) this.#sweep(nowMs);
    if (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value as string);
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, { claims: Object.freeze({ ...claims }), expiresAtMs });
    return token;
  }

  /** The claims of a live token, or null (unknown, expired or revoked: all inactive to RFC 7662). */
  lookup(token: string, nowMs: number): Readonly<Record<string, unknown>> | null {
    const entry = this.#tokens.get(token);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= nowMs) {
      this.#tokens.delete(token);
      return null;
    }
    return entry.claims;
  }

  /** @see RFC 7009 §2.2 — revoking an unknown token is not an error. */
  revoke(token: string): boolean {
    return this.#tokens.delete(token);
  }

  #sweep(nowMs: number): void {
    for (const [token, entry] of this.#tokens) if (entry.expiresAtMs <= nowMs) this.#tokens.delete(token);
  }
}
