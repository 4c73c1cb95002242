// Every refusal the authority can send, with its RFC 6749 §5.2 error, HTTP status, an AADSTS-like number and a
// fixed description. Descriptions never contain request input (docs/security.md rule 9): only known parameter names
// are quoted.
// Numbers below 9900000 are Entra's own for the same condition; 99000xx are certbound's where Entra has none known.

import { AuthorityError } from '../errors.js';
import type { TokenRequestParameter } from './constants.js';

/**
 * The `error` parameter of an RFC 6749 §5.2 response: what goes on the wire, not an error code of this package
 * (those are `AuthorityError['code']`, `ERR_AUTHORITY_*`).
 */
export type OAuthWireError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'not_found'
  | 'access_denied'
  | 'server_error';

interface RefusalSpec {
  readonly error: OAuthWireError;
  readonly status: number;
  /** The AADSTS number. */
  readonly aadsts: number;
  readonly description: string;
}

function spec(error: OAuthWireError, status: number, aadsts: number, description: string): RefusalSpec {
  return { error, status, aadsts, description };
}

/** The catalogue of refusals. The README's refusal table lists the same entries. */
export const REFUSALS = {
  tenantNotFound: spec('invalid_request', 400, 90002, 'Tenant not found: the path names no tenant of this authority.'),
  notFound: spec('not_found', 404, 9900020, 'No such endpoint.'),
  methodNotAllowed: spec('invalid_request', 405, 9900021, 'Method not allowed on this endpoint.'),
  bodyTooLarge: spec('invalid_request', 413, 9900010, 'The request body exceeds the size limit.'),
  unsupportedContentType: spec('invalid_request', 400, 9900011, 'The token request must be application/x-www-form-urlencoded (UTF-8).'),
  unsupportedContentEncoding: spec('invalid_request', 400, 9900012, 'The token request body must not be content-encoded.'),
  malformedBody: spec('invalid_request', 400, 9002313, 'Invalid request: the body is not UTF-8 form encoding.'),
  duplicateParameter: spec('invalid_request', 400, 9002313, 'Invalid request: a request parameter is repeated.'),
  missingParameter: spec('invalid_request', 400, 900144, 'The request body is missing a required parameter.'),
  parameterInQuery: spec('invalid_request', 400, 9002313, 'Invalid request: OAuth parameters belong in the request body, not the query string.'),
  authorizationHeader: spec('invalid_request', 400, 9900014, 'Client authentication through the Authorization header is not supported: use a certificate or a client assertion.'),
  unsupportedGrantType: spec('unsupported_grant_type', 400, 70003, 'The app requested an unsupported grant type: only client_credentials is supported.'),
  applicationNotFound: spec('invalid_client', 400, 700016, 'Application not found in the directory of this tenant.'),
  clientSecretNotAccepted: spec('invalid_client', 401, 9900013, 'Client secrets are not accepted: authenticate with a certificate or a client assertion.'),
  noClientCertificate: spec('invalid_client', 401, 7000218, 'No client certificate was presented on the TLS connection, and no client assertion was sent.'),
  certificateNotRegistered: spec('invalid_client', 401, 700027, 'The TLS client certificate is not registered for this application.'),
  certificateChainUntrusted: spec('invalid_client', 401, 9900004, 'The TLS client certificate does not chain to a CA trusted for tls_client_auth.'),
  certificateNotValidNow: spec('invalid_client', 401, 9900015, 'The TLS client certificate is expired or not yet valid.'),
  invalidScope: spec('invalid_scope', 400, 70011, "The scope must be exactly one '{resource}/.default' value."),
  resourceNotFound: spec('invalid_scope', 400, 500011, 'The resource named by the scope was not found in this authority.'),
  exchangeScopeWithAssertion: spec('invalid_scope', 400, 9900022, 'Exchange tokens (api://AzureADTokenExchange) are only issued to certificate or private_key_jwt credentials.'),
  invalidTokenType: spec('invalid_request', 400, 9900016, "The token_type parameter must be 'mtls_pop' or 'bearer'."),
  invalidClaims: spec('invalid_request', 400, 9900023, 'The claims parameter must be a JSON object.'),
  unsupportedAssertionType: spec('invalid_request', 400, 9900017, 'Unsupported client_assertion_type: use jwt-pop (over mTLS) or jwt-bearer.'),
  popNeedsCertificateCredential: spec('invalid_request', 400, 9900008, 'token_type=mtls_pop needs a certificate: use the vanilla flow or a jwt-pop assertion over mTLS.'),
  boundTokensRequired: spec('invalid_client', 401, 9900009, 'This application only receives certificate-bound tokens: request them over mTLS.'),
  assertionMalformed: spec('invalid_client', 401, 50027, 'The client assertion is not a well-formed signed JWT.'),
  assertionSignature: spec('invalid_client', 401, 700027, 'The client assertion failed signature validation with the keys of a trusted issuer.'),
  assertionIssuer: spec('invalid_client', 401, 700211, 'The client assertion was not issued by a trusted issuer.'),
  assertionExpired: spec('invalid_client', 401, 700024, 'The client assertion is not within its valid time range.'),
  assertionAudience: spec('invalid_client', 401, 700212, 'The client assertion audience must be api://AzureADTokenExchange.'),
  assertionType: spec('invalid_client', 401, 50027, 'The client assertion has an unexpected JOSE typ.'),
  assertionNotBound: spec('invalid_client', 401, 9900002, 'A jwt-pop client assertion must be certificate-bound (cnf with x5t#S256).'),
  assertionNoCertificate: spec('invalid_client', 401, 7000218, 'A jwt-pop client assertion must be presented over mTLS with the certificate it is bound to.'),
  assertionBindingMismatch: spec('invalid_client', 401, 9900001, 'The client assertion is bound to a certificate other than the one presented on this TLS connection.'),
  assertionNeedsCertificate: spec('invalid_client', 401, 9900003, 'The client assertion is certificate-bound: present it as jwt-pop over mTLS with its certificate.'),
  federatedIssuerMismatch: spec('invalid_client', 401, 700211, 'No matching federated identity record found for the presented assertion issuer.'),
  federatedSubjectMismatch: spec('invalid_client', 401, 700213, 'No matching federated identity record found for the presented assertion subject.'),
  federatedNoMatch: spec('invalid_client', 401, 70021, 'No matching federated identity record found for the presented assertion.'),
  clientAssertionIdentity: spec('invalid_client', 401, 700021, "The client assertion's iss and sub must both equal client_id."),
  clientAssertionAudience: spec('invalid_client', 401, 700212, "The client assertion's aud must be this tenant's token endpoint."),
  clientAssertionKeyNotRegistered: spec('invalid_client', 401, 700027, 'The certificate named by the assertion header (x5t#S256 or x5t) is not registered for this application.'),
  clientAssertionLifetime: spec('invalid_client', 401, 9900005, 'The client assertion must expire within 10 minutes.'),
  clientAssertionJti: spec('invalid_client', 401, 9900007, 'The client assertion must carry a jti (at most 256 characters).'),
  clientAssertionReplayed: spec('invalid_client', 401, 9900006, 'The client assertion was already used (jti replay).'),
  replayCacheFull: spec('temporarily_unavailable', 503, 9900019, 'Too many client assertions in flight; retry shortly.'),
  introspectionClientUnauthorized: spec('invalid_client', 401, 9900040, 'Introspection and revocation need the credentials of a registered introspection client (client_secret_basic).'),
  adminForbidden: spec('access_denied', 403, 9900030, 'The admin endpoint only answers loopback clients.'),
  adminUnauthorized: spec('access_denied', 401, 9900031, 'Missing or wrong admin token.'),
  internal: spec('server_error', 500, 9900099, 'Internal error.'),
} as const satisfies Record<string, RefusalSpec>;

export type RefusalName = keyof typeof REFUSALS;

/**
 * A refusal on its way to the client. Thrown inside the authority, rendered as RFC 6749 §5.2 JSON: `error` and
 * `aadsts` are what the wire carries, `code` is the package's own (`ERR_AUTHORITY_REFUSAL`).
 */
export class OAuthError extends AuthorityError {
  override readonly code = 'ERR_AUTHORITY_REFUSAL' as const;
  readonly refusal: RefusalName;
  readonly error: OAuthWireError;
  readonly status: number;
  /** Entra's AADSTS number (`error_codes`). */
  readonly aadsts: number;
  readonly description: string;
  constructor(refusal: RefusalName, description?: string) {
    const entry: RefusalSpec = REFUSALS[refusal];
    super('ERR_AUTHORITY_REFUSAL', description ?? entry.description);
    this.name = 'OAuthError';
    this.refusal = refusal;
    this.error = entry.error;
    this.status = entry.status;
    this.aadsts = entry.aadsts;
    this.description = description ?? entry.description;
  }
}

export function refuse(refusal: RefusalName): never {
  throw new OAuthError(refusal);
}

/** @see RFC 6749 §3.2 — a parameter sent more than once. Only names from the known list are quoted. */
export function duplicateParameter(name: TokenRequestParameter | null): OAuthError {
  return new OAuthError('duplicateParameter', name === null ? undefined : `Invalid request: the '${name}' parameter is repeated.`);
}

/** A required parameter is absent or empty (Entra AADSTS900144). */
export function missingParameter(name: TokenRequestParameter): OAuthError {
  return new OAuthError('missingParameter', `The request body must contain the following parameter: '${name}'.`);
}

/** Entra's timestamp format: `2025-01-31 12:34:56Z`. */
export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** The JSON body of an error response. */
export function errorBody(error: OAuthError, traceId: string, nowMs: number): Record<string, unknown> {
  return {
    error: error.error,
    error_description: `AADSTS${error.aadsts}: ${error.description} Trace ID: ${traceId} Timestamp: ${entraTimestamp(nowMs)}`,
    error_codes: [error.aadsts],
    timestamp: entraTimestamp(nowMs),
    trace_id: traceId,
  };
}
