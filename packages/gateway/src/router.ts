import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ResourceMetadata, VerifyFailure } from '@certbound/core';
import { failure, metadataResponse, requestInputOf } from '@certbound/core/adapter';
import type { Authorizer } from './authorize.js';
import type { GatewayMetrics, Protocol } from './metrics.js';
import { ENVOY_PATH_PREFIX } from './protocols/envoy.js';
import { nginxMalformedProtocol, nginxProtocol } from './protocols/nginx.js';
import { send, type ProtocolAdapter } from './protocols/shared.js';
import { caddyProtocol, haproxyProtocol, traefikProtocol } from './protocols/traefik.js';

/** Path of the nginx `auth_request` endpoint. */
export const NGINX_PATH = '/auth/nginx';
/** Where the example nginx config sends requests nginx itself refused as malformed (see nginxMalformedProtocol). */
export const NGINX_MALFORMED_PATH = '/auth/nginx/malformed';
/** Path of the Traefik ForwardAuth endpoint. */
export const TRAEFIK_PATH = '/auth/traefik';
export const CADDY_PATH = '/auth/caddy';
export const HAPROXY_PATH = '/auth/haproxy';

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Which protocol a request path belongs to, or null (also for the endpoint of a proxy type not served). */
export function protocolFor(url: string, envoy: ProtocolAdapter, served: ReadonlySet<Protocol>): ProtocolAdapter | null {
  const path = pathOf(url);
  let protocol: ProtocolAdapter | null = null;
  if (path === NGINX_PATH) protocol = nginxProtocol;
  else if (path === NGINX_MALFORMED_PATH) protocol = nginxMalformedProtocol;
  else if (path === TRAEFIK_PATH) protocol = traefikProtocol;
  else if (path === CADDY_PATH) protocol = caddyProtocol;
  else if (path === HAPROXY_PATH) protocol = haproxyProtocol;
  // Envoy appends the client's path to path_prefix: /auth/envoy/orders/7?x=1
  else if (path === ENVOY_PATH_PREFIX || path.startsWith(`${ENVOY_PATH_PREFIX}/`)) protocol = envoy;
  return protocol !== null && served.has(protocol.name) ? protocol : null;
}

/** Metrics reason of an auth request carrying another spelling of an identity header. */
export const IDENTITY_SPELLING_REASON = 'ERR_IDENTITY_HEADER_SPELLING';
const IDENTITY_SPELLING_DESCRIPTION = 'Identity header names with underscores are not accepted';

export interface RouterContext {
  authorizer: Authorizer;
  metrics: GatewayMetrics;
  logger: Logger;
  /** True once close() has begun: /healthz then reports 503 so load balancers stop sending. */
  isClosing(): boolean;
  /** /readyz: ready to take traffic (keys loaded, not draining), or why not. */
  readiness(): { ready: boolean; status: string };
  /** gateway.authCacheSeconds: the longest a proxy may reuse an accepted decision (0: never). */
  authCacheSeconds: number;
  /** The proxy types whose endpoints are answered (see servedProxyTypes); the others answer 404. */
  served: ReadonlySet<Protocol>;
  /** The Envoy endpoint's adapter (it carries the configured Envoy header prefix). */
  envoy: ProtocolAdapter;
  /** The header of the request that spells an identity header differently (underscores), or null. */
  identitySpelling(rawHeaders: readonly string[]): string | null;
  /** Options for refusals the gateway builds itself (the verifier's schemes and realm). */
  failureOptions: { schemes: readonly string[]; realm?: string };
  /** RFC 9728 metadata served at /.well-known/oauth-protected-resource when the config has resourceMetadata. */
  metadata?: ResourceMetadata;
}

/** Seconds a proxy may reuse an accepted decision: the configured cap, never past the token's exp (0 = not at all). */
export function cacheLifetime(capSeconds: number, expiresAt: number | undefined, nowMs: number): number {
  if (capSeconds <= 0 || expiresAt === undefined) return 0;
  return Math.max(0, Math.min(capSeconds, Math.floor(expiresAt - nowMs / 1000)));
}

function logDecision(logger: Logger, protocol: ProtocolAdapter, req: IncomingMessage, outcome: { ok: true; subject?: string | undefined; clientId?: string | undefined; thumbprint: string | null } | VerifyFailure): void {
  const peer = req.socket.remoteAddress;
  if (outcome.ok) {
    logger.debug({ protocol: protocol.name, peer, subject: outcome.subject, clientId: outcome.clientId, thumbprint: outcome.thumbprint }, 'accepted');
  } else {
    logger.info({ protocol: protocol.name, peer, status: outcome.status, code: outcome.code, error: outcome.error }, 'refused');
  }
}

/** The gateway's request listener: the authorization endpoints, /healthz (liveness), /readyz and /metrics. */
export function createRouter(context: RouterContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { authorizer, metrics, logger } = context;

  // @see RFC 6750 §3.1 invalid_request — the proxies replace identity headers by exact name only: an underscore
  // spelling would reach the upstream, where CGI-style stacks read it as the identity. Refused, as nothing the
  // gateway answers can remove a request header through nginx, Traefik, Caddy or HAProxy.
  const spellingFailure: VerifyFailure = (() => {
    const base = failure('ERR_AUTHORIZATION_MALFORMED', context.failureOptions);
    const replace = (text: string) => text.replace(base.description, IDENTITY_SPELLING_DESCRIPTION);
    return { ...base, description: IDENTITY_SPELLING_DESCRIPTION, challenge: replace(base.challenge), body: { ...base.body, error_description: IDENTITY_SPELLING_DESCRIPTION } };
  })();

  async function authorize(protocol: ProtocolAdapter, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const spelling = context.identitySpelling(req.rawHeaders);
    if (spelling !== null) {
      metrics.observeDecision(protocol.name, false, IDENTITY_SPELLING_REASON, Number(process.hrtime.bigint() - started) / 1e9);
      logger.warn({ protocol: protocol.name, peer: req.socket.remoteAddress, header: spelling }, 'refused: an identity header spelt with underscores');
      protocol.deny(res, spellingFailure);
      return;
    }
    const decision = await authorizer.authorize(requestInputOf(req, protocol.originalUrl(req)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // A proxy-refused request is a 400 whatever the verifier made of the part the proxy passed on: nginx may have
    // stopped reading headers before Authorization (a second Host), which alone would read as "no credentials".
    if (protocol.refusesAll && (decision.ok || decision.failure.status !== 400)) {
      metrics.observeDecision(protocol.name, false, 'ERR_AUTHORIZATION_MALFORMED', seconds);
      logger.info({ protocol: protocol.name, peer: req.socket.remoteAddress, status: 400 }, 'refused by the proxy as malformed');
      // The "allowed" answer of such an endpoint is its 400; no identity goes with it.
      protocol.allow(res, {});
    } else if (decision.ok) {
      metrics.observeDecision(protocol.name, true, undefined, seconds);
      logDecision(logger, protocol, req, { ok: true, subject: decision.identity.subject, clientId: decision.identity.clientId, thumbprint: decision.identity.thumbprint });
      protocol.allow(res, decision.headers, cacheLifetime(context.authCacheSeconds, decision.expiresAt, Date.now()));
    } else {
      metrics.observeDecision(protocol.name, false, decision.failure.code, seconds);
      logDecision(logger, protocol, req, decision.failure);
      protocol.deny(res, decision.failure);
    }
  }

  async function serveMetrics(res: ServerResponse): Promise<void> {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const protocol = protocolFor(url, context.envoy, context.served);
    if (protocol !== null) return authorize(protocol, req, res);
    const path = pathOf(url);
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/healthz' && readOnly) {
      const closing = context.isClosing();
      return send(res, closing ? 503 : 200, {}, JSON.stringify({ status: closing ? 'closing' : 'ok' }));
    }
    if (path === '/readyz' && readOnly) {
      const { ready, status } = context.readiness();
      return send(res, ready ? 200 : 503, {}, JSON.stringify({ status }));
    }
    if (path === '/metrics' && readOnly) return serveMetrics(res);
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') return send(res, 405, { allow: 'GET, HEAD' }, JSON.stringify({ error: 'method_not_allowed' }));
    const metadata = context.metadata === undefined ? null : metadataResponse(context.metadata, req.method ?? 'GET', path);
    if (metadata !== null) return send(res, metadata.status, metadata.headers, metadata.body);
    return send(res, 404, {}, JSON.stringify({ error: 'not_found' }));
  }

  return (req, res) => {
    // Authorization requests carry no body the gateway needs (nginx and Traefik send none; Envoy only on request).
    req.resume();
    route(req, res).catch((error: unknown) => {
      // Not reachable through client input (the verifier returns results); kept so a defect fails closed and visibly.
      logger.error({ err: error }, 'request handling failed');
      if (!res.headersSent) send(res, 500, {}, JSON.stringify({ error: 'server_error' }));
      else res.destroy();
    });
  };
}
