/**
 * The errors @certbound/core (and the adapters and gateway built on it) throw. Verification never throws: a request
 * gets a `VerifyFailure` result whose `code` is an {@link ErrorCode}. What throws is a mistake in the program or its
 * configuration, found at startup: a `CertboundError` whose `code` says which kind, and for options the `field`.
 */

/** Stable codes of thrown errors; `switch (error.code)` narrows. */
export type CertboundErrorCode =
  /** An option, a config-file field or a constructor argument is invalid: `field` names it. */
  | 'ERR_INVALID_OPTION'
  /** A configuration file (or a file it names) cannot be read or is not JSON. */
  | 'ERR_CONFIG_UNREADABLE'
  /** A guard ran on a request no certbound middleware verified: the route is wired in the wrong order. */
  | 'ERR_GUARD_WITHOUT_AUTH';

/**
 * Base class of every error certbound throws. Use `instanceof CertboundError` to tell them from others, then
 * `error.code`.
 * @example
 * ```ts
 * try {
 *   createVerifier(options);
 * } catch (error) {
 *   if (error instanceof ConfigurationError) logger.fatal({ field: error.field }, error.message); // e.g. pino
 *   else throw error;
 * }
 * ```
 */
export class CertboundError extends Error {
  /** What kind of mistake this is; stable across releases, unlike `message`. */
  readonly code: CertboundErrorCode;

  constructor(code: CertboundErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** An invalid option or configuration field, reported when the verifier, middleware or gateway is created. */
export class ConfigurationError extends CertboundError {
  declare readonly code: 'ERR_INVALID_OPTION' | 'ERR_CONFIG_UNREADABLE';
  /** Path of the offending field, e.g. `certificateSource.trustedProxies[1]` or `jwks.keys[0]`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown; code?: 'ERR_INVALID_OPTION' | 'ERR_CONFIG_UNREADABLE' }) {
    super(options?.code ?? 'ERR_INVALID_OPTION', message, options);
    this.field = field;
  }
}

/** Throw a ConfigurationError for `field`, whose message starts with the field: `"<field> <problem>"`. */
export function invalidOption(field: string, problem: string, cause?: unknown): never {
  throw new ConfigurationError(field, `${field} ${problem}`, cause === undefined ? undefined : { cause });
}
