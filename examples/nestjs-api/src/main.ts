/**
 * The NestJS example API as a command: `tsx src/main.ts --config FILE` (or CERTBOUND_CONFIG=FILE). Prints one ready
 * line of JSON on stdout and stops cleanly on SIGTERM or SIGINT.
 */
import 'reflect-metadata';
import { runServerCli } from '@certbound-examples/shared/cli';
import { startServer } from './server.js';

process.exitCode = await runServerCli('nestjs-api', (config) => startServer(config));
