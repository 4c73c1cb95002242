import { pino, type LevelWithSilent, type Logger } from 'pino';

/**
 * The gateway's default logger: JSON lines on stderr, so stdout stays free for the CLI's ready line.
 * Synchronous writes: a service that is being stopped must not lose its last lines.
 */
export function createDefaultLogger(level: LevelWithSilent): Logger {
  return pino({ level, base: { service: 'certbound-gateway' } }, pino.destination({ fd: 2, sync: true }));
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(value: unknown): value is LevelWithSilent {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}
