/** Stable codes of the errors this package throws (never used for OAuth responses, which are JSON). */
export type AuthorityErrorCode = 'ERR_AUTHORITY_CONFIG' | 'ERR_AUTHORITY_OPTIONS';

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
