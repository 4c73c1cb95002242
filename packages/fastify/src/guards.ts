import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import type { CertboundHook } from './plugin.js';
import { refuse } from './lib/refuse.js';

const WIRING = 'the certbound hook: request.auth is not set';

/** Core's guard as a Fastify hook: refuse (403 `insufficient_scope`) or continue. */
function hookOf(guard: Guard): CertboundHook {
  const hook = async function (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // Throws when the certbound hook did not run first: a wiring mistake must not let anything through.
    const refusal = guard.check(request.auth);
    return refusal === null ? undefined : refuse(reply, refusal);
  };
  Object.defineProperty(hook, 'name', { value: guard.name });
  return hook;
}

/**
 * Route hook (`preHandler`, or `onRequest` after the certbound hook): every listed scope (`scp`/`scope`) must be
 * granted, else 403 `insufficient_scope`. Names are checked now (a ConfigurationError at startup).
 * @example
 * ```ts
 * api.get('/orders', { preHandler: requireScopes('orders.read') }, listOrders);
 * ```
 * @see RFC 6750 §3.1
 */
export function requireScopes(...scopes: string[]): CertboundHook {
  return hookOf(scopeGuard(scopes, { wiring: WIRING }));
}

/**
 * Route hook: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope`.
 * @example
 * ```ts
 * api.post('/orders', { preHandler: requireRoles('Orders.Write') }, createOrder);
 * ```
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1
 */
export function requireRoles(...roles: string[]): CertboundHook {
  return hookOf(roleGuard(roles, { wiring: WIRING }));
}
