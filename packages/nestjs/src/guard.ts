import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigurationError, type Verifier, type VerifyFailure, type VerifyResult, type VerifySuccess } from '@certbound/core';
import type { Guard } from '@certbound/core/adapter';
import { sendRefusal, verifyPlatformRequest } from './lib/platform.js';
import { isPublic, requirementsOf } from './lib/requirements.js';
import { CERTBOUND_VERIFIER } from './tokens.js';

// Verified requests, keyed by the platform's request object: read by @CertboundAuth() and authOf(), and by a second
// CertboundGuard on the same request (global and per route), which then does not verify again.
const accepted = new WeakMap<object, VerifySuccess>();

/**
 * The verified token of a request CertboundGuard admitted, or undefined. For interceptors, middleware after the
 * guard and other code that has the platform's request (`context.switchToHttp().getRequest()`).
 */
export function authOf(request: object): VerifySuccess | undefined {
  return accepted.get(request);
}

/**
 * Stop the request after its refusal was written. A guard that returns false or throws hands the request to Nest's
 * exception filters, and an application's filter could rewrite the answer; a promise that never settles runs neither
 * the handler nor a filter. It is a fresh promise per refusal, referenced by nothing once the request is over, so
 * it is collected with it.
 */
function halt(response: object, failure: VerifyFailure): Promise<boolean> {
  sendRefusal(response, failure);
  return new Promise<boolean>(() => undefined);
}

/**
 * Nest guard admitting a request only with a valid, certificate-bound access token (RFC 8705 §3), then checking the
 * route's `@RequireScopes()` / `@RequireRoles()`. Refused: core's RFC 6750 answer (status, `WWW-Authenticate`,
 * `Retry-After`, JSON body), written straight to the platform's response so no exception filter sees or changes it.
 * Use it globally (`{ provide: APP_GUARD, useClass: CertboundGuard }`, with `@Public()` to open a route) or per
 * controller or route (`@UseGuards(CertboundGuard)`); it needs `CertboundModule.forRoot()` or `forRootAsync()`.
 * @see RFC 8705 §3; RFC 6750 §3
 */
export class CertboundGuard implements CanActivate {
  constructor(private readonly verifier: Verifier) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new ConfigurationError('CertboundGuard', `CertboundGuard guards HTTP routes only; it ran in a "${context.getType()}" context: apply it to HTTP controllers`);
    }
    const controller = context.getClass();
    const handler = context.getHandler();
    const required = requirementsOf(controller, handler);
    // A route that requires scopes or roles is never open: @Public() only opens routes without requirements.
    if (required.length === 0 && isPublic(controller, handler)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    const response = http.getResponse<object>();
    const known = accepted.get(request);
    if (known !== undefined) return this.authorize(known, required, response);
    const result = this.verify(request);
    // A known answer (a repeated token) is decided now: Nest takes a boolean from canActivate without a promise.
    return result instanceof Promise ? result.then((settled) => this.decide(request, response, required, settled)) : this.decide(request, response, required, result);
  }

  /** The one place a request is verified: the result directly when it is known at once, else a promise. */
  private verify(request: object): VerifyResult | Promise<VerifyResult> {
    return verifyPlatformRequest(this.verifier, request);
  }

  private decide(request: object, response: object, required: readonly Guard[], result: VerifyResult): boolean | Promise<boolean> {
    if (!result.ok) return halt(response, result);
    accepted.set(request, result);
    return this.authorize(result, required, response);
  }

  /** Core's scope and role guards, in order; the first refusal (403 `insufficient_scope`) is sent. */
  private authorize(auth: VerifySuccess, required: readonly Guard[], response: object): boolean | Promise<boolean> {
    for (const guard of required) {
      const refusal = guard.check(auth);
      if (refusal !== null) return halt(response, refusal);
    }
    return true;
  }
}

// Applied as calls, not decorator syntax: the package then runs the same under tsc, esbuild, tsx and vitest,
// whatever their decorator settings, and never relies on emitted type metadata.
Injectable()(CertboundGuard);
Inject(CERTBOUND_VERIFIER)(CertboundGuard, undefined, 0);
