/**
 * Errors raised by the confidential client: one base class, {@link CertboundClientError}, whose `code` is a stable
 * `ERR_CLIENT_*` string (jose's convention, what `switch (err.code)` should test), and whose `msalError` is MSAL.NET's
 * name for the same condition (`MsalError.*`), for people who search MSAL's documentation.
 *
 * Messages never contain private keys, passphrases, client secrets, assertions or tokens (docs/security.md rule 11):
 * they name the condition, an option, a host, an HTTP status or a certificate thumbprint (which is public).
 */

/** Codes raised before any network call. */
export type PreNetworkErrorCode =
  /** PoP requested without a certificate (also: a secret or a plain assertion used with PoP). */
  | 'ERR_CLIENT_CERTIFICATE_REQUIRED'
  /** The certificate credential has no private key (PEM without key, PFX without key bag). */
  | 'ERR_CLIENT_CERTIFICATE_WITHOUT_KEY'
  /** The authority is `/common`, `/organizations` or `/consumers`: client credentials need a tenant. */
  | 'ERR_CLIENT_TENANT_REQUIRED'
  /** mTLS is not available for this cloud (`login.usgovcloudapi.net`, `login.chinacloudapi.cn`, not `login.*`). */
  | 'ERR_CLIENT_MTLS_NOT_SUPPORTED'
  /** The client-assertion callback returned an empty or non-string assertion. */
  | 'ERR_CLIENT_ASSERTION_INVALID'
  /** The certificate or key could not be read or parsed, or the key does not belong to the certificate. */
  | 'ERR_CLIENT_CERTIFICATE_INVALID'
  /** The client was closed with `close()`. */
  | 'ERR_CLIENT_CLOSED';

/** Codes raised while checking a token endpoint response. */
export type ResponseErrorCode =
  /** @see docs/protocol.md §4 — the token response has no `token_type`. */
  | 'ERR_CLIENT_TOKEN_TYPE_MISSING'
  /** @see docs/protocol.md §4 — `token_type` is not the one requested (`mtls_pop`, or `Bearer`/`N_A`). */
  | 'ERR_CLIENT_TOKEN_TYPE_MISMATCH'
  /** The response is not usable JSON, is too large, or lacks `access_token` / a valid `expires_in` / `refresh_in`. */
  | 'ERR_CLIENT_RESPONSE_INVALID'
  /** A JWT access token from an RFC 8705 server carries `cnf.x5t#S256` of another certificate. */
  | 'ERR_CLIENT_TOKEN_BINDING_MISMATCH'
  /** RFC 8414 discovery failed or the metadata cannot be used (issuer mismatch, no https token endpoint...). */
  | 'ERR_CLIENT_METADATA_INVALID';

/** Codes for failures on the wire. */
export type TransportErrorCode =
  /** Connection, TLS (e.g. an untrusted server certificate) or per-phase timeout failure. */
  | 'ERR_CLIENT_NETWORK'
  /** The token or discovery request did not complete within `http.requestTimeoutMs`. */
  | 'ERR_CLIENT_TIMEOUT';

/** Codes carried by {@link TokenEndpointError}. */
export type TokenEndpointErrorCode =
  /** The server answered with an RFC 6749 §5.2 error body (`error`, `error_description`, Entra's `error_codes`). */
  | 'ERR_CLIENT_OAUTH_ERROR'
  /** The server answered with an HTTP error status and no OAuth error body. */
  | 'ERR_CLIENT_HTTP_ERROR'
  /**
   * The identical request failed with `Retry-After` and that time has not passed: not sent (MSAL's throttling). The
   * details are the original answer's; `retryAfterMs` is the time left.
   */
  | 'ERR_CLIENT_THROTTLED';

export type ClientErrorCode = PreNetworkErrorCode | ResponseErrorCode | TransportErrorCode | TokenEndpointErrorCode;

/** MSAL.NET's name (`MsalError.*`, snake_case) for each code; `oauth_error`/`http_error` are this client's own. */
export const MSAL_ERROR_NAMES = Object.freeze({
  ERR_CLIENT_CERTIFICATE_REQUIRED: 'mtls_certificate_not_provided',
  ERR_CLIENT_CERTIFICATE_WITHOUT_KEY: 'cert_without_private_key',
  ERR_CLIENT_TENANT_REQUIRED: 'missing_tenanted_authority',
  ERR_CLIENT_MTLS_NOT_SUPPORTED: 'mtls_pop_not_supported_for_environment',
  ERR_CLIENT_ASSERTION_INVALID: 'invalid_client_assertion',
  ERR_CLIENT_CERTIFICATE_INVALID: 'invalid_certificate',
  ERR_CLIENT_CLOSED: 'client_closed',
  ERR_CLIENT_TOKEN_TYPE_MISSING: 'token_type_missing',
  ERR_CLIENT_TOKEN_TYPE_MISMATCH: 'token_type_mismatch',
  ERR_CLIENT_RESPONSE_INVALID: 'invalid_response',
  ERR_CLIENT_TOKEN_BINDING_MISMATCH: 'token_binding_mismatch',
  ERR_CLIENT_METADATA_INVALID: 'invalid_authority_metadata',
  ERR_CLIENT_NETWORK: 'network_error',
  ERR_CLIENT_TIMEOUT: 'request_timeout',
  ERR_CLIENT_OAUTH_ERROR: 'oauth_error',
  ERR_CLIENT_HTTP_ERROR: 'http_error',
  ERR_CLIENT_THROTTLED: 'request_throttled',
} as const satisfies Record<ClientErrorCode, string>);

/** MSAL.NET's name of an error condition, as carried by {@link CertboundClientError.msalError}. */
export type MsalErrorName = (typeof MSAL_ERROR_NAMES)[ClientErrorCode];

/** Base class of every error the client raises on purpose. */
export class CertboundClientError<C extends ClientErrorCode = ClientErrorCode> extends Error {
  /** Stable machine-readable code, `ERR_CLIENT_*`. */
  readonly code: C;
  /** MSAL.NET's name for the condition (e.g. `mtls_certificate_not_provided`), to look it up in MSAL's docs. */
  readonly msalError: (typeof MSAL_ERROR_NAMES)[C];
  /** The correlation id of the acquisition that failed (`client-request-id` when it reached the network). */
  correlationId: string | undefined;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CertboundClientError';
    this.code = code;
    this.msalError = MSAL_ERROR_NAMES[code];
    this.correlationId = undefined;
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

/** The token endpoint refused the request (`ERR_CLIENT_OAUTH_ERROR`) or failed (`ERR_CLIENT_HTTP_ERROR`). */
export class TokenEndpointError extends CertboundClientError<TokenEndpointErrorCode> {
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
 * Every error the client raises, as a discriminated union on `code`: after `if (isCertboundClientError(err))`,
 * `switch (err.code) { case 'ERR_CLIENT_OAUTH_ERROR': err.error_codes ... }` narrows.
 */
export type AnyCertboundClientError = CertboundClientError<PreNetworkErrorCode | ResponseErrorCode | TransportErrorCode> | TokenEndpointError;

/** Type guard for {@link AnyCertboundClientError}. */
export function isCertboundClientError(value: unknown): value is AnyCertboundClientError {
  return value instanceof CertboundClientError;
}
