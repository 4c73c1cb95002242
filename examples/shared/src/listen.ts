/**
 * The listen-and-close part the example APIs share: one verifier per server from the docs/configuration.md config, a loopback
 * or configured listener (HTTPS asking for a client certificate when the config has `tls`), and a close that lets
 * in-flight requests finish for a short grace before cutting their connections.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createVerifier, verifierOptionsFromConfig } from '@certbound/core';
import type { CertboundConfig, Verifier, VerifierOptions } from '@certbound/core';
import { jwksStateLogger, type LogWriter } from './health.js';

export interface StartServerOptions {
  /** Verifier options laid over the config's (e.g. `onEvent`, `currentTime`, `cache`). Default none. */
  verifierOptions?: Partial<VerifierOptions>;
  /** Where JWKS state changes are logged, one JSON line each. Default stderr. */
  log?: LogWriter;
  /** Node server limits laid over {@link SERVER_LIMITS} (tests shorten the timeouts). Default none. */
  limits?: Partial<ServerLimits>;
}

export interface ServerLimits {
  maxHeaderSize: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
}

/**
 * Node server limits, the same as the gateway's: a client gets 10 s to send its headers and 15 s for the whole
 * request (Node's own header timeout is 60 s); idle keep-alive connections close after 65 s. The header section may
 * be 64 KiB, above the verifier's own limits (8192-character token, 16 KiB certificate header), so an oversized
 * token gets the verifier's 400 `invalid_request`, and only a header section over 64 KiB gets a bare 431. Timeouts
 * are checked every second (Node's default is every 30 s, which would let a slow client hold on far longer).
 */
export const SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxHeaderSize: 65_536,
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1000,
});

/** The limits a server runs with: {@link SERVER_LIMITS} with `options.limits` laid over them. */
export function serverLimits(options: StartServerOptions): ServerLimits {
  return { ...SERVER_LIMITS, ...options.limits };
}

export interface RunningServer {
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  /** Stop accepting connections, finish or drop the open ones, release the verifier. */
  close(): Promise<void>;
}

/** How long a connection refused at the HTTP level may linger half-closed before it is cut. */
const REFUSED_LINGER_MS = 1000;

/**
 * Answer an HTTP-level refusal (header section over `maxHeaderSize`: 431, header or request timeout: 408, anything
 * else: 400) and half-close. Node's own handler writes the answer and destroys the socket at once: over TLS, with
 * request bytes still unread, the client then gets a reset instead of the 431. Ending first lets the answer arrive;
 * the socket is cut after a short linger either way.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

/** How long in-flight requests get to finish on close before their connections are cut. */
export const CLOSE_GRACE_MS = 500;

/** The verifier an example API uses: the config's options with `options.verifierOptions` laid over them. */
export function configuredVerifier(config: CertboundConfig, options: StartServerOptions): Verifier {
  const logJwks = jwksStateLogger('certbound', options.log);
  const userOnEvent = options.verifierOptions?.onEvent;
  return createVerifier({
    ...verifierOptionsFromConfig(config),
    ...options.verifierOptions,
    onEvent(event) {
      logJwks(event);
      userOnEvent?.(event);
    },
  });
}

/** Base URL of a listening server, with an IPv6 host in brackets. */
export function urlOf(server: Server, tls: boolean): string {
  const { address, port } = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * Serve `handlerFor(verifier)` on a node:http or node:https server as the config says (the Koa, Express and NestJS
 * examples; Fastify owns its server). The verifier is released when listening fails and after the server has closed.
 */
export async function listenWithVerifier(
  config: CertboundConfig,
  options: StartServerOptions,
  handlerFor: (verifier: Verifier) => RequestListener | Promise<RequestListener>,
): Promise<RunningServer> {
  const verifier = configuredVerifier(config, options);
  let handler: RequestListener;
  try {
    // Async for applications that initialise before serving (NestJS).
    handler = await handlerFor(verifier);
  } catch (error) {
    await verifier.close();
    throw error;
  }
  const limits = serverLimits(options);
  const server = config.tls
    ? createHttpsServer(
        {
          ...limits,
          cert: config.tls.cert,
          key: config.tls.key,
          ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
          // Always ask for a certificate: the token binding needs it (RFC 8705 §3). Whether its chain must verify
          // is the operator's choice; RFC 8705 §6.2 allows self-signed client certificates.
          requestCert: true,
          rejectUnauthorized: config.tls.verifyClientCertificate,
        },
        handler,
      )
    : createHttpServer(limits, handler);
  server.on('clientError', answerClientError);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await verifier.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(server, config.tls !== undefined),
    close() {
      closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }).then(() => verifier.close());
      return closing;
    },
  };
}
