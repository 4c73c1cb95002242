import type { CertboundConfig } from '@certbound/core';
import { CLOSE_GRACE_MS, configuredVerifier, serverLimits, urlOf, type RunningServer, type StartServerOptions } from '@certbound-examples/shared/listen';
import { createApp } from './app.js';

export type { RunningServer, StartServerOptions } from '@certbound-examples/shared/listen';

/** Start the Fastify example API from a configuration file (docs/configuration.md), in this process. Fastify owns its server and its close. */
export async function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const verifier = configuredVerifier(config, options);
  const app = createApp(config, verifier, serverLimits(options));
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    await app.close();
    await verifier.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(app.server, config.tls !== undefined),
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
