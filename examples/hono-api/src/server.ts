import { getRequestListener } from '@hono/node-server';
import type { CertboundConfig } from '@certbound/core';
import { listenWithVerifier, type RunningServer, type StartServerOptions } from '@certbound-examples/shared/listen';
import { createApp } from './app.js';

export type { RunningServer, StartServerOptions } from '@certbound-examples/shared/listen';

/**
 * Start the Hono example API from a configuration file (docs/configuration.md), in this process: @hono/node-server's
 * request listener on the same node:https server, limits and graceful close as the Koa and Express examples.
 */
export function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  return listenWithVerifier(config, options, (verifier) => getRequestListener(createApp(config, verifier).fetch));
}
