/**
 * The listen-and-close part the example APIs share: one verifier per server from the docs/configuration.md config, a loopback
 * or configured listener (HTTPS asking for a client certificate when the config has `tls`), and a close that lets
 * in-flight requests finish for a short grace before cutting their connections.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { createVerifier, verifierOptionsFromConfig } from '@certbound/core';
import type { CertboundConfig, Verifier, VerifierOptions } from '@certbound/core';

export interface StartServerOptions {
  /** Verifier options laid over the config's (e.g. `onEvent`, `currentTime`, `cache`). Default none. */
  verifierOptions?: Partial<VerifierOptions>;
}

export interface RunningServer {
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  /** Stop accepting connections, finish or drop the open ones, release the verifier. */
  close(): Promise<void>;
}

/** How long in-flight requests get to finish on close before their connections are cut. */
export const CLOSE_GRACE_MS = 500;

/** The verifier an example API uses: the config's options with `options.verifierOptions` laid over them. */
export function configuredVerifier(config: CertboundConfig, options: StartServerOptions): Verifier {
  return createVerifier({ ...verifierOptionsFromConfig(config), ...options.verifierOptions });
}

/** Base URL of a listening server, with an IPv6 host in brackets. */
export function urlOf(server: Server, tls: boolean): string {
  const { address, port } = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * Serve `handlerFor(verifier)` on a node:http or node:https server as the config says (the Koa and Express examples;
 * Fastify owns its server). The verifier is released when listening fails and after the server has closed.
 */
export async function listenWithVerifier(
  config: CertboundConfig,
  options: StartServerOptions,
  handlerFor: (verifier: Verifier) => RequestListener,
): Promise<RunningServer> {
  const verifier = configuredVerifier(config, options);
  const handler = handlerFor(verifier);
  const server = config.tls
    ? createHttpsServer(
        {
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
    : createHttpServer(handler);
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
