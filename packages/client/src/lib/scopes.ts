/** Scopes as sent (deduplicated, order kept) and as keyed in the cache (lower-cased, sorted). */
export interface NormalisedScopes {
  /** The `scope` form parameter. */
  readonly wire: string;
  /** Requested scopes, deduplicated, in the caller's order. */
  readonly list: readonly string[];
  /** Cache-key form: scope comparison is case-insensitive, as in MSAL. */
  readonly key: string;
}

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // @see RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E )

/** Validate and normalise the requested scopes; throws `TypeError` for an empty list or a malformed scope. */
export function normaliseScopes(scopes: readonly string[] | undefined): NormalisedScopes {
  if (!Array.isArray(scopes) || scopes.length === 0) throw new TypeError('scopes must be a non-empty array of strings');
  const seen = new Map<string, string>();
  for (const scope of scopes as readonly unknown[]) {
    if (typeof scope !== 'string' || !SCOPE.test(scope)) throw new TypeError('each scope must be a non-empty RFC 6749 scope token (no spaces or quotes)');
    const lower = scope.toLowerCase();
    if (!seen.has(lower)) seen.set(lower, scope);
  }
  const list = [...seen.values()];
  return { wire: list.join(' '), list, key: [...seen.keys()].sort().join(' ') };
}
