/**
 * Public types of @certbound/core. This file is the contract every adapter, the gateway and the examples build on:
 * extend it, but do not rename or repurpose what is here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderCertificateFormat } from './certificates/formats/index.js';
import type { IntrospectionSource } from './introspection/introspection.js';
import type { KeySource, KeyStoreState } from './keys/key-store.js';
import type { JwksFailure } from './keys/jwks-fetch.js';

/** JWS algorithms the verifier can check (asymmetric only: HMAC and `none` are never accepted). */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/**
 * What the verifier does with the token's `cnf["x5t#S256"]` and the request's certificate.
 * @see RFC 8705 §3
 */
export type BindingPolicy =
  /** Every token must be bound and match the request's certificate (default). */
  | 'required'
  /** Bound tokens must match; unbound tokens are accepted. */
  | 'if-present'
  /** Accept, and emit an event saying what `required` would have done. For rollout only; never the default. */
  | 'report-only';

/** Forwarded-certificate header formats: the names of `certificates/formats/index.ts` (see PROXIES.md). */
export type { HeaderCertificateFormat } from './certificates/formats/index.js';

/** Options of `headerSource()`: a client certificate forwarded by a TLS-terminating proxy. */
export interface HeaderSourceOptions {
  /** How the proxy encodes the certificate. */
  format: HeaderCertificateFormat;
  /** Header name (lower-case or not). Default: the format's own (see PROXIES.md). */
  header?: string;
  /** CIDRs of the proxies allowed to send the header. Required, no default. */
  trustedProxies: readonly string[];
  /** Header carrying a hex SHA-256 fingerprint (hash-only sources, or cross-check when both arrive). Default none. */
  hashHeader?: string;
  /** Largest header value accepted, in bytes. Default 16384. */
  maxHeaderBytes?: number;
}

/** A JSON Web Key as found in a JWKS. */
export interface Jwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  n?: string;
  e?: string;
  x?: string;
  y?: string;
  [member: string]: unknown;
}

/** Options of `createVerifier`: checked when the verifier is created (a ConfigurationError names the field). */
export interface VerifierOptions {
  /** Accepted `iss`: exact string, list, or a template containing `{tenantid}` matched against the token's `tid`. */
  issuer: string | string[];
  /** This resource's identifier(s); the token's `aud` must contain one. */
  audience: string | string[];
  /** The allow-list of JWS algorithms. Required. */
  algorithms: JwsAlgorithm[];
  /**
   * Where the verification keys come from: `remoteKeys({ uri })` or `staticKeys(jwks)`. Required, except with
   * `introspection` for `tokens: "all"` (no token is then verified locally).
   */
  keys?: KeySource;
  /**
   * Token introspection (RFC 7662) for tokens that are not JWTs, or for all tokens: `introspection({ endpoint, … })`.
   * The answer is decided like a JWT's claims (issuer, audience, times, `cnf` under `binding`). Default none.
   * @see RFC 8705 §3.2
   */
  introspection?: IntrospectionSource;
  /** Allowed JOSE `typ` values, compared case-insensitively. Default ["at+jwt", "application/at+jwt"]. */
  tokenTypes?: string[];
  /** Leeway for `exp`/`nbf`/`iat`, in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** Clock for tests: returns the current time in milliseconds. Default `Date.now`. */
  currentTime?: () => number;
  /** Claims that must be present besides `exp`, `iss` and `aud`. Default []. */
  requiredClaims?: string[];
  /** Default "required". */
  binding?: BindingPolicy;
  /** Accepted Authorization schemes, case-insensitive. Default ["Bearer", "mtls_pop"]. */
  schemes?: string[];
  /**
   * Where the request's client certificate comes from: `tlsSource()` (the connection's own, the default) or
   * `headerSource({ format, trustedProxies })` (forwarded by a TLS-terminating proxy).
   */
  certificateSource?: CertificateSource;
  /** Longest accepted token in characters. Default 8192. */
  maxTokenLength?: number;
  /**
   * Verified-token cache. Default `{ maxEntries: 10000, maxBytes: 67108864 }`; `false` disables it. An entry holds
   * the token and its parsed claims: measured at about 1.8 × the token length + 0.3 KB of heap (≈ 2 KB for a 1 KB
   * token, so ≈ 20 MB for 10,000 such entries). `maxBytes` (default 64 MiB) bounds the estimated total
   * (2 × token length + 320 bytes per entry) whatever the token sizes. Time claims, the signing key and the binding
   * are re-checked on every hit.
   */
  cache?: false | { maxEntries?: number; maxBytes?: number };
  /** Optional `realm` parameter in challenges. */
  realm?: string;
  /**
   * The resource's metadata URL (RFC 9728 §3.1, e.g. `resourceMetadata({ … }).url`): challenges then carry
   * `resource_metadata="…"` (§5.1). Default none.
   */
  resourceMetadata?: string;
  /** Receives one event per decision. Must not throw (exceptions are swallowed). */
  onEvent?: (event: VerifierEvent) => void;
  /**
   * OpenTelemetry metrics and spans (docs/observability.md). By default the providers registered globally through
   * `@opentelemetry/api`, when that optional peer is installed; `false` turns telemetry off; an object names the
   * providers to use instead of the global ones (a provider left out falls back to the global one).
   */
  telemetry?: false | TelemetryOptions;
}

/**
 * OpenTelemetry providers, e.g. an SDK's `BasicTracerProvider` and `MeterProvider`. Typed by the one method used so
 * that these declarations need no `@opentelemetry/api`.
 */
export interface TelemetryOptions {
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
  meterProvider?: { getMeter(name: string, version?: string): unknown };
}

/** What an HTTP adapter hands to the verifier. */
export interface RequestInput {
  headers: IncomingHttpHeaders;
  /** Node's `req.rawHeaders`, used to detect duplicate headers that `headers` folds. */
  rawHeaders?: readonly string[];
  /** The request's socket (a `tls.TLSSocket` for HTTPS). */
  socket?: unknown;
  /** Peer address of the immediate connection; defaults to `socket.remoteAddress`. */
  remoteAddress?: string;
  /** Request URL (path and query), used to refuse query-string tokens. */
  url?: string;
}

/** Stable error codes; `switch (result.code)` narrows. */
export type ErrorCode =
  | 'ERR_NO_CREDENTIALS'
  | 'ERR_UNSUPPORTED_SCHEME'
  | 'ERR_AUTHORIZATION_DUPLICATE'
  | 'ERR_AUTHORIZATION_MALFORMED'
  | 'ERR_MULTIPLE_METHODS'
  | 'ERR_QUERY_TOKEN'
  | 'ERR_TOKEN_TOO_LONG'
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWE_UNSUPPORTED'
  | 'ERR_JOSE_HEADER_INVALID'
  | 'ERR_CRIT_UNSUPPORTED'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_TYP_NOT_ALLOWED'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_ALG_MISMATCH'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_CLAIM_MISSING'
  | 'ERR_ISSUER_MISMATCH'
  | 'ERR_AUDIENCE_MISMATCH'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_ISSUED_IN_FUTURE'
  | 'ERR_CNF_INVALID'
  | 'ERR_TOKEN_NOT_BOUND'
  | 'ERR_CERTIFICATE_MISSING'
  | 'ERR_BINDING_MISMATCH'
  | 'ERR_CERTIFICATE_HEADER_INVALID'
  | 'ERR_CERTIFICATE_HEADER_DUPLICATE'
  | 'ERR_CERTIFICATE_HASH_MISMATCH'
  /** `verifyToken` was given certificate bytes, PEM or a thumbprint that is not well-formed. */
  | 'ERR_CERTIFICATE_INVALID'
  /** The introspection endpoint said `active: false`. */
  | 'ERR_TOKEN_INACTIVE'
  /** The introspection endpoint did not answer usably (down, slow, oversized, malformed): 503. */
  | 'ERR_INTROSPECTION_UNAVAILABLE'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_INSUFFICIENT_ROLE'
  | 'ERR_VERIFICATION_FAILED';

/** RFC 6750 §3.1 error codes, plus `temporarily_unavailable` for a JWKS outage with an unknown key. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

/** A verified token's claims (deeply frozen): the registered claims typed, the rest as JSON. @see RFC 7519 §4.1 */
export type JwtClaims = Record<string, unknown> & {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  cnf?: Record<string, unknown>;
};

/** A verified token's JOSE header (deeply frozen). @see RFC 7515 §4 */
export type JoseHeader = Record<string, unknown> & { alg: string; kid?: string; typ?: string };

/** An accepted request: the verified token and the certificate it was presented with. */
export interface VerifySuccess {
  ok: true;
  claims: JwtClaims;
  header: JoseHeader;
  /** `x5t#S256` of the request's certificate, or null when there was none. */
  thumbprint: string | null;
  /** The Authorization scheme as the client sent it, normalised to the configured spelling. */
  scheme: string;
  /** The raw token. */
  token: string;
}

/**
 * A refused request, ready to send: status, RFC 6750 error, `WWW-Authenticate` challenge and JSON body. Shared and
 * frozen: the same object serves every request refused for the same reason.
 * @see RFC 6750 §3
 */
export interface VerifyFailure {
  ok: false;
  status: 400 | 401 | 403 | 503;
  /** Absent when the request carried no credentials (RFC 6750 §3.1: no error code then). */
  error: OAuthErrorCode | undefined;
  /** Safe, fixed text (never reflects input). */
  description: string;
  code: ErrorCode;
  /** The full `WWW-Authenticate` value. */
  challenge: string;
  /** JSON body adapters send: `{ error, error_description }`. */
  body: { error: string; error_description: string };
  /** For `insufficient_scope`: the scopes or roles required. */
  scope?: string;
  /** For 503 (`ERR_JWKS_UNAVAILABLE`): seconds to send as `Retry-After` (RFC 9110 §10.2.3). */
  retryAfter?: number;
}

/** What `verifyRequest` and `verifyToken` resolve to; `result.ok` narrows. */
export type VerifyResult = VerifySuccess | VerifyFailure;

/**
 * One decision, for logs and metrics (`onEvent`), or one JWKS refresh (`jwks-refresh`: `ok`, `keyCount`, and on
 * failure `jwksFailure`). Subject and client id come only from signature-verified claims.
 */
export interface VerifierEvent {
  type: 'accepted' | 'rejected' | 'report-only' | 'untrusted-proxy-header' | 'jwks-refresh';
  code?: ErrorCode;
  thumbprint: string | null;
  subject?: string;
  clientId?: string;
  scheme?: string;
  remoteAddress?: string;
  /** `jwks-refresh`: whether the refresh succeeded. */
  ok?: boolean;
  /** `jwks-refresh`: usable keys held after it. */
  keyCount?: number;
  /** Why the keys are unavailable: on a failed `jwks-refresh`, and on `rejected` with `ERR_JWKS_UNAVAILABLE`. */
  jwksFailure?: JwksFailure;
  /** Milliseconds since the epoch, from the verifier's clock. */
  time: number;
}

/** What `verifier.state()` reports: for readiness probes (`ready`) and diagnostics (`lastError`). */
export type VerifierState = KeyStoreState;

/** What a certificate source reports for one request. */
export type CertificateLookup =
  | {
      ok: true;
      /** `x5t#S256` of the leaf certificate, or null when the request has none. */
      thumbprint: string | null;
      from: 'tls' | 'header' | 'none';
      /** Set when a certificate header arrived from a peer that is not a trusted proxy and was ignored. */
      ignoredUntrustedHeader?: boolean;
    }
  | { ok: false; code: 'ERR_CERTIFICATE_HEADER_INVALID' | 'ERR_CERTIFICATE_HEADER_DUPLICATE' | 'ERR_CERTIFICATE_HASH_MISMATCH'; description: string };

/** Where a request's client certificate comes from: `tlsSource()` or `headerSource(...)`. `lookup` never throws. */
export interface CertificateSource {
  readonly type: 'tls' | 'header';
  lookup(input: RequestInput): CertificateLookup;
}

/**
 * The certificate a non-HTTP caller hands `verifyToken`: DER bytes of the leaf, PEM text (its first CERTIFICATE
 * block), a precomputed `{ thumbprint }` (canonical `x5t#S256`), or null for none.
 */
export type CertificateArgument = Uint8Array | string | { thumbprint: string } | null;

/** A verifier from `createVerifier`: verifies requests or tokens, never throws for client input. */
export interface Verifier {
  /** Verify one HTTP request. Never rejects for anything a client can send. */
  verifyRequest(input: RequestInput): Promise<VerifyResult>;
  /** Verify a token against a certificate (DER bytes, PEM, or a precomputed thumbprint), for non-HTTP callers. */
  verifyToken(token: string, certificate: CertificateArgument, options?: { scheme?: string }): Promise<VerifyResult>;
  /** The options in force, with defaults applied. */
  readonly options: Readonly<ResolvedVerifierOptions>;
  /** Release timers and agents (remote JWKS). */
  close(): Promise<void>;
  /**
   * The key state: `ready` once usable keys are loaded (static keys: always), the key count and the last refresh
   * error. Reading it starts a due refresh in the background, so a readiness probe loads remote keys.
   */
  state(): VerifierState;
}

/** The options a verifier runs with: every default applied, frozen. */
export type ResolvedVerifierOptions = Required<Omit<VerifierOptions, 'onEvent' | 'realm' | 'introspection' | 'resourceMetadata' | 'telemetry'>> &
  Pick<VerifierOptions, 'onEvent' | 'realm' | 'introspection' | 'resourceMetadata' | 'telemetry'>;
