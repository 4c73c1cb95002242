import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import { refuse } from './lib/refuse.js';

const WIRING = 'certbound(): req.auth is not set';

/** Core's guard as Express middleware: refuse (403 `insufficient_scope`), continue, or `next(err)` on a wiring mistake. */
function handlerOf(guard: Guard): RequestHandler {
  const handler = function (req: Request, res: Response, next: NextFunction): void {
    let refusal;
    try {
      refusal = guard.check(req.auth);
    } catch (error) {
      // certbound() did not run first: a wiring mistake goes to the error handler, never through.
      next(error);
      return;
    }
    if (refusal !== null) {
      refuse(res, refusal);
      return;
    }
    next();
  };
  Object.defineProperty(handler, 'name', { value: guard.name });
  return handler;
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
export function requireScopes(...scopes: string[]): RequestHandler {
  return handlerOf(scopeGuard(scopes, { wiring: WIRING }));
}

/**
 * Route guard: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope` naming them.
 * @example
 * ```ts
 * app.post('/orders', requireRoles('Orders.Write'), createOrder);
 * ```
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1
 */
export function requireRoles(...roles: string[]): RequestHandler {
  return handlerOf(roleGuard(roles, { wiring: WIRING }));
}
