import type { Dispatcher, RequestInit, Response } from 'undici';
import type { BindingCertificate } from './binding-certificate.js';
import type { TokenCache } from './token-cache.js';

/** A certificate and its private key as PEM, each either the PEM text itself or a file path. */
export interface PemCertificateCredential {
  /** PEM text (leaf first, chain may follow) or a path to a PEM file. A file holding both cert and key is fine. */
  certificate: string;
  /** PEM text or file path of the private key (PKCS#8, PKCS#1 or SEC1; encrypted if `passphrase` is given). */
  privateKey?: string;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
}

/** A PKCS#12 (PFX) bundle holding the certificate and its private key. */
export interface PfxCertificateCredential {
  /** The PFX bytes, or a path to a `.pfx`/`.p12` file. */
  pfx: string | Uint8Array;
  /** Passphrase of the PFX. */
  passphrase?: string;
}

/** A certificate credential: the app's certificate and private key. */
export type CertificateCredential = PemCertificateCredential | PfxCertificateCredential;

/** What a credential provider or assertion callback is told about the acquisition it serves. */
export interface CredentialContext {
  readonly clientId: string;
  /** The configured authority (Entra) or issuer (RFC 8705). */
  readonly authority: string;
  /** The scopes being requested. */
  readonly scopes: readonly string[];
  /** Whether the acquisition asked for an mTLS PoP token. */
  readonly mtlsProofOfPossession: boolean;
  /**
   * The acquisition's correlation id (sent as `client-request-id`): a Leg 2 assertion callback passes it to its Leg 1
   * acquisition so both legs share one id.
   */
  readonly correlationId: string;
  /**
   * Entra: the authority's token endpoint, `https://{authority host}/{tenant}/oauth2/v2.0/token` (the request itself
   * may go to the mTLS or regional host). RFC 8705: the issuer identifier (its endpoint comes from discovery).
   */
  readonly tokenEndpoint: string;
}

/**
 * Called once per acquisition (cache hits included: the returned certificate is part of the cache key), so a
 * rotated certificate is picked up by the next call.
 */
export type CertificateProvider = (context: CredentialContext) => CertificateCredential | Promise<CertificateCredential>;

/** The answer of a client-assertion callback (MSAL's `ClientSignedAssertion`). */
export interface ClientSignedAssertion {
  /** The assertion: in Leg 2 of the FIC two-leg flow, the Leg 1 access token. */
  assertion: string;
  /**
   * The certificate the assertion is bound to: in Leg 2, Leg 1's `bindingCertificate` (or the same certificate as a
   * {@link CertificateCredential}). When present the request is `jwt-pop` over mTLS with this certificate.
   */
  tokenBindingCertificate?: BindingCertificate | CertificateCredential;
}

/** Called once per acquisition; a plain string is an assertion without a binding certificate (`jwt-bearer`). */
export type ClientAssertionCallback = (context: CredentialContext) => string | ClientSignedAssertion | Promise<string | ClientSignedAssertion>;

/** How the client authenticates to the token endpoint. */
export type ClientCredential =
  | CertificateCredential
  | CertificateProvider
  | { clientAssertion: string | ClientAssertionCallback }
  | { clientSecret: string };

/** HTTP settings for the token endpoint, discovery and `client.fetch`. */
export interface HttpOptions {
  /**
   * Deadline of one token or discovery request, ms: connect, headers and the whole body, retries and their waits
   * included. Concurrent acquisitions sharing the request get the same `request_timeout` error. Default 60000.
   */
  requestTimeoutMs?: number;
  /** TCP + TLS connect timeout, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Time to receive the response headers, ms. Default 30000. */
  headersTimeoutMs?: number;
  /** Idle time allowed between body chunks, ms. Default 30000. */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept, ms. Default 30000. */
  keepAliveTimeoutMs?: number;
  /** Largest token-endpoint or discovery response accepted, bytes. Default 262144. */
  maxResponseBytes?: number;
  /**
   * Attempts per token or discovery request, first one included. Default 2 (MSAL: one retry). Retried: a 5xx without
   * `Retry-After`, and connection failures; never a 429 or an answer carrying `Retry-After` unless `retryOn429`.
   */
  maxAttempts?: number;
  /** First retry delay, ms; doubles per further attempt. Default 1000 (MSAL's one second). */
  retryBaseDelayMs?: number;
  /** Largest delay between attempts, ms (with `retryOn429`, a longer `Retry-After` ends the retries). Default 10000. */
  retryMaxDelayMs?: number;
  /** Also retry 429 and 5xx answers that carry `Retry-After`, waiting it out (up to `retryMaxDelayMs`). Default false. */
  retryOn429?: boolean;
  /**
   * MSAL's throttling: after an error answer with `Retry-After`, the identical request (same client, endpoint, scopes,
   * token type and certificate) fails locally with `ERR_CLIENT_THROTTLED` until then, capped at this many ms.
   * 0 turns throttling off. Default 3600000 (MSAL's one hour cap).
   */
  throttleMaxMs?: number;
  /** mTLS agents kept (one per certificate thumbprint); the least recently used is closed beyond this. Default 16. */
  maxAgents?: number;
}

/** Options of {@link createConfidentialClient}. */
export interface ConfidentialClientOptions {
  /** The application (client) id. Required. */
  clientId: string;
  /**
   * Entra: `https://login.microsoftonline.com/{tenant}` (or a sovereign `https://login.X/{tenant}`).
   * RFC 8705: the issuer identifier; metadata comes from discovery. Required.
   */
  authority: string;
  /**
   * `'entra'` (MSAL's host table and wire format), `'rfc8705'` (any issuer, RFC 8414 discovery, the standard form
   * body), or `'generic'`: discovery as `'rfc8705'`, but a PoP request also sends `token_type=mtls_pop`, as MSAL does
   * for generic (OIDC) and dSTS authorities, and accepts an `mtls_pop` answer. Default `'entra'`.
   */
  authorityType?: 'entra' | 'rfc8705' | 'generic';
  /** How the client authenticates. Required. RFC 8705 authorities accept certificate credentials only. */
  credential: ClientCredential;
  /**
   * Entra region for the regional token host, e.g. `westus3`, as MSAL's `WithAzureRegion`. `'TryAutoDetect'` reads the
   * `REGION_NAME` environment variable (no IMDS call); not set: no region, unless `MSAL_FORCE_REGION` names one;
   * `false` or `'DisableMsalForceRegion'`: no region. A non-empty `MSAL_DISABLE_REGION` turns regions off whatever
   * is configured. The environment is read when the client is created; a malformed region is ignored (global host).
   */
  azureRegion?: string | false;
  /**
   * Entra only: send matching token requests to another origin, keyed by the computed token host, e.g.
   * `{ 'mtlsauth.microsoft.com': 'https://127.0.0.1:8443' }` for a local authorization server. The path is kept
   * and the origin's TLS certificate is verified as usual (add its CA with `ca`). Default none.
   */
  hostOverrides?: Readonly<Record<string, string>>;
  /** Extra CA certificate(s) trusted for servers, PEM text or file paths, added to Node's root store. Default none. */
  ca?: string | readonly string[];
  /** RFC 8705 only: the client authentication method registered at the server. Default `'tls_client_auth'`. */
  tokenEndpointAuthMethod?: 'tls_client_auth' | 'self_signed_tls_client_auth';
  /** Entra, certificate credential without PoP: put the `x5c` chain in the signed client assertion (SNI). Default false. */
  sendX5C?: boolean;
  /** A token cache to share between clients. Default: a new cache per client ({@link TokenCache} defaults). */
  tokenCache?: TokenCache;
  /** HTTP settings. */
  http?: HttpOptions;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  /**
   * Called with each {@link ClientEvent} (requests, responses, retries, cache hits and misses, background refreshes,
   * throttling). Events carry hosts, statuses, scopes, thumbprints and correlation ids: never a token, key,
   * assertion or secret. An exception thrown by the logger is ignored. Default none.
   */
  logger?: (event: ClientEvent) => void;
  /**
   * OpenTelemetry spans and metrics for token requests (docs/observability.md). Default: the providers registered
   * through `@opentelemetry/api` when that optional peer is installed; `false` turns them off; an object names the
   * providers to use instead.
   */
  telemetry?: false | ClientTelemetryOptions;
}

/** OpenTelemetry providers (e.g. an SDK's tracer and meter providers), typed by the one method used. */
export interface ClientTelemetryOptions {
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
  meterProvider?: { getMeter(name: string, version?: string): unknown };
}

/** What the client reports to `logger`. */
export type ClientEvent =
  | { readonly type: 'request'; readonly correlationId: string; readonly method: string; readonly host: string; readonly path: string; readonly attempt: number }
  | { readonly type: 'response'; readonly correlationId: string; readonly host: string; readonly status: number; readonly attempt: number; readonly durationMs: number }
  | { readonly type: 'retry'; readonly correlationId: string; readonly host: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'cache-hit'; readonly correlationId: string; readonly scopes: readonly string[]; readonly thumbprint: string; readonly refreshDue: boolean }
  | { readonly type: 'cache-miss'; readonly correlationId: string; readonly scopes: readonly string[]; readonly thumbprint: string }
  | { readonly type: 'cache-error'; readonly correlationId: string; readonly operation: 'lookup' | 'store'; readonly message: string }
  | {
      readonly type: 'refresh';
      readonly correlationId: string;
      readonly scopes: readonly string[];
      readonly thumbprint: string;
      readonly outcome: 'started' | 'succeeded' | 'failed';
      /** On `failed`: the error code; the cached token is still served until it is no longer valid. */
      readonly code?: string;
    }
  | { readonly type: 'throttled'; readonly correlationId: string; readonly host: string; readonly retryAfterMs: number };

/** Parameters of `acquireTokenForClient` (MSAL's `AcquireTokenForClient(scopes)` builder). */
export interface AcquireTokenForClientRequest {
  /** Scopes, e.g. `['https://graph.microsoft.com/.default']`. Required, at least one. */
  scopes: readonly string[];
  /** MSAL's `.WithMtlsProofOfPossession()`: ask for a token bound to the certificate. Default false. */
  mtlsProofOfPossession?: boolean;
  /** Skip the cache lookup (a concurrent request for the same key is still shared). Default false. */
  forceRefresh?: boolean;
  /** Claims challenge (JSON) to send as `claims`; implies a cache bypass. Default none. */
  claims?: string;
  /**
   * Sent as `client-request-id` (with `return-client-request-id: true`), returned on the result and on errors, and
   * given to credential callbacks. Visible ASCII, at most 128 characters; Entra expects a GUID. Default: a new UUID.
   */
  correlationId?: string;
}

/** The token type a result carries: `mtls_pop` (Entra PoP), `Bearer`, or `N_A` (RFC 8693-style servers). */
export type ResultTokenType = 'mtls_pop' | 'Bearer' | 'N_A';

/** The result of an acquisition (MSAL's `AuthenticationResult`). */
export interface AuthenticationResult {
  readonly accessToken: string;
  /** `mtls_pop` for PoP tokens from Entra; `Bearer` (or `N_A`) otherwise, including RFC 8705 bound tokens. */
  readonly tokenType: ResultTokenType;
  /** When the token expires (for a response without `expires_in`: the time it was received; such tokens are not cached). */
  readonly expiresOn: Date;
  /** Scopes granted (the response's `scope`, else the requested ones). */
  readonly scopes: readonly string[];
  /** The certificate the token is bound to, also on cache hits; `null` for a token that is not bound. */
  readonly bindingCertificate: BindingCertificate | null;
  /** Where the token came from. */
  readonly source: 'cache' | 'network';
  /** The token endpoint that issued the token (the computed URL, before any `hostOverrides`). */
  readonly tokenEndpoint: string;
  /**
   * The correlation id: on a network result the one sent with the request (a caller that joined a running request for
   * the same token gets that request's), on a cache hit the caller's.
   */
  readonly correlationId: string;
  /** `mtls_pop <token>` for PoP tokens, `Bearer <token>` otherwise. */
  createAuthorizationHeader(): string;
}

/** `client.fetch` options: undici's `RequestInit` plus what to acquire. */
export type ClientFetchInit = Omit<RequestInit, 'dispatcher'> & {
  /** Scopes of the token to send. Required. */
  scopes: readonly string[];
  /** Send an mTLS PoP token. Default false. */
  mtlsProofOfPossession?: boolean;
  /** On a `401` with `error="invalid_token"`, re-acquire (forceRefresh) and retry once (replayable bodies only). Default true. */
  retryOnInvalidToken?: boolean;
  /** Correlation id of the token acquisition (see `AcquireTokenForClientRequest.correlationId`). Default: a new UUID. */
  correlationId?: string;
};

/** A confidential client (MSAL's `IConfidentialClientApplication`, client-credentials part). */
export interface ConfidentialClient {
  readonly clientId: string;
  readonly authority: string;
  /** Acquire a token for the app itself (cache first). */
  acquireTokenForClient(request: AcquireTokenForClientRequest): Promise<AuthenticationResult>;
  /**
   * Call a protected API: acquires a token, then sends the request over mTLS with the bound certificate and
   * `Authorization: mtls_pop <token>` (or `Bearer`). Redirects are not followed unless `redirect` says so.
   */
  fetch(url: string | URL, init: ClientFetchInit): Promise<Response>;
  /** The undici dispatcher that presents `certificate` (for callers using undici directly). */
  dispatcherFor(certificate: BindingCertificate | null): Dispatcher;
  /** Close every connection; later calls fail with `ERR_CLIENT_CLOSED`. */
  close(): Promise<void>;
}
