import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LevelWithSilent, Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigurationError, createVerifier, type HeaderCertificateSource, resourceMetadata, verifierOptionsFromConfig, type Verifier, type VerifierEvent, type VerifierOptions } from '@certbound/core';
import type { GatewayConfig } from './load-gateway-config.js';
import { createAuthorizer } from './authorize.js';
import { identityHeaderList, resolveIdentityHeaderNames, type IdentityHeaderNames } from './identity.js';
import { createDefaultLogger, isLogLevel } from './logger.js';
import { createGatewayMetrics } from './metrics.js';
import { createRouter } from './router.js';
import { createEnvoyProtocol } from './protocols/envoy.js';
import { DEFAULT_ENVOY_HEADER_PREFIX, identitySpellingCheck, servedProxyTypes } from './proxies.js';

/** Options of {@link startGateway}, beside the configuration file. */
export interface StartGatewayOptions {
  /** Identity header names; override the config file's `gateway.identityHeaders`. Default `x-certbound-*`. */
  identityHeaders?: Partial<IdentityHeaderNames>;
  /** A pino logger to use. Default: a new one writing JSON lines to stderr at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger (ignored with `logger`). Default "info"; tests use "silent". */
  logLevel?: LevelWithSilent;
  /** Export Node.js process metrics (heap, event loop, GC) on /metrics. Default true. */
  processMetrics?: boolean;
  /** Largest request header section accepted, in bytes. Default 65536 (a long token plus a certificate header). */
  maxHeaderBytes?: number;
  /** How long `close()` lets in-flight requests finish before cutting connections, in ms. Default 500. */
  shutdownGraceMs?: number;
  /**
   * How long `shutdown()` (the CLI's SIGTERM) answers /readyz 503 while still serving, before it closes the listener,
   * so load balancers stop sending first, in ms. Default: the config's `gateway.drainMs`, else 2000.
   */
  drainMs?: number;
  /** Verifier options that override those derived from the config (e.g. `currentTime` in tests). Default none. */
  verifierOptions?: Partial<Omit<VerifierOptions, 'certificateSource'>>;
}

/** A running gateway. */
export interface Gateway {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** The verifier every endpoint shares. */
  readonly verifier: Verifier;
  /** The Prometheus registry behind /metrics. */
  readonly metrics: Registry;
  readonly server: Server;
  /** Stop accepting, let in-flight requests finish (up to `shutdownGraceMs`), close the verifier. Idempotent. */
  close(): Promise<void>;
  /** The drain period of `shutdown()`, in ms. */
  readonly drainMs: number;
  /** Drain, then close: /readyz answers 503 for `drainMs` while requests are still served. Idempotent. */
  shutdown(): Promise<void>;
}

/** How long an idle keep-alive connection from the proxy stays open; the proxy's own idle timeout must be shorter. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigurationError(field, `${field} must be a non-negative integer`);
  return value;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return host === '::' ? '[::1]' : '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Start the authorization service described by a configuration file (docs/configuration.md): nginx `auth_request` at `/auth/nginx`, Envoy
 * `ext_authz` (HTTP service) under `/auth/envoy`, Traefik ForwardAuth at `/auth/traefik`, plus `/healthz` and
 * `/metrics`. The config's certificate source must be a header source with trusted proxies: the gateway sees the
 * client certificate only as the proxy forwards it. Configuration mistakes are a ConfigurationError naming the field.
 * @example
 * ```ts
 * import { loadGatewayConfig, startGateway } from '@certbound/gateway';
 *
 * const gateway = await startGateway(await loadGatewayConfig('certbound.json'));
 * console.log(`nginx auth_request → ${gateway.url}/auth/nginx`);
 * process.once('SIGTERM', () => void gateway.close());
 * ```
 */
export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<Gateway> {
  const source = config.certificateSource;
  if (source?.type !== 'header') {
    // The gateway's peer is the proxy: a TLS source would read the proxy's certificate, never the client's.
    throw new ConfigurationError('certificateSource.type', 'certbound gateway: certificateSource.type must be "header" (with the proxy in trustedProxies)');
  }
  if (options.logLevel !== undefined && !isLogLevel(options.logLevel)) throw new ConfigurationError('logLevel', 'logLevel must be one of fatal, error, warn, info, debug, trace, silent');
  const identityHeaders = resolveIdentityHeaderNames({ ...config.gateway?.identityHeaders, ...options.identityHeaders });
  const maxHeaderSize = positiveInteger(options.maxHeaderBytes, 65_536, 'maxHeaderBytes');
  const graceMs = positiveInteger(options.shutdownGraceMs, 500, 'shutdownGraceMs');
  const drainMs = positiveInteger(options.drainMs ?? config.gateway?.drainMs, 2000, 'drainMs');
  const logger = options.logger ?? createDefaultLogger(options.logLevel ?? 'info');
  const metrics = createGatewayMetrics(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics });

  const base = verifierOptionsFromConfig(config);
  // The certificate format belongs to a proxy type: endpoints of proxies that do not manage that header stay closed.
  const headerName = (base.certificateSource as HeaderCertificateSource).header;
  const served = servedProxyTypes(source.format, headerName, config.gateway?.proxy);
  // One log line per JWKS state change (loaded, or failing for another reason), never one per request or attempt.
  let jwksState: string | undefined;
  const logJwksState = (event: VerifierEvent): void => {
    const failure = event.jwksFailure;
    const state = failure === undefined ? `ok ${event.keyCount ?? 0}` : `failed ${failure.cause} ${failure.detail}`;
    if (state === jwksState) return;
    jwksState = state;
    if (failure === undefined) logger.info({ keyCount: event.keyCount }, 'JWKS keys loaded');
    else logger.warn({ cause: failure.cause, detail: failure.detail, keyCount: event.keyCount }, 'JWKS refresh failed');
  };
  const userOnEvent = options.verifierOptions?.onEvent;
  const verifier = createVerifier({
    ...base,
    ...options.verifierOptions,
    onEvent(event: VerifierEvent) {
      if (event.type === 'untrusted-proxy-header') {
        metrics.countUntrustedHeader();
        // @see docs/security.md rule 7 — worth a warning: either a misconfigured proxy list or somebody probing.
        logger.warn({ peer: event.remoteAddress }, 'certificate header from an untrusted peer ignored');
      } else if (event.type === 'jwks-refresh') {
        metrics.countJwksRefresh(event.ok === true, event.jwksFailure?.cause);
        logJwksState(event);
      } else if (event.type === 'report-only') {
        logger.warn({ code: event.code, subject: event.subject, thumbprint: event.thumbprint }, 'report-only: binding policy "required" would refuse this request');
      }
      userOnEvent?.(event);
    },
  });

  let closing = false;
  let draining = false;
  function readiness(): { ready: boolean; status: string } {
    if (closing || draining) return { ready: false, status: 'draining' };
    // Reading the state starts the first JWKS load: a probe makes the gateway ready before any request.
    const state = verifier.state();
    if (state.ready) return { ready: true, status: 'ready' };
    return { ready: false, status: state.lastError === null ? 'keys not loaded yet' : `JWKS ${state.lastError.cause} failure` };
  }
  const authorizer = createAuthorizer({ verifier, identityHeaders, requiredScopes: config.requiredScopes, requiredRoles: config.requiredRoles, logger });
  const realm = verifier.options.realm;
  const listener = createRouter({
    authorizer,
    metrics,
    logger,
    isClosing: () => closing,
    readiness,
    authCacheSeconds: config.gateway?.authCacheSeconds ?? 0,
    served,
    envoy: createEnvoyProtocol(config.gateway?.envoyHeaderPrefix ?? DEFAULT_ENVOY_HEADER_PREFIX),
    identitySpelling: identitySpellingCheck(identityHeaderList(identityHeaders)),
    failureOptions: { schemes: verifier.options.schemes, ...(realm === undefined ? {} : { realm }) },
    ...(config.resourceMetadata === undefined ? {} : { metadata: resourceMetadata(config.resourceMetadata) }),
  });
  // Timeouts are checked every second: Node's default check every 30 s would let slow clients hold on far longer.
  const serverOptions = { maxHeaderSize, headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
  const tls = config.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          ...serverOptions,
          cert: tls.cert,
          key: tls.key,
          // Over TLS the gateway's client is the proxy; verifyClientCertificate makes it prove who it is.
          requestCert: tls.verifyClientCertificate,
          rejectUnauthorized: tls.verifyClientCertificate,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        },
        listener,
      )
    : createHttpServer(serverOptions, listener);
  // Malformed HTTP (including a header section over maxHeaderBytes) is left to Node's own handling: 400 or 431,
  // then the socket is closed; nothing reaches the process as an exception.

  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
  } catch (error) {
    await verifier.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${urlHost(config.listen.host)}:${port}`;
  logger.info({ url, proxies: [...served], certificateSource: { format: source.format, header: headerName, trustedProxies: source.trustedProxies } }, 'gateway listening');

  let closed: Promise<void> | undefined;
  let shutting: Promise<void> | undefined;
  const gateway: Gateway = {
    url,
    port,
    drainMs,
    verifier,
    metrics: metrics.registry,
    server,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
        server.closeIdleConnections();
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        cut.unref();
        await stopped;
        clearTimeout(cut);
        await verifier.close();
        logger.info('gateway stopped');
      })();
      return closed;
    },
    shutdown() {
      shutting ??= (async () => {
        draining = true;
        logger.info({ drainMs }, 'draining: /readyz answers 503');
        await new Promise((resolvePromise) => setTimeout(resolvePromise, drainMs));
        await gateway.close();
      })();
      return shutting;
    },
  };
  return gateway;
}
