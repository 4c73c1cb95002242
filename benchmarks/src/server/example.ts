import type { RunningServer } from './frameworks.js';
import type { Framework } from './spec.js';

/**
 * The framework's example API (examples/<framework>-api, `startServer(config)`) started from a configuration file
 * (docs/configuration.md), as `pnpm --dir examples/<framework>-api start` would: a genuine app whose `GET /whoami` runs certbound and answers
 * the verified identity as JSON.
 */
export async function startExampleApi(framework: Framework, configFile: string): Promise<RunningServer> {
  const { loadConfig } = await import('@certbound/core');
  const config = await loadConfig(configFile);
  const { startServer } =
    framework === 'koa'
      ? await import('../../../examples/koa-api/src/server.js')
      : framework === 'express'
        ? await import('../../../examples/express-api/src/server.js')
        : framework === 'fastify'
          ? await import('../../../examples/fastify-api/src/server.js')
          : await import('../../../examples/hono-api/src/server.js');
  const server = await startServer(config);
  const port = Number(new URL(server.url).port);
  return { ready: { url: server.url, port }, close: () => server.close() };
}
