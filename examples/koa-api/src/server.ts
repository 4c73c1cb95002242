import type { CertboundConfig } from '@certbound/core';
import { listenWithVerifier, type RunningServer, type StartServerOptions } from '@certbound-examples/shared/listen';
import { createApp } from './app.js';

export type { RunningServer, StartServerOptions } from '@certbound-examples/shared/listen';

/** Start the Koa example API from a configuration file (docs/configuration.md), in this process. */
export function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  return listenWithVerifier(config, options, (verifier) => createApp(config, verifier).callback());
}
