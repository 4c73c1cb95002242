import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { resolveVerifier, verifyRequestNow } from '@certbound/core/adapter';
import type { Verifier, VerifierOptions, VerifyResult, VerifySuccess } from '@certbound/core';
import { refuse } from './lib/refuse.js';

declare global {
  // Express's own extension point for request properties is this global namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by certbound(): the verified token, its claims and the request's certificate thumbprint. */
      auth?: VerifySuccess;
    }
  }
}

/** The middleware, carrying the verifier it uses (close it on shutdown when the middleware created it). */
export type CertboundHandler = RequestHandler & {
  /** The verifier in use: the one passed in, or the one created from the options. */
  readonly verifier: Verifier;
};

/**
 * Express 4/5 middleware that admits a request only with a valid, certificate-bound access token (RFC 8705 §3).
 * Accepted: `req.auth` is set and `next()` runs. Refused: the status, `WWW-Authenticate` challenge and JSON body
 * `{ error, error_description }` come from the verifier. An unexpected internal error goes to `next(err)`.
 *
 * @param optionsOrVerifier verifier options (validated now: a ConfigurationError at startup, never on a request),
 *   or a verifier from `createVerifier` to share one cache between several middleware.
 * @example
 * ```ts
 * import express from 'express';
 * import { remoteKeys } from '@certbound/core';
 * import { certbound, requireScopes } from '@certbound/express';
 *
 * const app = express();
 * app.use(certbound({ issuer, audience: 'api://orders', algorithms: ['RS256'], keys: remoteKeys({ uri: jwksUri }) }));
 * app.get('/orders', requireScopes('orders.read'), (req, res) => res.json({ subject: req.auth?.claims.sub }));
 * ```
 * @see RFC 8705 §3; RFC 6750 §3
 */
export function certbound(optionsOrVerifier: VerifierOptions | Verifier): CertboundHandler {
  const { verifier } = resolveVerifier(optionsOrVerifier, 'certbound()');
  function decide(req: Request, res: Response, next: NextFunction, result: VerifyResult): void {
    if (!result.ok) {
      refuse(res, result);
      return;
    }
    req.auth = result;
    next();
  }
  function certbound(req: Request, res: Response, next: NextFunction): void {
    // Routers rewrite req.url below their mount point; originalUrl keeps the query string the check needs.
    const result = verifyRequestNow(verifier, req, req.originalUrl);
    // A known answer continues synchronously. Otherwise two callbacks, not then().catch(): an error thrown after
    // next() must not call next a second time.
    if (result instanceof Promise) result.then((settled) => decide(req, res, next, settled), next);
    else decide(req, res, next, result);
  }
  return Object.assign(certbound, { verifier });
}
