/**
 * Stable codes of the errors this package raises. They are never sent on the wire: OAuth responses carry RFC 6749's
 * `error` strings and Entra's AADSTS numbers instead.
 */
export type AuthorityErrorCode =
  /** The registry or the configuration file is invalid ({@link AuthorityConfigError}). */
  | 'ERR_AUTHORITY_CONFIG'
  /** An option of `startAuthority` is invalid ({@link AuthorityOptionsError}). */
  | 'ERR_AUTHORITY_OPTIONS'
  /** A token request was refused: rendered as RFC 6749 §5.2 JSON, seen by callers only in the log (`refusal`). */
  | 'ERR_AUTHORITY_REFUSAL';

/** Base class: `switch (error.code)` narrows. */
export class AuthorityError extends Error {
  readonly code: AuthorityErrorCode;
  constructor(code: AuthorityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthorityError';
    this.code = code;
  }
}

/** The registry or the configuration file is invalid. `field` is the path of the offending field, e.g. `apps[0].tenant`. */
export class AuthorityConfigError extends AuthorityError {
  override readonly code = 'ERR_AUTHORITY_CONFIG' as const;
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('ERR_AUTHORITY_CONFIG', `${field}: ${message}`, options);
    this.name = 'AuthorityConfigError';
    this.field = field;
  }
}

/** An option of `startAuthority` is invalid (thrown at startup, before listening). */
export class AuthorityOptionsError extends AuthorityError {
  override readonly code = 'ERR_AUTHORITY_OPTIONS' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AUTHORITY_OPTIONS', message, options);
    this.name = 'AuthorityOptionsError';
  }
}
