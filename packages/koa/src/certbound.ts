import type { Middleware, Next, ParameterizedContext } from 'koa';
import { resolveVerifier, verifyRequestNow } from '@certbound/core/adapter';
import type { Verifier, VerifierOptions, VerifyResult, VerifySuccess } from '@certbound/core';
import { refuse } from './lib/refuse.js';

/** What the middleware adds to `ctx.state`. */
export interface CertboundState {
  /** The verified token: claims, JOSE header, the request's certificate thumbprint, scheme and raw token. */
  auth: VerifySuccess;
}

/** The middleware, carrying the verifier it uses (close it on shutdown when the middleware created it). */
export type CertboundMiddleware = Middleware<CertboundState> & {
  /** The verifier in use: the one passed in, or the one created from the options. */
  readonly verifier: Verifier;
};

/**
 * Koa middleware that admits a request only with a valid, certificate-bound access token (RFC 8705 §3).
 * Accepted: `ctx.state.auth` is set and the next middleware runs. Refused: the status, `WWW-Authenticate`
 * challenge and JSON body `{ error, error_description }` come from the verifier, and the chain stops.
 *
 * @param optionsOrVerifier verifier options (validated now: a ConfigurationError at startup, never on a request),
 *   or a verifier from `createVerifier` to share one cache between several middleware.
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { remoteKeys } from '@certbound/core';
 * import { certbound, requireScopes, type CertboundState } from '@certbound/koa';
 *
 * const app = new Koa<CertboundState>();
 * app.use(certbound({ issuer, audience: 'api://orders', algorithms: ['RS256'], keys: remoteKeys({ uri: jwksUri }) }));
 * app.use(requireScopes('orders.read'));
 * app.use((ctx) => { ctx.body = { subject: ctx.state.auth.claims.sub }; });
 * ```
 * @see RFC 8705 §3; RFC 6750 §3
 */
export function certbound(optionsOrVerifier: VerifierOptions | Verifier): CertboundMiddleware {
  const { verifier } = resolveVerifier(optionsOrVerifier, 'certbound()');
  function decide(ctx: ParameterizedContext<CertboundState>, next: Next, result: VerifyResult): Promise<unknown> | undefined {
    if (!result.ok) {
      refuse(ctx, result);
      return undefined;
    }
    ctx.state.auth = result;
    return next();
  }
  // Not async: a known answer (a repeated token) goes straight on to next() without a promise of its own; Koa's
  // compose wraps whatever a middleware returns.
  function certbound(ctx: ParameterizedContext<CertboundState>, next: Next): Promise<unknown> | undefined {
    const result = verifyRequestNow(verifier, ctx.req);
    return result instanceof Promise ? result.then((settled) => decide(ctx, next, settled)) : decide(ctx, next, result);
  }
  return Object.assign(certbound, { verifier });
}
