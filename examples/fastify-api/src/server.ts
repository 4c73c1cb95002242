import { createVerifier, verifierOptionsFromConfig } from '@certbound/core';
import type { CertboundConfig, VerifierOptions } from '@certbound/core';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

export interface StartServerOptions {
  /** Verifier options laid over the config's (e.g. `onEvent`, `currentTime`, `cache`). Default none. */
  verifierOptions?: Partial<VerifierOptions>;
}

export interface RunningServer {
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  /** Stop accepting connections, finish the open requests, release the verifier. */
  close(): Promise<void>;
}

/** How long in-flight requests get to finish on close before their connections are cut. */
const CLOSE_GRACE_MS = 500;

/** Start the Fastify example API from a CONFIG.md config, in this process. */
export async function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const verifier = createVerifier({ ...verifierOptionsFromConfig(config), ...options.verifierOptions });
  const app = createApp(config, verifier);
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    await app.close();
    await verifier.close();
    throw error;
  }
  const { address, port } = app.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close() {
      // Fastify closes idle keep-alive connections itself (forceCloseConnections: "idle"); busy ones get a grace.
      if (closing) return closing;
      const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      closing = app
        .close()
        .finally(() => clearTimeout(cut))
        .then(() => verifier.close());
      return closing;
    },
  };
}
