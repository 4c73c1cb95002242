import type { INestApplication } from '@nestjs/common';
import type { RequestListener } from 'node:http';
import type { CertboundConfig } from '@certbound/core';
import { listenWithVerifier, type RunningServer, type StartServerOptions } from '@certbound-examples/shared/listen';
import { createApp } from './app.js';

export type { RunningServer, StartServerOptions } from '@certbound-examples/shared/listen';

/**
 * Start the NestJS example API from a configuration file (docs/configuration.md), in this process: the shared
 * listener (limits, TLS, graceful close) serves the Nest application's Express instance; the application closes after
 * the server.
 */
export async function startServer(config: CertboundConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  let app: INestApplication | undefined;
  const server = await listenWithVerifier(config, options, async (verifier) => {
    app = await createApp(config, verifier);
    return app.getHttpAdapter().getInstance() as RequestListener;
  });
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    close() {
      closing ??= server.close().then(() => app?.close());
      return closing;
    },
  };
}
