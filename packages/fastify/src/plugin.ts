import fastifyPlugin from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { resolveVerifier, verifyRequestNow } from '@certbound/core/adapter';
import { ConfigurationError, type Verifier, type VerifierOptions, type VerifyResult, type VerifySuccess } from '@certbound/core';
import { refuse } from './lib/refuse.js';

/**
 * The authentication hook: use it as a route's `onRequest` when the plugin is registered with `global: false`.
 * Callback style, so a known answer (a repeated token) continues without a promise: `done()` on acceptance, a sent
 * reply (and no `done`) on refusal, `done(error)` only for an unexpected internal error.
 */
export type CertboundHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token (claims, header, certificate thumbprint), or null on routes certbound does not guard. */
    auth: VerifySuccess | null;
  }
  interface FastifyInstance {
    /** The authentication hook, for per-route use: `{ onRequest: fastify.certbound }`. */
    certbound: CertboundHook;
    /** The verifier the plugin uses. */
    certboundVerifier: Verifier;
  }
}

/** Options of the certbound Fastify plugin. */
export interface CertboundPluginOptions {
  /** Verifier options (validated at registration: a ConfigurationError at startup), or a verifier from `createVerifier`. */
  verifier: VerifierOptions | Verifier;
  /**
   * Add the hook to every route of the registering context (`onRequest`). Default true. With false, guard routes
   * one by one: `{ onRequest: fastify.certbound }`.
   */
  global?: boolean;
}

async function certboundPlugin(fastify: FastifyInstance, options: CertboundPluginOptions): Promise<void> {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', '@certbound/fastify: options are required');
  const { verifier, owned } = resolveVerifier(options.verifier, '@certbound/fastify option "verifier"');
  const global = options.global ?? true;
  if (typeof global !== 'boolean') throw new ConfigurationError('global', '@certbound/fastify option "global" must be a boolean');

  function decide(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, result: VerifyResult): void {
    if (!result.ok) {
      // A hook that answers sends the reply and does not call done (Fastify's rule for responding from a hook).
      refuse(reply, result);
      return;
    }
    request.auth = result;
    done();
  }
  function certbound(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const result = verifyRequestNow(verifier, request.raw);
    if (result instanceof Promise) result.then((settled) => decide(request, reply, done, settled), done);
    else decide(request, reply, done, result);
  }

  fastify.decorateRequest('auth', null);
  fastify.decorate('certbound', certbound);
  fastify.decorate('certboundVerifier', verifier);
  if (global) fastify.addHook('onRequest', certbound);
  // A verifier built from options belongs to this plugin: release its JWKS timers with the server.
  if (owned) fastify.addHook('onClose', async () => verifier.close());
}

/**
 * Fastify 5 plugin admitting requests only with a valid, certificate-bound access token (RFC 8705 §3).
 * Accepted: `request.auth` is set. Refused: the status, `WWW-Authenticate` challenge and JSON body
 * `{ error, error_description }` come from the verifier. Not encapsulated (fastify-plugin): the hook and decorators
 * belong to the context that registers it, so register it inside the plugin that holds the protected routes.
 * Options are validated at registration: a ConfigurationError at startup, never on a request.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { remoteKeys } from '@certbound/core';
 * import { certbound, requireScopes } from '@certbound/fastify';
 *
 * const app = Fastify({ https: { cert, key, requestCert: true, rejectUnauthorized: false } });
 * await app.register(async (api) => {
 *   await api.register(certbound, { verifier: { issuer, audience: 'api://orders', algorithms: ['RS256'], keys: remoteKeys({ uri: jwksUri }) } });
 *   api.get('/orders', { preHandler: requireScopes('orders.read') }, async (request) => ({ subject: request.auth?.claims.sub }));
 * });
 * ```
 * @see RFC 8705 §3; RFC 6750 §3
 */
export const certbound: FastifyPluginAsync<CertboundPluginOptions> = fastifyPlugin(certboundPlugin, { fastify: '5.x', name: '@certbound/fastify' });
