/**
 * Errors raised by the confidential client. Every error carries a stable `errorCode` (MSAL's name where MSAL has
 * one) and the same string as `code`, so `switch (err.code)` works like it does for Node's own errors.
 *
 * Messages never contain private keys, passphrases, client secrets, assertions or tokens (SECURITY.md rule 11):
 * they name the condition, a host, an HTTP status or a certificate thumbprint (which is public).
 */

/** Codes raised before any network call, named after MSAL.NET's `MsalError` constants. */
export type PreNetworkErrorCode =
  /** PoP requested without a certificate (also: a secret or a plain assertion used with PoP). */
  | 'mtls_certificate_not_provided'
  /** The certificate credential has no private key (PEM without key, PFX without key bag). */
  | 'cert_without_private_key'
  /** The authority is `/common`, `/organizations` or `/consumers`: client credentials need a tenant. */
  | 'missing_tenanted_authority'
  /** mTLS is not available for this cloud (`login.usgovcloudapi.net`, `login.chinacloudapi.cn`, not `login.*`). */
  | 'mtls_pop_not_supported_for_environment'
  /** The client-assertion callback returned an empty or non-string assertion. */
  | 'invalid_client_assertion'
  /** The certificate or key could not be read or parsed, or the key does not belong to the certificate. */
  | 'invalid_certificate'
  /** The client was closed with `close()`. */
  | 'client_closed';

/** Codes raised while checking a token endpoint response. */
export type ResponseErrorCode =
  /** @see PROTOCOL.md §4 — the token response has no `token_type`. */
  | 'token_type_missing'
  /** @see PROTOCOL.md §4 — `token_type` is not the one requested (`mtls_pop`, or `Bearer`/`N_A`). */
  | 'token_type_mismatch'
  /** The response is not usable JSON, is too large, or lacks `access_token` / a valid `expires_in`. */
  | 'invalid_response'
  /** A JWT access token from an RFC 8705 server carries `cnf.x5t#S256` of another certificate. */
  | 'token_binding_mismatch'
  /** RFC 8414 discovery failed or the metadata cannot be used (issuer mismatch, no https token endpoint...). */
  | 'invalid_authority_metadata';

/** Codes for failures on the wire. */
export type TransportErrorCode =
  /** Connection, TLS (e.g. an untrusted server certificate) or per-phase timeout failure. */
  | 'network_error'
  /** The token or discovery request did not complete within `http.requestTimeoutMs` (MSAL's `request_timeout`). */
  | 'request_timeout';

/** Codes carried by {@link TokenEndpointError}. */
export type TokenEndpointErrorCode =
  /** The server answered with an RFC 6749 §5.2 error body (`error`, `error_description`, Entra's `error_codes`). */
  | 'oauth_error'
  /** The server answered with an HTTP error status and no OAuth error body. */
  | 'http_error';

export type ClientErrorCode = PreNetworkErrorCode | ResponseErrorCode | TransportErrorCode | TokenEndpointErrorCode;

/** Base class of every error the client raises on purpose. */
export class ConfidentialClientError<C extends ClientErrorCode = ClientErrorCode> extends Error {
  /** Stable machine-readable code (MSAL's `ErrorCode` names where they exist). */
  readonly errorCode: C;
  /** Same value as {@link errorCode}, for Node-style `err.code` checks. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfidentialClientError';
    this.errorCode = code;
    this.code = code;
  }
}

/** Details the token endpoint sent with an error response. */
export interface TokenEndpointErrorDetails {
  /** HTTP status of the final attempt. */
  status: number;
  /** RFC 6749 §5.2 `error`. */
  error?: string;
  /** RFC 6749 §5.2 `error_description` (control characters removed, length capped, sent secrets redacted). */
  error_description?: string;
  /** Entra's numeric `error_codes` (AADSTS numbers). */
  error_codes?: readonly number[];
  /** Entra's `correlation_id`. */
  correlation_id?: string;
  /** Entra's `trace_id`. */
  trace_id?: string;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

/** The token endpoint refused the request (`oauth_error`) or failed (`http_error`). */
export class TokenEndpointError extends ConfidentialClientError<TokenEndpointErrorCode> {
  readonly status: number;
  readonly error: string | undefined;
  readonly error_description: string | undefined;
  readonly error_codes: readonly number[] | undefined;
  readonly correlation_id: string | undefined;
  readonly trace_id: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: TokenEndpointErrorCode, message: string, details: TokenEndpointErrorDetails) {
    super(code, message);
    this.name = 'TokenEndpointError';
    this.status = details.status;
    this.error = details.error;
    this.error_description = details.error_description;
    this.error_codes = details.error_codes;
    this.correlation_id = details.correlation_id;
    this.trace_id = details.trace_id;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * Every error the client raises, as a discriminated union on `code`: after
 * `if (isConfidentialClientError(err))`, `switch (err.code) { case 'oauth_error': err.error_codes ... }` narrows.
 */
export type AnyConfidentialClientError =
  | ConfidentialClientError<PreNetworkErrorCode | ResponseErrorCode | TransportErrorCode>
  | TokenEndpointError;

/** Type guard for {@link AnyConfidentialClientError}. */
export function isConfidentialClientError(value: unknown): value is AnyConfidentialClientError {
  return value instanceof ConfidentialClientError;
}
