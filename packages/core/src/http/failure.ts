import type { ErrorCode, OAuthErrorCode, VerifyFailure } from '../types.js';
import { buildChallenge, isDescriptionText, isHttpToken, isScopeToken } from './challenge.js';
import { invalidOption } from '../errors.js';
import { deepFreeze } from '../jose/freeze.js';

/** One row of the error table: what a failure code becomes on the wire. */
export interface ErrorTableRow {
  readonly status: VerifyFailure['status'];
  /** RFC 6750 error code; undefined when the request carried no (usable) credentials. */
  readonly error: OAuthErrorCode | undefined;
  /** Fixed text: never built from request data. */
  readonly description: string;
}

const invalidRequest = (description: string): ErrorTableRow => ({ status: 400, error: 'invalid_request', description });
const invalidToken = (description: string): ErrorTableRow => ({ status: 401, error: 'invalid_token', description });

/**
 * The one table mapping every failure to status + RFC 6750 error.
 * @see RFC 6750 §3.1 — invalid_request (400), invalid_token (401), insufficient_scope (403); no error code at all
 *   when the request lacks credentials or uses an unsupported scheme.
 * @see docs/protocol.md §3; docs/security.md rule 9 — JWKS unavailable with an unknown key is 503, never 200; so is
 *   an introspection endpoint that does not answer (RFC 8705 §3.2).
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorTableRow>> = deepFreeze({
  ERR_NO_CREDENTIALS: { status: 401, error: undefined, description: 'Authentication required' },
  ERR_UNSUPPORTED_SCHEME: { status: 401, error: undefined, description: 'Unsupported authorization scheme' },
  ERR_AUTHORIZATION_DUPLICATE: invalidRequest('More than one Authorization header'),
  ERR_AUTHORIZATION_MALFORMED: invalidRequest('Malformed Authorization header'),
  ERR_MULTIPLE_METHODS: invalidRequest('More than one method was used to send the access token'),
  ERR_QUERY_TOKEN: invalidRequest('Access tokens in the query string are not accepted'),
  ERR_TOKEN_TOO_LONG: invalidRequest('The access token is too long'),
  ERR_JWT_MALFORMED: invalidToken('The access token is malformed'),
  ERR_JWE_UNSUPPORTED: invalidToken('Encrypted or nested access tokens are not accepted'),
  ERR_JOSE_HEADER_INVALID: invalidToken('The access token header is invalid'),
  ERR_CRIT_UNSUPPORTED: invalidToken('The access token uses an unsupported critical header'),
  ERR_ALG_NOT_ALLOWED: invalidToken('The access token signing algorithm is not allowed'),
  ERR_TYP_NOT_ALLOWED: invalidToken('The access token type is not allowed'),
  ERR_KEY_NOT_FOUND: invalidToken('The access token signing key is unknown'),
  ERR_KEY_ALG_MISMATCH: invalidToken('The access token signing key does not fit its algorithm'),
  ERR_SIGNATURE_INVALID: invalidToken('The access token signature is invalid'),
  ERR_JWKS_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', description: 'The signing keys are temporarily unavailable' },
  ERR_CLAIM_INVALID: invalidToken('The access token has an invalid claim'),
  ERR_CLAIM_MISSING: invalidToken('The access token lacks a required claim'),
  ERR_ISSUER_MISMATCH: invalidToken('The access token issuer is not accepted'),
  ERR_AUDIENCE_MISMATCH: invalidToken('The access token audience is not accepted'),
  ERR_TOKEN_EXPIRED: invalidToken('The access token expired'),
  ERR_TOKEN_NOT_YET_VALID: invalidToken('The access token is not yet valid'),
  ERR_TOKEN_ISSUED_IN_FUTURE: invalidToken('The access token was issued in the future'),
  ERR_CNF_INVALID: invalidToken('The access token confirmation claim is invalid or unsupported'),
  ERR_TOKEN_NOT_BOUND: invalidToken('The access token is not bound to a client certificate'),
  ERR_CERTIFICATE_MISSING: invalidToken('A client certificate is required for this access token'),
  ERR_BINDING_MISMATCH: invalidToken('The access token is bound to another client certificate'),
  ERR_CERTIFICATE_HEADER_INVALID: invalidRequest('The forwarded client certificate is malformed'),
  ERR_CERTIFICATE_HEADER_DUPLICATE: invalidRequest('The forwarded client certificate was sent more than once'),
  ERR_CERTIFICATE_HASH_MISMATCH: invalidRequest('The forwarded client certificate does not match its forwarded hash'),
  ERR_CERTIFICATE_INVALID: invalidRequest('The client certificate is malformed'),
  ERR_TOKEN_INACTIVE: invalidToken('The access token is not active'),
  ERR_INTROSPECTION_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', description: 'The token introspection service is temporarily unavailable' },
  ERR_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope', description: 'The access token lacks a required scope' },
  ERR_INSUFFICIENT_ROLE: { status: 403, error: 'insufficient_scope', description: 'The access token lacks a required role' },
  ERR_VERIFICATION_FAILED: invalidToken('The access token could not be verified'),
} satisfies Record<ErrorCode, ErrorTableRow>);

for (const [code, row] of Object.entries(ERROR_TABLE)) {
  // A programming error caught at load time, never in a response.
  if (!isDescriptionText(row.description)) throw new Error(`error table: the description of ${code} leaves the RFC 6750 charset`);
}

/** Schemes used in challenges when the caller gives none (the verifier's default). */
export const DEFAULT_SCHEMES: readonly string[] = Object.freeze(['Bearer', 'mtls_pop']);

/** Options of {@link failure}: how the challenge is spelled. */
export interface FailureOptions {
  /** Schemes to challenge with, one challenge each. Default ["Bearer", "mtls_pop"]. */
  schemes?: readonly string[];
  /** `realm` parameter of every challenge. Default none. */
  realm?: string;
  /** Space-separated scopes (or roles) for `insufficient_scope`: the challenge's `scope` parameter. */
  scope?: string;
  /** Seconds for `Retry-After`, for a 503. Default none. */
  retryAfter?: number;
  /** The resource's metadata URL (RFC 9728 §5.1): the challenge's `resource_metadata` parameter. Default none. */
  resourceMetadata?: string;
}

/** The challenge spelling a verifier's options ask for: schemes, realm and resource metadata URL. */
export function challengeOptionsOf(options: { schemes: readonly string[]; realm?: string | undefined; resourceMetadata?: string | undefined }): FailureOptions {
  const result: FailureOptions = { schemes: options.schemes };
  if (options.realm !== undefined) result.realm = options.realm;
  if (options.resourceMetadata !== undefined) result.resourceMetadata = options.resourceMetadata;
  return result;
}

function assertSchemes(schemes: readonly string[]): void {
  if (!Array.isArray(schemes) || schemes.length === 0 || schemes.some((scheme) => typeof scheme !== 'string' || !isHttpToken(scheme))) {
    invalidOption('schemes', 'must be a non-empty array of HTTP auth-scheme tokens');
  }
}

function assertScope(scope: string): void {
  const tokens = scope.split(' ');
  if (tokens.some((token) => !isScopeToken(token))) {
    invalidOption('scope', 'must be space-separated RFC 6750 scope tokens (no quotes, backslashes or controls)');
  }
}

/**
 * The complete failure result for `code`: status, RFC 6750 error, fixed description, `WWW-Authenticate` value and
 * JSON body. Adapters and the gateway use this (or the verifier's own results) instead of formatting errors.
 * Throws a ConfigurationError only for invalid `options` (a programming error), never because of request data.
 * @see RFC 6750 §3
 */
export function failure(code: ErrorCode, options: FailureOptions = {}): VerifyFailure {
  const row = ERROR_TABLE[code];
  if (row === undefined) invalidOption('code', `must be an ErrorCode, got ${JSON.stringify(code)}`);
  const schemes = options.schemes ?? DEFAULT_SCHEMES;
  assertSchemes(schemes);
  if (options.realm !== undefined && (typeof options.realm !== 'string' || !isDescriptionText(options.realm))) {
    invalidOption('realm', 'must be a string without quotes, backslashes or control characters');
  }
  if (options.scope !== undefined) assertScope(options.scope);
  if (options.resourceMetadata !== undefined && (typeof options.resourceMetadata !== 'string' || !isDescriptionText(options.resourceMetadata))) {
    invalidOption('resourceMetadata', 'must be a URL without quotes, backslashes or control characters');
  }
  const { realm, scope, resourceMetadata } = options;
  const challenge = buildChallenge(schemes, { realm, error: row.error, description: row.description, scope, resourceMetadata });
  const result: VerifyFailure = {
    ok: false,
    status: row.status,
    error: row.error,
    description: row.description,
    code,
    challenge,
    body: { error: row.error ?? 'unauthorized', error_description: row.description },
  };
  if (options.scope !== undefined) result.scope = options.scope;
  if (options.retryAfter !== undefined) {
    if (!Number.isSafeInteger(options.retryAfter) || options.retryAfter < 0) invalidOption('retryAfter', 'must be a non-negative integer (seconds)');
    // @see RFC 9110 §10.2.3 — Retry-After belongs with a 503, where it says when the keys may be back.
    if (row.status === 503) result.retryAfter = options.retryAfter;
  }
  return result;
}
