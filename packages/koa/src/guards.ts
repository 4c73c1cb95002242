import type { Middleware, Next, ParameterizedContext } from 'koa';
import { roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import type { CertboundState } from './certbound.js';
import { refuse } from './lib/refuse.js';

const WIRING = 'certbound(): ctx.state.auth is not set';

/** Core's guard as Koa middleware: refuse (403 `insufficient_scope`) or continue. */
function middlewareOf(guard: Guard): Middleware<CertboundState> {
  const middleware = async function (ctx: ParameterizedContext<CertboundState>, next: Next): Promise<void> {
    // Throws when certbound() did not run first: a wiring mistake must not let anything through.
    const refusal = guard.check(ctx.state.auth as CertboundState['auth'] | undefined);
    if (refusal !== null) {
      refuse(ctx, refusal);
      return;
    }
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
 * router.get('/orders', requireScopes('orders.read'), listOrders);
 * ```
 * @see RFC 6750 §3.1
 */
export function requireScopes(...scopes: string[]): Middleware<CertboundState> {
  return middlewareOf(scopeGuard(scopes, { wiring: WIRING }));
}

/**
 * Route guard: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope` naming them.
 * @example
 * ```ts
 * router.post('/orders', requireRoles('Orders.Write'), createOrder);
 * ```
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1
 */
export function requireRoles(...roles: string[]): Middleware<CertboundState> {
  return middlewareOf(roleGuard(roles, { wiring: WIRING }));
}
