#!/usr/bin/env node
// certbound-gateway --config FILE [--log-level LEVEL]
// Prints one JSON ready line on stdout, logs JSON lines on stderr, stops cleanly on SIGTERM/SIGINT.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from './load-gateway-config.js';
import { createDefaultLogger, isLogLevel, LOG_LEVELS } from './logger.js';
import { startGateway, type Gateway } from './start-gateway.js';

const USAGE = `usage: certbound-gateway --config FILE [--log-level ${LOG_LEVELS.join('|')}]
  --config FILE      configuration file, see docs/configuration.md (or set CERTBOUND_CONFIG)
  --log-level LEVEL  default info (or set CERTBOUND_LOG_LEVEL)`;

function exitWith(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { config?: string | undefined; 'log-level'?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { config: { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    exitWith(`certbound-gateway: ${(error as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const configPath = values.config ?? process.env['CERTBOUND_CONFIG'];
  if (!configPath) exitWith(`certbound-gateway: no config file (--config FILE or CERTBOUND_CONFIG)\n${USAGE}`, 2);
  const level = values['log-level'] ?? process.env['CERTBOUND_LOG_LEVEL'] ?? 'info';
  if (!isLogLevel(level)) exitWith(`certbound-gateway: --log-level must be one of ${LOG_LEVELS.join(', ')}`, 2);

  let gateway: Gateway;
  try {
    // Relative to where the command was typed: pnpm and npm scripts run in the package folder but set INIT_CWD.
    const config = await loadGatewayConfig(resolve(process.env['INIT_CWD'] ?? process.cwd(), configPath));
    gateway = await startGateway(config, { logger: createDefaultLogger(level) });
  } catch (error) {
    exitWith(`certbound-gateway: ${(error as Error).message}`, 1);
  }
  const stop = (signal: string) => {
    // Graceful first; the timer guarantees the process is gone within a second whatever is still open.
    // SIGTERM drains first (/readyz 503 while still serving); SIGINT at a terminal stops at once.
    const drainMs = signal === 'SIGTERM' ? gateway.drainMs : 0;
    setTimeout(() => exitWith(`certbound-gateway: forced exit after ${signal}`, 1), drainMs + 900).unref();
    (signal === 'SIGTERM' ? gateway.shutdown() : gateway.close()).then(
      () => process.exit(0),
      (error: unknown) => exitWith(`certbound-gateway: shutdown failed: ${(error as Error).message}`, 1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Announce readiness only once the handlers are in place: whoever reads this line may signal at once.
  console.log(JSON.stringify({ ready: true, url: gateway.url }));
}

await main();
