import type { RunningServer } from './frameworks.js';

/**
 * @certbound/gateway from a configuration file (docs/configuration.md), as `certbound-gateway --config FILE` would
 * start it, except that its pino logger is silenced (a benchmark measures the service, not stderr).
 */
export async function startGatewayServer(configFile: string): Promise<RunningServer> {
  const { loadGatewayConfig, startGateway } = await import('@certbound/gateway');
  const gateway = await startGateway(await loadGatewayConfig(configFile), { logLevel: 'silent' });
  return { ready: { url: gateway.url, port: gateway.port }, close: () => gateway.close() };
}
