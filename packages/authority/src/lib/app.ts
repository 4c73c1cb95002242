import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type { Logger } from 'pino';
import { constantTimeEqual } from './certificate-thumbprints.js';
import { readPresentedCertificate } from './client-certificate.js';
import type { KeyRing } from './key-ring.js';
import { isLoopbackAddress } from './loopback.js';
import { authorizationServerMetadata, tenantEndpoints } from './metadata.js';
import { errorBody, OAuthError } from './oauth-error.js';
import { oauthParametersInQuery, readFormBody } from './read-form-body.js';
import type { Registry } from './registry.js';
import type { OpaqueTokenStore } from './opaque-tokens.js';
import type { ReplayCache } from './replay-cache.js';
import { handleTokenRequest } from './token-endpoint.js';

export interface AuthorityAppDependencies {
  readonly registry: Registry;
  readonly keyRing: KeyRing;
  readonly replayCache: ReplayCache;
  readonly opaqueTokens: OpaqueTokenStore;
  /** `https://HOST:PORT`, known once the server listens. */
  readonly baseUrl: () => string;
  readonly now: () => number;
  readonly logger: Logger;
  readonly trustedCasConfigured: boolean;
  /** Enables `POST /admin/rotate-signing-key` when set. */
  readonly adminToken: string | null;
  readonly rotateSigningKey: () => Promise<{ kid: string }>;
}

type Route =
  | { kind: 'metadata'; tenant: string }
  | { kind: 'jwks'; tenant: string }
  | { kind: 'token'; tenant: string }
  | { kind: 'introspect' | 'revoke'; tenant: string }
  | { kind: 'admin-rotate' };

/** Map a path to a route; the tenant segment is returned as sent and checked later. */
function route(path: string, adminEnabled: boolean, introspectionEnabled: boolean): Route | null {
  const s = path.split('/');
  if (s[0] !== '') return null;
  if (s.length === 5 && s[2] === 'v2.0' && s[3] === '.well-known' && s[4] === 'openid-configuration') return { kind: 'metadata', tenant: s[1] as string };
  if (s.length === 4 && s[2] === '.well-known' && s[3] === 'oauth-authorization-server') return { kind: 'metadata', tenant: s[1] as string };
  // @see RFC 8414 §3.1 — the well-known segment goes between the host and the issuer's path.
  if (s.length === 5 && s[1] === '.well-known' && s[2] === 'oauth-authorization-server' && s[4] === 'v2.0') return { kind: 'metadata', tenant: s[3] as string };
  if (s.length === 5 && s[2] === 'discovery' && s[3] === 'v2.0' && s[4] === 'keys') return { kind: 'jwks', tenant: s[1] as string };
  if (s.length === 5 && s[2] === 'oauth2' && s[3] === 'v2.0' && s[4] === 'token') return { kind: 'token', tenant: s[1] as string };
  if (introspectionEnabled && s.length === 5 && s[2] === 'oauth2' && s[3] === 'v2.0' && (s[4] === 'introspect' || s[4] === 'revoke')) {
    return { kind: s[4], tenant: s[1] as string };
  }
  if (adminEnabled && s.length === 3 && s[1] === 'admin' && s[2] === 'rotate-signing-key') return { kind: 'admin-rotate' };
  return null;
}

const ADMIN_REALM = 'certbound-authority admin';

function noStore(ctx: Koa.Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/**
 * The authority's Koa application: discovery, JWKS, token endpoint and the optional admin action. Every refusal is
 * an RFC 6749 §5.2 JSON error; unexpected failures are logged and answered 500 without detail.
 */
export function createAuthorityApp(deps: AuthorityAppDependencies): Koa {
  const app = new Koa();
  app.silent = true; // errors are rendered and logged below, never printed by Koa

  app.use(async function authority(ctx) {
    const traceId = randomUUID();
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await dispatch(ctx, deps, traceId);
    } catch (caught) {
      const error = caught instanceof OAuthError ? caught : new OAuthError('internal');
      if (!(caught instanceof OAuthError)) deps.logger.error({ err: caught, trace_id: traceId }, 'unexpected error');
      ctx.status = error.status;
      noStore(ctx);
      if (error.refusal === 'methodNotAllowed') ctx.set('Allow', allowFor(ctx.path, deps));
      // @see RFC 6750 §3 — the admin endpoint authenticates with a Bearer token: its 401 names the scheme (and says
      // the token was wrong when one was sent). Token-endpoint 401s carry no challenge, as Entra's: see the README.
      if (error.refusal === 'adminUnauthorized') {
        ctx.set('WWW-Authenticate', ctx.get('authorization') === '' ? `Bearer realm="${ADMIN_REALM}"` : `Bearer realm="${ADMIN_REALM}", error="invalid_token"`);
      }
      // The rest of an oversized body is not read: close the connection instead of draining it.
      if (error.refusal === 'bodyTooLarge') ctx.set('Connection', 'close');
      ctx.body = errorBody(error, traceId, deps.now());
    }
  });
  return app;
}

function allowFor(path: string, deps: AuthorityAppDependencies): string {
  const matched = routeOf(path, deps);
  return matched === null || matched.kind === 'metadata' || matched.kind === 'jwks' ? 'GET, HEAD' : 'POST';
}

function routeOf(path: string, deps: AuthorityAppDependencies): Route | null {
  return route(path, deps.adminToken !== null, deps.registry.introspectionClients.size > 0);
}

function tenantOf(segment: string, registry: Registry): string {
  const tenantId = segment.toLowerCase();
  if (!registry.tenants.has(tenantId)) throw new OAuthError('tenantNotFound');
  return tenantId;
}

async function dispatch(ctx: Koa.Context, deps: AuthorityAppDependencies, traceId: string): Promise<void> {
  const matched = routeOf(ctx.path, deps);
  if (matched === null) throw new OAuthError('notFound');
  const isGet = ctx.method === 'GET' || ctx.method === 'HEAD';
  switch (matched.kind) {
    case 'metadata': {
      if (!isGet) throw new OAuthError('methodNotAllowed');
      const tenantId = tenantOf(matched.tenant, deps.registry);
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = authorizationServerMetadata(deps.baseUrl(), tenantId, deps.registry.alg, deps.registry.introspectionClients.size > 0);
      return;
    }
    case 'jwks': {
      if (!isGet) throw new OAuthError('methodNotAllowed');
      tenantOf(matched.tenant, deps.registry);
      // Short max-age: a new key appears at rotation (verifiers refetch on an unknown kid) and old ones go.
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = deps.keyRing.jwks(deps.now());
      return;
    }
    case 'token':
      if (ctx.method !== 'POST') throw new OAuthError('methodNotAllowed');
      await token(ctx, deps, tenantOf(matched.tenant, deps.registry), traceId);
      return;
    case 'admin-rotate':
      if (ctx.method !== 'POST') throw new OAuthError('methodNotAllowed');
      await adminRotate(ctx, deps);
      return;
    case 'introspect':
    case 'revoke':
      if (ctx.method !== 'POST') throw new OAuthError('methodNotAllowed');
      await introspectOrRevoke(ctx, deps, tenantOf(matched.tenant, deps.registry), matched.kind);
      return;
  }
}

/** @see RFC 6749 §2.3.1 — client_secret_basic: both halves form-urlencoded, then Basic. */
function introspectionClientOf(header: string, registry: Registry): string {
  const encoded = header.startsWith('Basic ') ? header.slice('Basic '.length).trim() : '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const decode = (part: string): string | null => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  };
  const id = colon < 0 ? null : decode(decoded.slice(0, colon));
  const secret = colon < 0 ? null : decode(decoded.slice(colon + 1));
  const expected = id === null ? undefined : registry.introspectionClients.get(id);
  if (id === null || secret === null || expected === undefined || !constantTimeEqual(secret, expected)) throw new OAuthError('introspectionClientUnauthorized');
  return id;
}

/**
 * RFC 7662 introspection and RFC 7009 revocation of this tenant's opaque tokens, for registered resource servers.
 * An unknown, expired, revoked or other-tenant token is `{ "active": false }` and nothing more (RFC 7662 §2.2).
 */
async function introspectOrRevoke(ctx: Koa.Context, deps: AuthorityAppDependencies, tenantId: string, kind: 'introspect' | 'revoke'): Promise<void> {
  if (oauthParametersInQuery(ctx.querystring)) throw new OAuthError('parameterInQuery');
  const caller = introspectionClientOf(ctx.get('authorization'), deps.registry);
  const parameters = await readFormBody(ctx.req);
  const token = parameters.get('token');
  if (token === undefined || token === '') throw new OAuthError('missingParameter');
  noStore(ctx);
  const claims = deps.opaqueTokens.lookup(token, deps.now());
  const ours = claims !== null && claims['tid'] === tenantId;
  if (kind === 'revoke') {
    if (ours) deps.opaqueTokens.revoke(token);
    deps.logger.info({ event: 'token_revoked', caller, known: ours, uti: ours ? claims['uti'] : undefined }, 'revocation');
    ctx.status = 200;
    ctx.body = '';
    return;
  }
  ctx.body = ours ? { active: true, ...claims, client_id: claims['azp'], token_type: 'Bearer' } : { active: false };
}

async function token(ctx: Koa.Context, deps: AuthorityAppDependencies, tenantId: string, traceId: string): Promise<void> {
  const log = deps.logger.child({ tenant: tenantId, trace_id: traceId });
  try {
    if (oauthParametersInQuery(ctx.querystring)) throw new OAuthError('parameterInQuery');
    if (ctx.get('authorization') !== '') throw new OAuthError('authorizationHeader');
    const parameters = await readFormBody(ctx.req);
    const presented = readPresentedCertificate(ctx.req.socket, deps.trustedCasConfigured);
    const base = deps.baseUrl();
    const outcome = await handleTokenRequest(parameters, {
      tenantId,
      registry: deps.registry,
      keyRing: deps.keyRing,
      replayCache: deps.replayCache,
      issuerFor: (id) => tenantEndpoints(base, id).issuer,
      tokenEndpointFor: (id) => tenantEndpoints(base, id).tokenEndpoint,
      presented,
      opaqueTokens: deps.opaqueTokens,
      nowMs: deps.now(),
    });
    log.info(
      {
        event: 'token_issued',
        client_id: outcome.clientId,
        flow: outcome.flow,
        exchange_token: outcome.exchangeToken,
        aud: outcome.audience,
        token_type: outcome.response.token_type,
        bound: outcome.boundThumbprint !== null,
        'x5t#S256': outcome.boundThumbprint ?? undefined,
        kid: outcome.kid,
        uti: outcome.tokenId,
      },
      'token issued',
    );
    noStore(ctx);
    ctx.body = outcome.response;
  } catch (error) {
    if (error instanceof OAuthError) {
      log.info({ event: 'token_refused', refusal: error.refusal, error: error.error, aadsts: error.aadsts, status: error.status }, 'token refused');
    }
    throw error;
  }
}

async function adminRotate(ctx: Koa.Context, deps: AuthorityAppDependencies): Promise<void> {
  if (!isLoopbackAddress(ctx.req.socket.remoteAddress)) throw new OAuthError('adminForbidden');
  const header = ctx.get('authorization');
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (deps.adminToken === null || !constantTimeEqual(presented, deps.adminToken)) throw new OAuthError('adminUnauthorized');
  const { kid } = await deps.rotateSigningKey();
  noStore(ctx);
  ctx.body = { rotated: true, kid };
}
