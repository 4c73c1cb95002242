import type { Logger } from 'pino';
import { failure, requireRoles, requireScopes, type RequestInput, type Verifier, type VerifyFailure } from '@certbound/core';
import { encodeIdentity, identityFromClaims, type Identity, type IdentityHeaderNames, type IdentityHeaderValues } from './identity.js';

export type Decision = { ok: true; identity: Identity; headers: IdentityHeaderValues } | { ok: false; failure: VerifyFailure };

export interface Authorizer {
  /** Decide one authorization request. Never rejects. */
  authorize(input: RequestInput): Promise<Decision>;
}

export interface AuthorizerOptions {
  verifier: Verifier;
  identityHeaders: IdentityHeaderNames;
  /** CONFIG.md `requiredScopes`: every listed scope must be granted. */
  requiredScopes: readonly string[];
  /** CONFIG.md `requiredRoles`: every listed role must be granted. */
  requiredRoles: readonly string[];
  logger: Logger;
}

/** Verify (core), apply the config's scope and role requirements, then shape the identity for the upstream. */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const { verifier, identityHeaders, logger } = options;
  const scopes = [...options.requiredScopes];
  const roles = [...options.requiredRoles];
  const realm = verifier.options.realm;
  const guardOptions = { schemes: verifier.options.schemes, ...(realm === undefined ? {} : { realm }) };
  // Build the 403 challenges once now: a scope or role that cannot appear in a challenge is a startup error
  // (TypeError), not a failure on every request.
  for (const [field, values] of [['requiredScopes', scopes], ['requiredRoles', roles]] as const) {
    try {
      if (values.length > 0) failure('ERR_INSUFFICIENT_SCOPE', { ...guardOptions, scope: values.join(' ') });
    } catch (error) {
      throw new TypeError(`certbound config: ${field} must be RFC 6750 scope tokens (no spaces, quotes or backslashes)`, { cause: error });
    }
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
      const refusal = (scopes.length > 0 ? requireScopes(verifier, result, scopes) : null) ?? (roles.length > 0 ? requireRoles(verifier, result, roles) : null);
      if (refusal) return { ok: false, failure: refusal };
      const identity = identityFromClaims(result.claims, result.thumbprint);
      const headers = encodeIdentity(identity, identityHeaders);
      // A claim too large to forward in a header is refused, not truncated: a cut subject could name someone else.
      if (headers === null) return { ok: false, failure: failure('ERR_CLAIM_INVALID', guardOptions) };
      return { ok: true, identity, headers };
    },
  };
}
