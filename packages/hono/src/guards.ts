import type { MiddlewareHandler } from 'hono';
import { roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import type { VerifySuccess } from '@certbound/core';
import type { CertboundEnv } from './certbound.js';
import { refuse } from './lib/refuse.js';

const WIRING = "certbound(): c.get('certbound') is not set";

/** Core's guard as Hono middleware: refuse (403 `insufficient_scope`) or continue. */
function middlewareOf(guard: Guard): MiddlewareHandler<CertboundEnv> {
  const middleware: MiddlewareHandler<CertboundEnv> = async function (c, next) {
    // Throws when certbound() did not run first: a wiring mistake goes to app.onError, never through.
    const refusal = guard.check(c.get('certbound') as VerifySuccess | undefined);
    if (refusal !== null) return refuse(c, refusal);
    await next();
  };
  Object.defineProperty(middleware, 'name', { value: guard.name });
  return middleware;
}

/**
 * Route guard: every listed scope (`scp`/`scope`) must be granted, else 403 `insufficient_scope` naming them.
 * Names are checked now: a ConfigurationError at startup for an empty list or a name a challenge cannot carry.
 * @example
 * ```ts
 * app.get('/orders', requireScopes('orders.read'), listOrders);
 * ```
 * @see RFC 6750 §3.1
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<CertboundEnv> {
  return middlewareOf(scopeGuard(scopes, { wiring: WIRING }));
}

/**
 * Route guard: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope` naming them.
 * @example
 * ```ts
 * app.post('/orders', requireRoles('Orders.Write'), createOrder);
 * ```
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1
 */
export function requireRoles(...roles: string[]): MiddlewareHandler<CertboundEnv> {
  return middlewareOf(roleGuard(roles, { wiring: WIRING }));
}
