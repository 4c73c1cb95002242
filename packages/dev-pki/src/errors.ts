/** Stable codes of {@link DevPkiError}: switch on `code`, never on the message. */
export type DevPkiErrorCode =
  /** A client name is not a plain file name, or collides with a file the PKI writes for itself. */
  | 'ERR_DEV_PKI_CLIENT_NAME'
  /** The output folder cannot be used: an existing file, or a path the process may not write. */
  | 'ERR_DEV_PKI_OUT';

/** The one error class of `@certbound/dev-pki`; `field` names the option or flag at fault. */
export class DevPkiError extends Error {
  override readonly name = 'DevPkiError';
  constructor(
    readonly code: DevPkiErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
