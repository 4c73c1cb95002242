import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { fetch as undiciFetch, Headers, type Dispatcher, type Response } from 'undici';
import type { BindingCertificate } from '../binding-certificate.js';
import { assertMtlsEnvironment, assertTenanted, entraTokenHost, type EntraAuthority } from '../entra-token-endpoint.js';
import { CertboundClientError, TokenEndpointError, type TokenEndpointErrorDetails } from '../errors.js';
import { cacheKey, type CacheHit, type CacheKeyParts, type CachedToken, type TokenCache } from '../token-cache.js';
import type { AcquireTokenForClientRequest, AuthenticationResult, ClientEvent, ClientFetchInit, ConfidentialClient, CredentialContext } from '../types.js';
import type { CredentialLoader, ResolvedCredential } from './credential.js';
import { discoverRfc8705, type Rfc8705Metadata } from './discovery.js';
import { assertKnownKeys } from './known-options.js';
import { sendWithRetry, type AgentPool, type HttpSettings } from './http.js';
import { normaliseScopes, type NormalisedScopes } from './scopes.js';
import { signClientAssertion } from './signed-assertion.js';
import { tokenRequestBody, type ClientAuthentication } from './token-request.js';
import { parseTokenResponse, type ExpectedTokenType, type TokenResponse } from './token-response.js';
import { libraryHeaders } from './version.js';
import { flowOf, type ClientTelemetry, type TokenRequestSpan } from '../telemetry.js';

/** Everything `createConfidentialClient` validated. */
export interface ClientConfig {
  readonly clientId: string;
  readonly authority: string;
  readonly kind: 'entra' | 'rfc8705';
  /** `authorityType: 'generic'`: PoP requests to a discovered endpoint also send `token_type=mtls_pop`. */
  readonly mtlsPopParameter: boolean;
  /** Entra only. */
  readonly entra: EntraAuthority | undefined;
  /** RFC 8705 only: the issuer identifier. */
  readonly issuer: URL | undefined;
  readonly region: string | undefined;
  readonly hostOverrides: ReadonlyMap<string, URL>;
  readonly tokenEndpointAuthMethod: 'tls_client_auth' | 'self_signed_tls_client_auth';
  readonly sendX5C: boolean;
  readonly credentials: CredentialLoader;
  readonly cache: TokenCache;
  readonly pool: AgentPool;
  readonly http: HttpSettings;
  readonly now: () => number;
  readonly logger: ((event: ClientEvent) => void) | undefined;
  /** Null when telemetry is off. */
  readonly telemetry: ClientTelemetry | null;
}

/** How one acquisition will be made, decided before any network call. */
interface Plan {
  /** Client authentication; `sign` = a private_key_jwt signed at send time. */
  readonly auth: ClientAuthentication | { readonly kind: 'sign' };
  /** Certificate presented on the TLS connection, or null. */
  readonly connectionCertificate: BindingCertificate | null;
  /** Certificate of the credential (part of the cache key even when not on the connection). */
  readonly credentialCertificate: BindingCertificate | null;
  /** Send `token_type=mtls_pop`. */
  readonly popParameter: boolean;
  readonly expected: ExpectedTokenType;
  readonly requestedType: 'mtls_pop' | 'bearer';
  /** The certificate the issued token is bound to (the result's `bindingCertificate`). */
  readonly binding: BindingCertificate | null;
}

const REQUEST_OPTIONS: Record<keyof AcquireTokenForClientRequest, true> = { scopes: true, mtlsProofOfPossession: true, forceRefresh: true, claims: true, correlationId: true };
const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;
/** Distinct failing requests remembered for throttling. */
const MAX_THROTTLED = 1000;
/** MSAL's jitter on `refresh_in`, ± seconds, so instances sharing a token do not all refresh at once. */
const REFRESH_JITTER_SECONDS = 300;

/**
 * When a background refresh becomes due: at the server's `refresh_in`, else (MSAL's estimate) halfway through a
 * lifetime of two hours or more; shorter tokens are re-acquired when they stop being served.
 */
export function refreshAt(receivedAt: number, expiresInSeconds: number, refreshInSeconds: number | undefined, random: () => number = Math.random): number | undefined {
  const seconds = refreshInSeconds !== undefined && refreshInSeconds < expiresInSeconds ? refreshInSeconds : expiresInSeconds >= 7200 ? expiresInSeconds / 2 : undefined;
  if (seconds === undefined) return undefined;
  const jitter = Math.min(REFRESH_JITTER_SECONDS, seconds / 10) * (2 * random() - 1);
  return receivedAt + (seconds + jitter) * 1000;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

function pick(error: TokenEndpointError): Omit<TokenEndpointErrorDetails, 'status' | 'retryAfterMs'> {
  const details: Omit<TokenEndpointErrorDetails, 'status' | 'retryAfterMs'> = {};
  if (error.error !== undefined) details.error = error.error;
  if (error.error_description !== undefined) details.error_description = error.error_description;
  if (error.error_codes !== undefined) details.error_codes = error.error_codes;
  if (error.correlation_id !== undefined) details.correlation_id = error.correlation_id;
  if (error.trace_id !== undefined) details.trace_id = error.trace_id;
  return details;
}
const REQUEST_NAMES = Object.keys(REQUEST_OPTIONS);

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;

function toResult(token: CachedToken, source: 'cache' | 'network', binding: BindingCertificate | null, correlationId: string): AuthenticationResult {
  // @see docs/protocol.md §3 — MSAL's CreateAuthorizationHeader(): `mtls_pop <token>`; RFC 8705/6750 use Bearer.
  const header = `${token.tokenType === 'mtls_pop' ? 'mtls_pop' : 'Bearer'} ${token.accessToken}`;
  return Object.freeze({
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresOn: new Date(token.expiresAt),
    scopes: token.scopes,
    bindingCertificate: binding,
    source,
    tokenEndpoint: token.tokenEndpoint,
    correlationId,
    createAuthorizationHeader: () => header,
  });
}

function isReplayable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob
  );
}

/** @see RFC 6750 §3.1 — the resource says the token is invalid (expired, revoked, or bound to another certificate). */
function saysInvalidToken(challenge: string | null): boolean {
  return challenge !== null && /error\s*=\s*"?invalid_token"?/i.test(challenge);
}

export class ConfidentialClientImpl implements ConfidentialClient {
  readonly clientId: string;
  readonly authority: string;
  readonly #config: ClientConfig;
  #metadata: Promise<Rfc8705Metadata> | undefined;
  readonly #throttled = new Map<string, { until: number; error: TokenEndpointError }>();
  readonly #background = new Set<Promise<unknown>>();

  constructor(config: ClientConfig) {
    this.#config = config;
    this.clientId = config.clientId;
    this.authority = config.authority;
  }

  async acquireTokenForClient(request: AcquireTokenForClientRequest): Promise<AuthenticationResult> {
    if (typeof request !== 'object' || request === null) throw new TypeError('acquireTokenForClient needs { scopes }');
    assertKnownKeys(request, REQUEST_NAMES, 'acquireTokenForClient option');
    const scopes = normaliseScopes(request.scopes);
    for (const flag of ['mtlsProofOfPossession', 'forceRefresh'] as const) {
      if (request[flag] !== undefined && typeof request[flag] !== 'boolean') throw new TypeError(`${flag} must be a boolean`);
    }
    const claims = request.claims;
    if (claims !== undefined) {
      if (typeof claims !== 'string') throw new TypeError('claims must be a JSON string');
      try {
        JSON.parse(claims);
      } catch {
        throw new TypeError('claims must be a JSON string');
      }
    }
    const given = request.correlationId;
    // It travels as a header value: visible ASCII only, so it can neither break nor add a header line.
    if (given !== undefined && (typeof given !== 'string' || !CORRELATION_ID.test(given))) {
      throw new TypeError('correlationId must be 1 to 128 visible ASCII characters (a GUID is what Entra expects)');
    }
    const correlationId = given ?? randomUUID();
    try {
      return await this.#acquire(scopes, request.mtlsProofOfPossession === true, request.forceRefresh === true, claims, correlationId);
    } catch (error) {
      if (error instanceof CertboundClientError && error.correlationId === undefined) error.correlationId = correlationId;
      throw error;
    }
  }

  #emit(event: ClientEvent): void {
    try {
      this.#config.logger?.(event);
    } catch {
      // A failing logger must not fail token acquisition.
    }
  }

  /** The authority's own token endpoint (what MSAL gives assertion callbacks), or the RFC 8705 issuer. */
  #authorityTokenEndpoint(): string {
    const entra = this.#config.entra;
    return entra === undefined ? (this.#config.issuer as URL).href : `https://${entra.host}/${entra.tenant}/oauth2/v2.0/token`;
  }

  async #acquire(scopes: NormalisedScopes, pop: boolean, forceRefresh: boolean, claims: string | undefined, correlationId: string): Promise<AuthenticationResult> {
    const config = this.#config;
    if (config.pool.closed) throw new CertboundClientError('ERR_CLIENT_CLOSED', 'The client has been closed');
    // An authority naming no tenant at all has no token endpoint path to send to.
    if (config.entra !== undefined && config.entra.tenant === '') assertTenanted(config.entra);
    const context: CredentialContext = Object.freeze({
      clientId: config.clientId,
      authority: config.authority,
      scopes: scopes.list,
      mtlsProofOfPossession: pop,
      correlationId,
      tokenEndpoint: this.#authorityTokenEndpoint(),
    });
    // MSAL's precedence: for PoP the certificate comes first (mtls_certificate_not_provided), then the tenant
    // (missing_tenanted_authority is a PoP-only check; a bearer request to /common goes to the server, as in MSAL).
    const credential = await config.credentials.resolve(context);
    const plan = this.#plan(credential, pop);
    if (config.entra !== undefined && pop) {
      assertTenanted(config.entra);
      assertMtlsEnvironment(config.entra);
    }
    const parts: CacheKeyParts = {
      environment: config.entra?.host ?? config.issuer?.href ?? '',
      tenant: config.entra?.tenant ?? '',
      clientId: config.clientId,
      scopes: scopes.key,
      requestedType: plan.requestedType,
      thumbprint: plan.credentialCertificate?.thumbprint ?? '',
    };
    const key = cacheKey(parts);
    if (!forceRefresh && claims === undefined) {
      let hit: CacheHit | undefined;
      try {
        hit = await config.cache.lookup(parts, config.now());
      } catch (error) {
        // An unreachable shared store costs a token request, not the acquisition.
        this.#emit({ type: 'cache-error', correlationId, operation: 'lookup', message: describe(error) });
      }
      if (hit !== undefined) {
        this.#emit({ type: 'cache-hit', correlationId, scopes: scopes.list, thumbprint: parts.thumbprint, refreshDue: hit.refreshDue });
        if (hit.refreshDue) this.#refreshInBackground(plan, scopes, parts, key, correlationId);
        return toResult(hit.token, 'cache', plan.binding, correlationId);
      }
      this.#emit({ type: 'cache-miss', correlationId, scopes: scopes.list, thumbprint: parts.thumbprint });
    }
    const acquire = () => this.#acquireFromNetwork(plan, scopes, claims, parts, correlationId);
    // A claims challenge makes a different request body: it is not shared with plain acquisitions.
    return claims === undefined ? config.cache.singleFlight(key, acquire) : acquire();
  }

  /**
   * MSAL's proactive refresh: once `refresh_in` has passed the cached token is still served, and one request for a
   * new one runs outside the caller's path. If it fails, the cached token stays in use until it is no longer valid.
   */
  #refreshInBackground(plan: Plan, scopes: NormalisedScopes, parts: CacheKeyParts, key: string, correlationId: string): void {
    const cache = this.#config.cache;
    if (cache.isInFlight(key)) return;
    const base = { type: 'refresh', correlationId, scopes: scopes.list, thumbprint: parts.thumbprint } as const;
    this.#emit({ ...base, outcome: 'started' });
    const refreshing = cache.singleFlight(key, () => this.#acquireFromNetwork(plan, scopes, undefined, parts, correlationId));
    this.#background.add(refreshing);
    refreshing.then(
      () => this.#emit({ ...base, outcome: 'succeeded' }),
      (error: unknown) => this.#emit({ ...base, outcome: 'failed', code: error instanceof CertboundClientError ? error.code : 'unknown' }),
    ).finally(() => this.#background.delete(refreshing));
  }

  /** Settles when every background refresh started so far has finished (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** docs/protocol.md §4–6: which request this credential and PoP choice make. */
  #plan(credential: ResolvedCredential, pop: boolean): Plan {
    const config = this.#config;
    if (config.kind === 'rfc8705') {
      if (credential.kind !== 'certificate') throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_REQUIRED', 'RFC 8705 authorities need a certificate credential');
      const certificate = credential.certificate;
      return {
        auth: { kind: 'tls' },
        connectionCertificate: certificate,
        credentialCertificate: certificate,
        // MSAL sends token_type=mtls_pop to generic (OIDC) and dSTS authorities too; RFC 6749 §3.2 servers ignore it.
        popParameter: pop && config.mtlsPopParameter,
        expected: pop && config.mtlsPopParameter ? 'generic-pop' : 'rfc8705',
        requestedType: pop ? 'mtls_pop' : 'bearer',
        binding: certificate,
      };
    }
    switch (credential.kind) {
      case 'certificate':
        if (pop) {
          // Vanilla flow: the TLS client certificate is the credential; no client_assertion.
          const certificate = credential.certificate;
          return { auth: { kind: 'tls' }, connectionCertificate: certificate, credentialCertificate: certificate, popParameter: true, expected: 'mtls_pop', requestedType: 'mtls_pop', binding: certificate };
        }
        return { auth: { kind: 'sign' }, connectionCertificate: null, credentialCertificate: credential.certificate, popParameter: false, expected: 'bearer', requestedType: 'bearer', binding: null };
      case 'assertion': {
        const certificate = credential.certificate;
        if (certificate !== null) {
          // Leg 2 of the FIC two-leg flow: jwt-pop over mTLS with or without PoP (docs/protocol.md §5 matrix).
          if (!pop && config.entra !== undefined) assertMtlsEnvironment(config.entra);
          return {
            auth: { kind: 'jwt-pop', assertion: credential.assertion },
            connectionCertificate: certificate,
            credentialCertificate: certificate,
            popParameter: pop,
            expected: pop ? 'mtls_pop' : 'bearer',
            requestedType: pop ? 'mtls_pop' : 'bearer',
            binding: pop ? certificate : null,
          };
        }
        if (pop) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_REQUIRED', 'mTLS PoP needs a certificate: the client assertion came without tokenBindingCertificate');
        return { auth: { kind: 'jwt-bearer', assertion: credential.assertion }, connectionCertificate: null, credentialCertificate: null, popParameter: false, expected: 'bearer', requestedType: 'bearer', binding: null };
      }
      case 'secret':
        if (pop) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_REQUIRED', 'mTLS PoP needs a certificate credential, not a client secret');
        return { auth: { kind: 'secret', secret: credential.secret }, connectionCertificate: null, credentialCertificate: null, popParameter: false, expected: 'bearer', requestedType: 'bearer', binding: null };
    }
  }

  #discover(): Promise<Rfc8705Metadata> {
    const config = this.#config;
    if (this.#metadata === undefined) {
      const issuer = config.issuer as URL;
      const loading = discoverRfc8705(issuer, config.pool.plain(), config.http, config.now);
      // A failed discovery is retried by the next acquisition instead of being remembered.
      loading.catch(() => {
        if (this.#metadata === loading) this.#metadata = undefined;
      });
      this.#metadata = loading;
    }
    return this.#metadata;
  }

  /** `url` with its origin replaced when `hostOverrides` names its host. */
  #overridden(url: URL): URL {
    const override = this.#config.hostOverrides.get(url.host);
    return override === undefined ? url : new URL(`${url.pathname}${url.search}`, override);
  }

  /** The logical token endpoint (what results report) and where the request really goes (after hostOverrides). */
  async #endpoints(plan: Plan, pop: boolean): Promise<{ logical: URL; target: URL }> {
    const config = this.#config;
    if (config.entra !== undefined) {
      const host = entraTokenHost(config.entra, { mtls: plan.connectionCertificate !== null, region: config.region });
      const logical = new URL(`https://${host}/${config.entra.tenant}/oauth2/v2.0/token`);
      return { logical, target: this.#overridden(logical) };
    }
    const metadata = await this.#discover();
    if (pop && !metadata.boundAccessTokens) {
      throw new CertboundClientError('ERR_CLIENT_MTLS_NOT_SUPPORTED', `${metadata.issuer} does not advertise tls_client_certificate_bound_access_tokens`);
    }
    if (metadata.authMethods !== undefined && !metadata.authMethods.includes(config.tokenEndpointAuthMethod)) {
      throw new CertboundClientError('ERR_CLIENT_METADATA_INVALID', `${metadata.issuer} does not list ${config.tokenEndpointAuthMethod} in token_endpoint_auth_methods_supported`);
    }
    return { logical: metadata.tokenEndpoint, target: metadata.tokenEndpoint };
  }

  /** The key of MSAL's throttling cache: what makes two token requests identical. */
  #throttleKey(logical: URL, scopes: NormalisedScopes, parts: CacheKeyParts): string {
    return JSON.stringify([this.#config.clientId, logical.href, scopes.key, parts.requestedType, parts.thumbprint]);
  }

  /** One token request; its errors carry the correlation id that went on the wire, whoever else shares them. */
  async #acquireFromNetwork(plan: Plan, scopes: NormalisedScopes, claims: string | undefined, parts: CacheKeyParts, correlationId: string): Promise<AuthenticationResult> {
    const telemetry = this.#config.telemetry;
    try {
      if (telemetry === null) return await this.#requestToken(plan, scopes, claims, parts, correlationId, null);
      const flow = flowOf({ rfc8705: this.#config.kind === 'rfc8705', assertion: plan.auth.kind === 'jwt-pop' || plan.auth.kind === 'jwt-bearer', mtls: plan.connectionCertificate !== null, scopes: scopes.list });
      return await telemetry.tokenRequest(flow, plan.requestedType, (span) => this.#requestToken(plan, scopes, claims, parts, correlationId, span));
    } catch (error) {
      if (error instanceof CertboundClientError && error.correlationId === undefined) error.correlationId = correlationId;
      throw error;
    }
  }

  async #requestToken(plan: Plan, scopes: NormalisedScopes, claims: string | undefined, parts: CacheKeyParts, correlationId: string, span: TokenRequestSpan | null): Promise<AuthenticationResult> {
    const config = this.#config;
    const { logical, target } = await this.#endpoints(plan, plan.requestedType === 'mtls_pop');
    span?.server(target);
    const throttleKey = this.#throttleKey(logical, scopes, parts);
    const throttled = this.#throttled.get(throttleKey);
    const started = config.now();
    if (throttled !== undefined) {
      if (started < throttled.until) {
        const retryAfterMs = throttled.until - started;
        this.#emit({ type: 'throttled', correlationId, host: logical.host, retryAfterMs });
        const original = throttled.error;
        throw new TokenEndpointError('ERR_CLIENT_THROTTLED', `Not sent: ${logical.host} asked for this request to wait ${Math.ceil(retryAfterMs / 1000)} s more (${original.message})`, {
          status: original.status,
          ...pick(original),
          retryAfterMs,
        });
      }
      this.#throttled.delete(throttleKey);
    }
    let auth: ClientAuthentication;
    if (plan.auth.kind === 'sign') {
      const entra = config.entra as EntraAuthority;
      // MSAL signs for the authority's own token endpoint, not the regional host. An override of the authority host
      // stands in for it, so a local authorization server sees its own URL as the audience.
      const audience = this.#overridden(new URL(`https://${entra.host}/${entra.tenant}/oauth2/v2.0/token`)).href;
      auth = { kind: 'jwt-bearer', assertion: await signClientAssertion(plan.credentialCertificate as BindingCertificate, { clientId: config.clientId, audience, sendX5C: config.sendX5C, now: started }) };
    } else {
      auth = plan.auth;
    }
    const secrets = auth.kind === 'jwt-pop' || auth.kind === 'jwt-bearer' ? [auth.assertion] : auth.kind === 'secret' ? [auth.secret] : [];
    const body = tokenRequestBody(auth, { clientId: config.clientId, scope: scopes.wire, mtlsPop: plan.popParameter, claims });
    const dispatcher = config.pool.dispatcherFor(plan.connectionCertificate);
    const headers = { ...FORM_HEADERS, ...libraryHeaders(correlationId) };
    const response = await sendWithRetry({ url: target, method: 'POST', headers, body: body.toString() }, dispatcher, config.http, config.now, (event) =>
      this.#emit({ ...event, host: logical.host, correlationId }),
    );
    span?.status(response.status);
    let parsed: TokenResponse;
    try {
      parsed = parseTokenResponse(response, plan.expected, logical.host, secrets, config.now());
    } catch (error) {
      // MSAL's RetryAfterProvider: an error answer with Retry-After blocks the identical request until then.
      if (error instanceof TokenEndpointError && error.retryAfterMs !== undefined && config.http.throttleMaxMs > 0) {
        this.#throttled.delete(throttleKey);
        this.#throttled.set(throttleKey, { until: config.now() + Math.min(error.retryAfterMs, config.http.throttleMaxMs), error });
        while (this.#throttled.size > MAX_THROTTLED) this.#throttled.delete(this.#throttled.keys().next().value as string);
      }
      throw error;
    }
    if (config.kind === 'rfc8705' && plan.requestedType === 'mtls_pop') assertBoundTo(parsed.accessToken, plan.binding as BindingCertificate, logical.host);

    const expiresAt = parsed.expiresIn === undefined ? started : started + parsed.expiresIn * 1000;
    const token: CachedToken = {
      accessToken: parsed.accessToken,
      tokenType: parsed.tokenType,
      requestedType: plan.requestedType,
      expiresAt,
      refreshAt: parsed.expiresIn === undefined ? undefined : refreshAt(started, parsed.expiresIn, parsed.refreshIn),
      scopes: Object.freeze([...(parsed.scopes ?? scopes.list)]),
      thumbprint: parts.thumbprint,
      tokenEndpoint: logical.href,
    };
    // A token without a lifetime is handed out once and never cached.
    if (parsed.expiresIn !== undefined) {
      try {
        await config.cache.store(parts, token, started);
      } catch (error) {
        this.#emit({ type: 'cache-error', correlationId, operation: 'store', message: describe(error) });
      }
    }
    return toResult(token, 'network', plan.binding, correlationId);
  }

  dispatcherFor(certificate: BindingCertificate | null): Dispatcher {
    return this.#config.pool.dispatcherFor(certificate);
  }

  async fetch(url: string | URL, init: ClientFetchInit): Promise<Response> {
    if (typeof init !== 'object' || init === null) throw new TypeError('client.fetch needs { scopes }');
    const { scopes, mtlsProofOfPossession, retryOnInvalidToken, correlationId, ...rest } = init;
    const baseHeaders = new Headers(rest.headers);
    // @see RFC 6750 §2 — one way of sending a token per request; the client owns Authorization here.
    if (baseHeaders.has('authorization')) throw new TypeError('client.fetch sets Authorization itself; do not pass one');
    const send = async (forceRefresh: boolean): Promise<Response> => {
      const result = await this.acquireTokenForClient({
        scopes,
        forceRefresh,
        ...(mtlsProofOfPossession === undefined ? {} : { mtlsProofOfPossession }),
        ...(correlationId === undefined ? {} : { correlationId }),
      });
      const headers = new Headers(baseHeaders);
      headers.set('authorization', result.createAuthorizationHeader());
      // The bound token only works on a connection presenting its certificate: use that certificate's agent.
      return undiciFetch(url, { redirect: 'manual', ...rest, headers, dispatcher: this.#config.pool.dispatcherFor(result.bindingCertificate) });
    };
    const response = await send(false);
    if (response.status === 401 && retryOnInvalidToken !== false && isReplayable(rest.body) && saysInvalidToken(response.headers.get('www-authenticate'))) {
      await response.body?.cancel();
      return send(true);
    }
    return response;
  }

  async close(): Promise<void> {
    await this.idle();
    await this.#config.pool.close();
  }
}

/**
 * RFC 8705 servers answer `Bearer`; when the token is a JWT the client can still see whether it is bound to the
 * certificate it presented (@see RFC 8705 §3.1). Opaque tokens cannot be checked and are accepted.
 */
function assertBoundTo(accessToken: string, certificate: BindingCertificate, host: string): void {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(accessToken);
  } catch {
    return;
  }
  const cnf = claims['cnf'];
  const bound = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (bound !== certificate.thumbprint) {
    throw new CertboundClientError('ERR_CLIENT_TOKEN_BINDING_MISMATCH', `The token from ${host} is not bound to certificate ${certificate.thumbprint}`);
  }
}
