import type { Logger } from 'pino';
import { type JwtClaims, type RequestInput, type Verifier, type VerifyFailure } from '@certbound/core';
import { failure, roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import { encodeIdentity, identityFromClaims, type Identity, type IdentityHeaderNames, type IdentityHeaderValues } from './identity.js';

interface ShapedIdentity {
  readonly thumbprint: string | null;
  readonly identity: Identity;
  /** Frozen, shared by every request of one token and certificate; null when a value is too long to forward. */
  readonly headers: IdentityHeaderValues | null;
}

/** Shared between requests, so nobody may change it. */
function freezeIdentity(identity: Identity): Identity {
  Object.freeze(identity.scopes);
  Object.freeze(identity.roles);
  return Object.freeze(identity);
}

export type Decision =
  /** `expiresAt`: the token's `exp` (seconds since the epoch), bounding how long a proxy may reuse the decision. */
  | { ok: true; identity: Identity; headers: IdentityHeaderValues; expiresAt: number | undefined }
  | { ok: false; failure: VerifyFailure };

export interface Authorizer {
  /** Decide one authorization request. Never rejects. */
  authorize(input: RequestInput): Promise<Decision>;
}

export interface AuthorizerOptions {
  verifier: Verifier;
  identityHeaders: IdentityHeaderNames;
  /** docs/configuration.md `requiredScopes`: every listed scope must be granted. */
  requiredScopes: readonly string[];
  /** docs/configuration.md `requiredRoles`: every listed role must be granted. */
  requiredRoles: readonly string[];
  logger: Logger;
}

/** Verify (core), apply the config's scope and role requirements, then shape the identity for the upstream. */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const { verifier, identityHeaders, logger } = options;
  const realm = verifier.options.realm;
  const guardOptions = { schemes: verifier.options.schemes, ...(realm === undefined ? {} : { realm }) };
  // Core's guards check the names now: a scope or role a challenge cannot carry is a startup error naming the field.
  const guards: Guard[] = [];
  if (options.requiredScopes.length > 0) guards.push(scopeGuard(options.requiredScopes, { name: 'requiredScopes', verifier }));
  if (options.requiredRoles.length > 0) guards.push(roleGuard(options.requiredRoles, { name: 'requiredRoles', verifier }));

  // The core hands back the same frozen claims object for every cache hit of a token, so the encoded identity is
  // kept per claims object (weakly: it goes when the core's cache drops the token) and reused while the request's
  // thumbprint is the one it was built with. Only the last thumbprint is kept: a bound token succeeds with one
  // certificate only, and an unbound token shown with many certificates cannot grow the memo.
  const shaped = new WeakMap<object, ShapedIdentity>();
  function shapeIdentity(claims: JwtClaims, thumbprint: string | null): ShapedIdentity {
    const memo = shaped.get(claims);
    if (memo !== undefined && memo.thumbprint === thumbprint) return memo;
    const identity = freezeIdentity(identityFromClaims(claims, thumbprint));
    const headers = encodeIdentity(identity, identityHeaders);
    const entry: ShapedIdentity = { thumbprint, identity, headers: headers === null ? null : Object.freeze(headers) };
    // Only frozen claims (the core deep-freezes them) are memoised: claims that could change must be read afresh.
    if (Object.isFrozen(claims)) shaped.set(claims, entry);
    return entry;
  }

  return {
    async authorize(input) {
      let result;
      try {
        result = await verifier.verifyRequest(input);
      } catch (error) {
        // verifyRequest promises never to reject; if it ever does, refuse rather than guess.
        logger.error({ err: error }, 'verifier failed');
        return { ok: false, failure: failure('ERR_VERIFICATION_FAILED', guardOptions) };
      }
      if (!result.ok) return { ok: false, failure: result };
      // @see RFC 6750 §3.1 insufficient_scope — 403 with the required scope in the challenge
      for (const guard of guards) {
        const refusal = guard.check(result);
        if (refusal !== null) return { ok: false, failure: refusal };
      }
      const { identity, headers } = shapeIdentity(result.claims, result.thumbprint);
      // A claim too large to forward in a header is refused, not truncated: a cut subject could name someone else.
      if (headers === null) return { ok: false, failure: failure('ERR_CLAIM_INVALID', guardOptions) };
      return { ok: true, identity, headers, expiresAt: typeof result.claims.exp === 'number' ? result.claims.exp : undefined };
    },
  };
}
