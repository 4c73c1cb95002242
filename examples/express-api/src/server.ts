import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createVerifier, verifierOptionsFromConfig } from '@certbound/core';
import type { CertboundConfig, VerifierOptions } from '@certbound/core';
import { createApp } from './app.js';

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
const CLOSE_GRACE_MS = 500;

export function urlOf(server: Server, tls: boolean): string {
  const { address, port } = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Start the Express example API from a CONFIG.md config, in this process. */
export async function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const verifier = createVerifier({ ...verifierOptionsFromConfig(config), ...options.verifierOptions });
  const handler = createApp(config, verifier);
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
