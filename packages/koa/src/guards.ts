import type { Middleware, Next, ParameterizedContext } from 'koa';
import { ConfigurationError } from '@certbound/core';
import { failure, requireRoles as coreRequireRoles, requireScopes as coreRequireScopes } from '@certbound/core/adapter';
import type { Verifier, VerifyFailure, VerifySuccess } from '@certbound/core';
import type { CertboundState } from './certbound.js';
import { refuse } from './lib/refuse.js';
import { verifierOf } from './lib/verifier.js';

type Check = (verifier: Verifier, success: VerifySuccess, required: readonly string[]) => VerifyFailure | null;

function guard(name: string, check: Check, required: string[]): Middleware<CertboundState> {
  if (required.length === 0 || required.some((entry) => typeof entry !== 'string' || entry.length === 0 || entry.includes(' '))) {
    throw new ConfigurationError(name, `${name}() needs at least one name, each a non-empty string without spaces`);
  }
  const list = [...required];
  // Let core judge the characters now (RFC 6750 §3 scope syntax), so a bad name fails at startup, not per request.
  failure('ERR_INSUFFICIENT_SCOPE', { scope: list.join(' ') });
  const middleware = async function (ctx: ParameterizedContext<CertboundState>, next: Next): Promise<void> {
    const auth = ctx.state.auth as VerifySuccess | undefined;
    const verifier = auth === undefined ? undefined : verifierOf(auth);
    // Wiring mistake, not client input: a guard placed before certbound() must not let anything through.
    if (auth === undefined || verifier === undefined) throw new Error(`${name}() must run after certbound(): ctx.state.auth is not set`);
    const refusal = check(verifier, auth, list);
    if (refusal !== null) {
      refuse(ctx, refusal);
      return;
    }
    await next();
  };
  Object.defineProperty(middleware, 'name', { value: name });
  return middleware;
}

/** Route guard: every listed scope (`scp`/`scope`) must be granted, else 403 `insufficient_scope`. @see RFC 6750 §3.1 */
export function requireScopes(...scopes: string[]): Middleware<CertboundState> {
  return guard('requireScopes', coreRequireScopes, scopes);
}

/** Route guard: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope`. @see RFC 6750 §3.1 */
export function requireRoles(...roles: string[]): Middleware<CertboundState> {
  return guard('requireRoles', coreRequireRoles, roles);
}
