import type { ErrorCode, Verifier, VerifyFailure, VerifySuccess } from '../types.js';
import { rolesOf, scopesOf } from '../claims/identity.js';
import { CertboundError, invalidOption } from '../errors.js';
import { isScopeToken } from '../http/challenge.js';
import { challengeOptionsOf, failure } from '../http/failure.js';
import { internalsOf, verifierOf } from '../verify/registry.js';

/** What a route requires of a verified token, checked after verification. */
export interface Guard {
  /** `requireScopes` or `requireRoles` (or the caller's own name for it): named in errors. */
  readonly name: string;
  /** Every one of these must be granted. */
  readonly required: readonly string[];
  /**
   * `null` when the token grants everything required, else the 403 `insufficient_scope` failure to send, built by
   * the verifier that accepted `auth` (its schemes and realm) and reported as a `rejected` event. Throws a
   * CertboundError `ERR_GUARD_WITHOUT_AUTH` when `auth` is not a success a certbound verifier produced: a guard
   * wired before the verification must never let a request through.
   */
  check(auth: VerifySuccess | null | undefined): VerifyFailure | null;
}

/** Options of {@link scopeGuard} and {@link roleGuard}. */
export interface GuardOptions {
  /** The guard's name in errors. Default `requireScopes` / `requireRoles`. */
  name?: string;
  /** Completes "must run after …" in the wiring error, e.g. `certbound(): ctx.state.auth is not set`. */
  wiring?: string;
  /** The verifier whose successes this guard checks, when the caller has it at hand (the gateway). Default: the one that accepted each success. */
  verifier?: Verifier;
}

interface Grant {
  readonly code: Extract<ErrorCode, 'ERR_INSUFFICIENT_SCOPE' | 'ERR_INSUFFICIENT_ROLE'>;
  readonly granted: (claims: Readonly<Record<string, unknown>>) => readonly string[];
}

/**
 * Check the required names now, at startup: each must fit a challenge's `scope` parameter (RFC 6750 §3
 * scope-token: no spaces, quotes, backslashes or controls), so a bad name is a ConfigurationError naming the
 * field, never a failure on the first request.
 */
function requiredNames(names: unknown, field: string): string[] {
  if (!Array.isArray(names) || names.length === 0) invalidOption(field, 'needs at least one name');
  names.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || !isScopeToken(name)) {
      invalidOption(`${field}[${index}]`, 'must be an RFC 6750 scope token: a non-empty string without spaces, quotes, backslashes or control characters');
    }
  });
  return Object.freeze([...(names as string[])]) as string[];
}

function createGuard(grant: Grant, names: readonly string[], options: GuardOptions & { name: string }): Guard {
  const { name } = options;
  const required = requiredNames(names, name);
  const scope = required.join(' ');
  const fixedVerifier = options.verifier;
  // One refusal per verifier: shared and frozen, like the verifier's own failures.
  const refusals = new WeakMap<Verifier, VerifyFailure>();

  function refusalFor(verifier: Verifier): VerifyFailure {
    let refusal = refusals.get(verifier);
    if (refusal === undefined) {
      refusal = failure(grant.code, { ...challengeOptionsOf(verifier.options), scope });
      Object.freeze(refusal.body);
      refusals.set(verifier, Object.freeze(refusal));
    }
    return refusal;
  }

  return Object.freeze({
    name,
    required,
    check(auth: VerifySuccess | null | undefined): VerifyFailure | null {
      const verifier = auth === null || auth === undefined ? undefined : (fixedVerifier ?? verifierOf(auth));
      if (auth === null || auth === undefined || verifier === undefined) {
        throw new CertboundError('ERR_GUARD_WITHOUT_AUTH', `${name}() must run after ${options.wiring ?? 'the certbound verification'}`);
      }
      const granted = grant.granted(auth.claims);
      if (required.every((entry) => granted.includes(entry))) return null;
      internalsOf(verifier)?.rejectAuthorization(auth, grant.code);
      return refusalFor(verifier);
    },
  });
}

/**
 * A guard requiring every scope in `scopes`: granted scopes are `scp` (Entra; space-separated string or array) and
 * `scope` (RFC 9068 / RFC 8693). A missing scope is a 403 `insufficient_scope` whose challenge names the
 * required scopes. The framework adapters' `requireScopes()` are this guard.
 * @example
 * ```ts
 * const guard = scopeGuard(['orders.read']);
 * const refusal = guard.check(result); // result: a VerifySuccess from verifier.verifyRequest
 * ```
 * @see RFC 6750 §3.1 (insufficient_scope); RFC 9068 §2.2.3
 */
export function scopeGuard(scopes: readonly string[], options: GuardOptions = {}): Guard {
  return createGuard({ code: 'ERR_INSUFFICIENT_SCOPE', granted: scopesOf }, scopes, { ...options, name: options.name ?? 'requireScopes' });
}

/**
 * A guard requiring every app role in `roles` (the Entra `roles` claim of app-only tokens). A missing role is a
 * 403 `insufficient_scope` naming the required roles in the challenge's `scope` parameter.
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1 (roles)
 */
export function roleGuard(roles: readonly string[], options: GuardOptions = {}): Guard {
  return createGuard({ code: 'ERR_INSUFFICIENT_ROLE', granted: rolesOf }, roles, { ...options, name: options.name ?? 'requireRoles' });
}
