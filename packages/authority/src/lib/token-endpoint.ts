import { authenticateByCertificate } from './authenticate-certificate.js';
import { validAt, type PresentedCertificate } from './client-certificate.js';
import { readUnverifiedJwt } from './compact-jwt.js';
import { JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE, MTLS_POP_TOKEN_TYPE, TOKEN_EXCHANGE_AUDIENCE } from './constants.js';
import { issueAccessToken } from './issue-access-token.js';
import type { OpaqueTokenStore } from './opaque-tokens.js';
import type { KeyRing } from './key-ring.js';
import { missingParameter, OAuthError } from './oauth-error.js';
import type { FormParameters } from './read-form-body.js';
import type { Registry, RegisteredApp } from './registry.js';
import type { ReplayCache } from './replay-cache.js';
import { verifyClientAssertion } from './verify-client-assertion.js';
import { verifyExchangeAssertion } from './verify-exchange-assertion.js';

/** How the client authenticated: the vanilla flow, or one of the assertion kinds. */
export type TokenFlow = 'vanilla' | 'fic-leg-2-jwt-pop' | 'fic-leg-2-jwt-bearer' | 'private_key_jwt';

export interface TokenEndpointContext {
  readonly tenantId: string;
  readonly registry: Registry;
  readonly keyRing: KeyRing;
  /** Where opaque tokens live (apps with `tokenFormat: "opaque"`). */
  readonly opaqueTokens: OpaqueTokenStore;
  readonly replayCache: ReplayCache;
  readonly issuerFor: (tenantId: string) => string;
  readonly tokenEndpointFor: (tenantId: string) => string;
  readonly presented: PresentedCertificate | null;
  readonly nowMs: number;
}

/** @see RFC 6749 §5.1 — the successful token response (with Entra's `ext_expires_in` and `refresh_in`). */
export interface TokenResponse {
  readonly token_type: 'mtls_pop' | 'Bearer';
  readonly expires_in: number;
  readonly ext_expires_in: number;
  readonly refresh_in?: number;
  readonly access_token: string;
}

/** What happened, for the log (no secrets: thumbprints and ids only). */
export interface TokenOutcome {
  readonly response: TokenResponse;
  readonly clientId: string;
  readonly flow: TokenFlow;
  /** True when the scope was the exchange audience: Leg 1 of the FIC two-leg flow. */
  readonly exchangeToken: boolean;
  readonly audience: string;
  readonly boundThumbprint: string | null;
  readonly kid: string;
  readonly tokenId: string;
}

function required(parameters: FormParameters, name: 'grant_type' | 'client_id' | 'scope' | 'client_assertion' | 'client_assertion_type'): string {
  const value = parameters.get(name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** @see Entra client credentials — exactly one `{resource}/.default` scope. */
function resourceOf(scope: string, registry: Registry): string {
  const values = scope.split(' ').filter((value) => value !== '');
  if (values.length !== 1) throw new OAuthError('invalidScope');
  const value = values[0] as string;
  if (!value.endsWith('/.default')) throw new OAuthError('invalidScope');
  const resource = value.slice(0, -'/.default'.length);
  if (resource === TOKEN_EXCHANGE_AUDIENCE || registry.resources.has(resource)) return resource;
  throw new OAuthError('resourceNotFound');
}

/** `token_type`: absent, `mtls_pop` or `bearer` (case-insensitive). */
function requestedTokenType(parameters: FormParameters): 'mtls_pop' | 'bearer' | null {
  const value = parameters.get('token_type');
  if (value === undefined) return null;
  const lower = value.toLowerCase();
  if (lower === MTLS_POP_TOKEN_TYPE || lower === 'bearer') return lower;
  throw new OAuthError('invalidTokenType');
}

function checkClaimsParameter(parameters: FormParameters): void {
  const claims = parameters.get('claims');
  if (claims === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    throw new OAuthError('invalidClaims');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OAuthError('invalidClaims');
}

interface Authentication {
  readonly flow: TokenFlow;
  /** The certificate verified for this app on this connection, which a bound token may be bound to. */
  readonly verifiedThumbprint: string | null;
  /** Leg 2: when the exchange token expires (ms); the issued token may not outlive it. */
  readonly assertionExpiresAt: number | null;
}

async function authenticate(app: RegisteredApp, parameters: FormParameters, context: TokenEndpointContext): Promise<Authentication> {
  // Every flow: a certificate on this connection outside its validity period is refused, whether it authenticates
  // the client (vanilla), proves possession of an exchange token (Leg 2) or only rides along (private_key_jwt).
  if (context.presented !== null && !validAt(context.presented, context.nowMs)) throw new OAuthError('certificateNotValidNow');
  const assertionType = parameters.get('client_assertion_type');
  const assertion = parameters.get('client_assertion');
  if (assertionType === undefined && assertion === undefined) {
    // Vanilla flow: the TLS client certificate is the credential.
    authenticateByCertificate(app, context.presented, context.nowMs);
    return { flow: 'vanilla', verifiedThumbprint: context.presented?.thumbprint ?? null, assertionExpiresAt: null };
  }
  const type = required(parameters, 'client_assertion_type');
  const jwt = required(parameters, 'client_assertion');
  if (type !== JWT_POP_ASSERTION_TYPE && type !== JWT_BEARER_ASSERTION_TYPE) throw new OAuthError('unsupportedAssertionType');
  const unverified = readUnverifiedJwt(jwt);
  if (unverified === null) throw new OAuthError('assertionMalformed');

  if (type === JWT_POP_ASSERTION_TYPE) {
    if (context.presented === null) throw new OAuthError('assertionNoCertificate');
    const verified = await verifyExchangeAssertion({ ...exchangeInput(app, context), assertion: jwt, unverified, assertionType: 'jwt-pop' });
    return { flow: 'fic-leg-2-jwt-pop', verifiedThumbprint: verified.boundThumbprint, assertionExpiresAt: verified.expiresAt };
  }

  // jwt-bearer: a client's own private_key_jwt (iss = client_id) or an exchange token (iss = an issuer).
  if (unverified.payload['iss'] === app.clientId) {
    await verifyClientAssertion({
      assertion: jwt,
      unverified,
      app,
      tokenEndpoint: context.tokenEndpointFor(context.tenantId),
      replayCache: context.replayCache,
      nowMs: context.nowMs,
    });
    return { flow: 'private_key_jwt', verifiedThumbprint: null, assertionExpiresAt: null };
  }
  const verified = await verifyExchangeAssertion({ ...exchangeInput(app, context), assertion: jwt, unverified, assertionType: 'jwt-bearer' });
  return { flow: 'fic-leg-2-jwt-bearer', verifiedThumbprint: null, assertionExpiresAt: verified.expiresAt };
}

function exchangeInput(app: RegisteredApp, context: TokenEndpointContext) {
  return {
    app,
    registry: context.registry,
    keyRing: context.keyRing,
    issuerFor: context.issuerFor,
    presented: context.presented,
    nowMs: context.nowMs,
  };
}

/** The configured `refresh_in`, kept below a lifetime shortened by a cap: half of it then, or none under 2 s. */
function refreshInFor(configured: number | false, expiresIn: number): number | false {
  if (configured === false || configured < expiresIn) return configured;
  return expiresIn >= 2 ? Math.floor(expiresIn / 2) : false;
}

/**
 * Handle `POST /{tenant}/oauth2/v2.0/token` once the body is parsed: client credentials grant only, the client
 * authenticated by its TLS certificate (vanilla flow), a jwt-pop exchange assertion over mTLS (FIC Leg 2), or a
 * jwt-bearer assertion (exchange token or private_key_jwt). Throws an {@link OAuthError} for every refusal.
 */
export async function handleTokenRequest(parameters: FormParameters, context: TokenEndpointContext): Promise<TokenOutcome> {
  const grantType = required(parameters, 'grant_type');
  // @see RFC 6749 §5.2 — unsupported_grant_type
  if (grantType !== 'client_credentials') throw new OAuthError('unsupportedGrantType');
  const clientId = required(parameters, 'client_id');
  const app = context.registry.apps.get(clientId);
  if (app === undefined || app.tenantId !== context.tenantId) throw new OAuthError('applicationNotFound');
  // This authority has no client secrets: a secret is refused rather than ignored, so no request mixes methods.
  if (parameters.has('client_secret')) throw new OAuthError('clientSecretNotAccepted');
  const scope = required(parameters, 'scope');
  const tokenType = requestedTokenType(parameters);
  checkClaimsParameter(parameters);

  const authentication = await authenticate(app, parameters, context);
  // Resolved after authentication, so an unauthenticated caller learns nothing about which resources exist.
  const resource = resourceOf(scope, context.registry);
  const assertionFlow = authentication.flow === 'fic-leg-2-jwt-pop' || authentication.flow === 'fic-leg-2-jwt-bearer';
  if (assertionFlow && resource === TOKEN_EXCHANGE_AUDIENCE) throw new OAuthError('exchangeScopeWithAssertion');

  // Binding: only ever to a certificate verified for this app on this very connection (docs/security.md rule 12).
  const wantsBinding = tokenType === MTLS_POP_TOKEN_TYPE || app.boundTokens === 'always';
  if (wantsBinding && authentication.verifiedThumbprint === null) {
    throw new OAuthError(tokenType === MTLS_POP_TOKEN_TYPE ? 'popNeedsCertificateCredential' : 'boundTokensRequired');
  }
  const thumbprint = wantsBinding ? authentication.verifiedThumbprint : null;

  const roles = resource === TOKEN_EXCHANGE_AUDIENCE ? [] : (app.grants.get(resource) ?? []);
  // A Leg 2 token never outlives the exchange token it was obtained with, and a bound token never outlives its
  // certificate (a token bound to a certificate that has expired could no longer be presented).
  const limits = [authentication.assertionExpiresAt, thumbprint === null ? null : (context.presented?.notAfter ?? null)];
  const notAfterMs = Math.min(...limits.filter((limit): limit is number => limit !== null));
  // Less than a second of validity left: no whole second of token lifetime to give.
  if (Math.floor(notAfterMs / 1000) <= Math.floor(context.nowMs / 1000)) throw new OAuthError('certificateNotValidNow');
  const issued = await issueAccessToken(
    { app, audience: resource, roles, thumbprint, issuer: context.issuerFor(context.tenantId), nowMs: context.nowMs, notAfterMs },
    context.registry,
    context.keyRing,
    // Leg 1 exchange tokens are assertions for Leg 2: they stay signed JWTs.
    app.tokenFormat === 'opaque' && resource !== TOKEN_EXCHANGE_AUDIENCE ? context.opaqueTokens : undefined,
  );
  const refreshIn = refreshInFor(context.registry.refreshInSeconds, issued.expiresIn);
  return {
    response: {
      // Entra answers mtls_pop for PoP requests; RFC 8705 servers answer Bearer even for bound tokens.
      token_type: tokenType === MTLS_POP_TOKEN_TYPE ? 'mtls_pop' : 'Bearer',
      expires_in: issued.expiresIn,
      ext_expires_in: issued.expiresIn,
      ...(refreshIn === false ? {} : { refresh_in: refreshIn }),
      access_token: issued.token,
    },
    clientId: app.clientId,
    flow: authentication.flow,
    exchangeToken: resource === TOKEN_EXCHANGE_AUDIENCE,
    audience: resource,
    boundThumbprint: thumbprint,
    kid: issued.kid,
    tokenId: issued.tokenId,
  };
}
