import Fastify, { type FastifyHttpsOptions, type FastifyInstance } from 'fastify';
import type { Server } from 'node:https';
import type { CertboundConfig, Verifier } from '@certbound/core';
import { certbound, protectedResourceMetadata, requireRoles, requireScopes } from '@certbound/fastify';
import { readiness } from '@certbound-examples/shared/health';
import { identityOf } from '@certbound-examples/shared/identity';
import { answerClientError, SERVER_LIMITS, type ServerLimits } from '@certbound-examples/shared/listen';

/**
 * The protected API as a Fastify application: `GET /healthz` (liveness) and `GET /readyz` (keys loaded) are open;
 * `/whoami` lives in an encapsulated context
 * where the certbound plugin's hook guards every route and method, followed by the configured scope and role
 * guards, then answers GET.
 */
export function createApp(config: Pick<CertboundConfig, 'requiredScopes' | 'requiredRoles' | 'resourceMetadata' | 'tls'>, verifier: Verifier, limits: ServerLimits = SERVER_LIMITS): FastifyInstance {
  const https: FastifyHttpsOptions<Server>['https'] | undefined = config.tls
    ? {
        cert: config.tls.cert,
        key: config.tls.key,
        ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
        // Always ask for a certificate: the token binding needs it (RFC 8705 §3). Whether its chain must verify
        // is the operator's choice; RFC 8705 §6.2 allows self-signed client certificates.
        requestCert: true,
        rejectUnauthorized: config.tls.verifyClientCertificate,
        // Fastify hands these to node:https: header size and header timeout as the other examples and the gateway.
        maxHeaderSize: limits.maxHeaderSize,
        headersTimeout: limits.headersTimeout,
        connectionsCheckingInterval: limits.connectionsCheckingInterval,
      }
    : undefined;
  const fastifyLimits = { requestTimeout: limits.requestTimeout, keepAliveTimeout: limits.keepAliveTimeout, clientErrorHandler: answerClientError };
  const app: FastifyInstance = https
    ? Fastify({ https, ...fastifyLimits })
    : Fastify({ http: { maxHeaderSize: limits.maxHeaderSize, headersTimeout: limits.headersTimeout, connectionsCheckingInterval: limits.connectionsCheckingInterval }, ...fastifyLimits });
  app.get('/healthz', async () => ({ status: 'ok' }));
  if (config.resourceMetadata !== undefined) protectedResourceMetadata(app, config.resourceMetadata);
  app.get('/readyz', async (_request, reply) => {
    const { status, body } = readiness(verifier);
    return reply.code(status).send(body);
  });
  void app.register(async function protectedRoutes(api) {
    await api.register(certbound, { verifier });
    const guards = [
      ...(config.requiredScopes.length > 0 ? [requireScopes(...config.requiredScopes)] : []),
      ...(config.requiredRoles.length > 0 ? [requireRoles(...config.requiredRoles)] : []),
    ];
    api.route({
      method: ['GET', 'HEAD'],
      url: '/whoami',
      preHandler: guards,
      handler: async (request) => {
        // The plugin's hook ran for this context, so request.auth is set; the check keeps the types honest.
        if (request.auth === null) throw new Error('unreachable: /whoami without request.auth');
        return identityOf(request.auth);
      },
    });
    api.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/whoami',
      preHandler: guards,
      handler: async (_request, reply) => reply.code(405).header('allow', 'GET, HEAD').send(),
    });
  });
  return app;
}
