import { UseGuards, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { CertboundError, ConfigurationError } from '@certbound/core';
import { roleGuard, scopeGuard, type Guard } from '@certbound/core/adapter';
import { CertboundGuard, authOf } from './guard.js';
import { addRequirement, markPublic } from './lib/requirements.js';

/** A decorator for a controller class or a route handler. */
export type CertboundDecorator = ClassDecorator & MethodDecorator;

const WIRING = 'CertboundGuard';

/** The function Nest calls for a route (a method's descriptor value) or the controller class. */
function targetOf(target: object, descriptor: PropertyDescriptor | undefined): object {
  return descriptor === undefined ? target : (descriptor.value as object);
}

function requirement(guard: Guard): CertboundDecorator {
  // The guard comes with the requirement: a route with @RequireScopes() is verified even where no CertboundGuard was
  // applied, so a forgotten @UseGuards() cannot leave it open. A global guard on the same request verifies once.
  const useGuard = UseGuards(CertboundGuard);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    addRequirement(targetOf(target, descriptor), guard);
    if (descriptor === undefined) (useGuard as ClassDecorator)(target as never);
    else (useGuard as MethodDecorator)(target, key!, descriptor);
  }) as CertboundDecorator;
}

/**
 * Every listed scope (`scp`/`scope`) must be granted, else core's 403 `insufficient_scope` naming them. On a
 * controller it applies to each route; with one on the route too, both must pass. Names are checked now: a
 * ConfigurationError at startup for an empty list or a name a challenge cannot carry.
 * @example
 * ```ts
 * @Get('orders') @RequireScopes('orders.read') list() { … }
 * ```
 * @see RFC 6750 §3.1
 */
export function RequireScopes(...scopes: string[]): CertboundDecorator {
  return requirement(scopeGuard(scopes, { name: 'RequireScopes', wiring: WIRING }));
}

/**
 * Every listed app role (Entra `roles`) must be granted, else core's 403 `insufficient_scope` naming them.
 * @see RFC 6750 §3.1; RFC 9068 §2.2.3.1
 */
export function RequireRoles(...roles: string[]): CertboundDecorator {
  return requirement(roleGuard(roles, { name: 'RequireRoles', wiring: WIRING }));
}

/**
 * Open a route (or every route of a controller) under a global CertboundGuard: no token is asked for. A route that
 * also carries `@RequireScopes()` or `@RequireRoles()` stays protected.
 */
export function Public(): CertboundDecorator {
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    markPublic(targetOf(target, descriptor));
  }) as CertboundDecorator;
}

const PROPERTIES = ['claims', 'header', 'thumbprint', 'scheme', 'token'] as const;

/** The parts of a verified token `@CertboundAuth(property)` can select. */
export type CertboundAuthProperty = (typeof PROPERTIES)[number];

const authParameter = createParamDecorator((property: CertboundAuthProperty | undefined, context: ExecutionContext) => {
  const auth = authOf(context.switchToHttp().getRequest<object>());
  if (auth === undefined) {
    // A wiring mistake, never an anonymous identity: the route has no CertboundGuard, or it is @Public().
    throw new CertboundError('ERR_GUARD_WITHOUT_AUTH', '@CertboundAuth() must be used on a route CertboundGuard verified: apply the guard (globally or with @UseGuards) and do not mark the route @Public()');
  }
  return property === undefined ? auth : auth[property];
});

/**
 * Parameter decorator: the verified token (core's VerifySuccess: claims, JOSE header, certificate thumbprint,
 * scheme, token), or one property of it: `@CertboundAuth('claims') claims: JwtClaims`.
 */
export function CertboundAuth(property?: CertboundAuthProperty): ParameterDecorator {
  if (property !== undefined && !PROPERTIES.includes(property)) {
    throw new ConfigurationError('CertboundAuth', `@CertboundAuth() selects one of ${PROPERTIES.join(', ')}; got ${String(property)}`);
  }
  return authParameter(property);
}

