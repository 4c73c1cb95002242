import { pino, type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function isLogLevel(value: unknown): value is (typeof LEVELS)[number] {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

/**
 * The authority's logger: pino JSON lines on stderr (stdout stays free for the CLI's ready line), synchronous so a
 * stopping process loses nothing. `false` gives a disabled logger.
 */
export function createAuthorityLogger(option: false | { level?: string } | undefined): Logger {
  if (option === undefined || option === false) return pino({ enabled: false });
  const level = option.level ?? 'info';
  if (!isLogLevel(level)) throw new TypeError(`logger.level must be one of ${LEVELS.join(', ')}`);
  return pino({ level, base: { service: 'certbound-authority' } }, pino.destination({ fd: 2, sync: true }));
}
