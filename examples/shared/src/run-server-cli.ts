/**
 * The command-line front of the example APIs: `tsx src/main.ts --config FILE` (or CERTBOUND_CONFIG=FILE). Prints one
 * ready line of JSON on stdout and stops cleanly on SIGTERM or SIGINT. A relative FILE is taken from the directory the
 * command was typed in (pnpm's INIT_CWD), so `pnpm --dir examples/koa-api start` from the root reads the root's file.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@certbound/core';
import type { CertboundConfig } from '@certbound/core';
import type { RunningServer } from './listen.js';

/** Last resort after SIGTERM: close() gives open connections half a second, so this only fires on a stuck handle. */
const FORCED_EXIT_MS = 900;

function stopOnSignals(name: string, server: RunningServer): void {
  const stop = () => {
    setTimeout(() => {
      // Non-zero, so whatever held the event loop does not go unnoticed.
      process.stderr.write(`${name}: forced exit, something still held the event loop\n`);
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    server.close().catch((error: unknown) => {
      process.stderr.write(`${name}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * Run one example API as a command named `name` (used in usage and error lines). Resolves to the exit code: 0 once
 * the server listens (it keeps running until a signal), 2 for a usage error, 1 when the server could not start.
 */
export async function runServerCli(name: string, startServer: (config: CertboundConfig) => Promise<RunningServer>): Promise<number> {
  const usage = `usage: ${name} --config FILE   (or CERTBOUND_CONFIG=FILE)`;
  let configPath: string | undefined;
  try {
    configPath = parseArgs({ options: { config: { type: 'string' } } }).values.config ?? process.env['CERTBOUND_CONFIG'];
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (!configPath) {
    process.stderr.write(`no configuration file given\n${usage}\n`);
    return 2;
  }
  let server: RunningServer;
  try {
    server = await startServer(await loadConfig(resolve(process.env['INIT_CWD'] ?? process.cwd(), configPath)));
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    return 1;
  }
  stopOnSignals(name, server);
  process.stdout.write(`{"ready": true, "url": ${JSON.stringify(server.url)}}\n`);
  return 0;
}
