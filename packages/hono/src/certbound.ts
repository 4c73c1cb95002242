import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { failure, resolveVerifier, verifyRequestNow } from '@certbound/core/adapter';
import type { Verifier, VerifierOptions, VerifyFailure, VerifyResult, VerifySuccess } from '@certbound/core';
import { refuse } from './lib/refuse.js';

/** The context variables the middleware sets: `c.get('certbound')` is the verified token. */
export interface CertboundVariables {
  /** The verified token: claims, JOSE header, the request's certificate thumbprint, scheme and raw token. */
  certbound: VerifySuccess;
}

/** The Hono environment of a route behind the middleware: `new Hono<CertboundEnv>()` types `c.get('certbound')`. */
export interface CertboundEnv {
  Variables: CertboundVariables;
}

/** The middleware, carrying the verifier it uses (close it on shutdown when the middleware created it). */
export type CertboundMiddleware = MiddlewareHandler<CertboundEnv> & {
  /** The verifier in use: the one passed in, or the one created from the options. */
  readonly verifier: Verifier;
};

/**
 * The Node request behind a Hono context: `@hono/node-server` passes `{ incoming, outgoing }` as the environment.
 * Null on any other runtime (Bun, Deno, workers), where no TLS socket, raw headers or peer address reach Hono.
 */
function nodeRequestOf(c: Context): IncomingMessage | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (typeof incoming !== 'object' || incoming === null) return null;
  const candidate = incoming as Partial<IncomingMessage>;
  if (typeof candidate.headers !== 'object' || candidate.headers === null || !Array.isArray(candidate.rawHeaders)) return null;
  if (typeof candidate.socket !== 'object' || candidate.socket === null) return null;
  return incoming as IncomingMessage;
}

/**
 * Hono 4 middleware, on `@hono/node-server`, that admits a request only with a valid, certificate-bound access token
 * (RFC 8705 §3). Accepted: `c.get('certbound')` is set and the next handler runs. Refused: the response carries the
 * verifier's status, `WWW-Authenticate` challenge and JSON body `{ error, error_description }`, and the chain stops.
 * The refusal is returned, not thrown, so `app.onError` never sees or rewrites it.
 *
 * Without a Node request (Hono on another runtime) there is no client certificate to bind to: every request gets
 * core's "could not be verified" 401, never a 500 and never acceptance.
 *
 * @param optionsOrVerifier verifier options (validated now: a ConfigurationError at startup, never on a request),
 *   or a verifier from `createVerifier` to share one cache between several middleware.
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { remoteKeys } from '@certbound/core';
 * import { certbound, requireScopes, type CertboundEnv } from '@certbound/hono';
 *
 * const app = new Hono<CertboundEnv>();
 * app.use(certbound({ issuer, audience: 'api://orders', algorithms: ['RS256'], keys: remoteKeys({ uri: jwksUri }) }));
 * app.get('/orders', requireScopes('orders.read'), (c) => c.json({ subject: c.get('certbound').claims.sub }));
 * ```
 * @see RFC 8705 §3; RFC 6750 §3
 */
export function certbound(optionsOrVerifier: VerifierOptions | Verifier): CertboundMiddleware {
  const { verifier } = resolveVerifier(optionsOrVerifier, 'certbound()');
  const { schemes, realm, resourceMetadata } = verifier.options;
  // Built now, so a verifier whose challenge options cannot be spelled fails at startup, not on a request.
  const noNodeRequest: VerifyFailure = failure('ERR_VERIFICATION_FAILED', {
    schemes,
    ...(realm === undefined ? {} : { realm }),
    ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
  });

  /**
   * The one verify call, on the Node request itself (headers, raw headers, TLS socket, peer address, URL): the
   * result directly when it is known at once (a repeated token), a promise only when keys must be fetched.
   */
  function verify(c: Context): VerifyResult | Promise<VerifyResult> {
    const incoming = nodeRequestOf(c);
    if (incoming === null) return noNodeRequest;
    return verifyRequestNow(verifier, incoming);
  }

  function decide(c: Context<CertboundEnv>, next: Next, result: VerifyResult): Promise<Response | void> {
    if (!result.ok) return Promise.resolve(refuse(c, result));
    c.set('certbound', result);
    return next();
  }

  const middleware: MiddlewareHandler<CertboundEnv> = function certbound(c, next) {
    const result = verify(c);
    return result instanceof Promise ? result.then((settled) => decide(c, next, settled)) : decide(c, next, result);
  };
  return Object.assign(middleware, { verifier });
}
