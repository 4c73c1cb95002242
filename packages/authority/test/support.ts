// Shared fixture: a dev PKI, a running authority over real mTLS on 127.0.0.1, undici agents per certificate.
import { X509Certificate, createHash } from 'node:crypto';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { Agent, request } from 'undici';
import { startAuthority, type AuthorityConfig, type AuthorityOptions, type RunningAuthority } from '../src/index.js';

export const TENANT = '11111111-2222-4333-8444-555555555555';
export const OTHER_TENANT = '22222222-3333-4444-8555-666666666666';
export const API = 'api://my-api';
export const EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';
export const JWT_POP = 'urn:ietf:params:oauth:client-assertion-type:jwt-pop';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Client ids and object ids of the registered apps. */
export const APPS = {
  /** client-a by thumbprint (self_signed_tls_client_auth); Data.Read on api://my-api. */
  vanilla: { clientId: 'aaaaaaaa-0000-4000-8000-00000000000a', objectId: 'aaaaaaaa-1111-4111-8111-00000000000a' },
  /** client-b by PEM (self_signed_tls_client_auth): also usable for private_key_jwt. */
  pem: { clientId: 'bbbbbbbb-0000-4000-8000-00000000000b', objectId: 'bbbbbbbb-1111-4111-8111-00000000000b' },
  /** tls_client_auth with subject CN=client-c, chain to the dev CA. */
  pki: { clientId: 'cccccccc-0000-4000-8000-00000000000c', objectId: 'cccccccc-1111-4111-8111-00000000000c' },
  /** No certificate; a federated credential trusting Leg-1 tokens of the vanilla app. Data.Write on api://my-api. */
  leg2: { clientId: 'dddddddd-0000-4000-8000-00000000000d', objectId: 'dddddddd-1111-4111-8111-00000000000d' },
  /** client-a by PEM, boundTokens "always" (generic RFC 8705 behaviour). */
  always: { clientId: 'eeeeeeee-0000-4000-8000-00000000000e', objectId: 'eeeeeeee-1111-4111-8111-00000000000e' },
  /** Registered with an expired certificate. */
  expired: { clientId: 'ffffffff-0000-4000-8000-00000000000f', objectId: 'ffffffff-1111-4111-8111-00000000000f' },
  /** In the other tenant, client-a by thumbprint. */
  otherTenant: { clientId: '12121212-0000-4000-8000-000000000012', objectId: '12121212-1111-4111-8111-000000000012' },
} as const;

export interface Certificates {
  readonly pki: DevPki;
  readonly a: IssuedCertificate;
  readonly b: IssuedCertificate;
  readonly c: IssuedCertificate;
  /** Registered nowhere, issued by the dev CA. */
  readonly stranger: IssuedCertificate;
  /** Subject CN=client-c, but issued by the other CA. */
  readonly cFromOtherCa: IssuedCertificate;
  readonly expired: IssuedCertificate;
}

export async function createCertificates(): Promise<Certificates> {
  const pki = await createDevPki({ clients: ['client-a', 'client-b', 'client-c', 'stranger'] });
  const clients = pki.clients as Record<'client-a' | 'client-b' | 'client-c' | 'stranger', IssuedCertificate>;
  return {
    pki,
    a: clients['client-a'],
    b: clients['client-b'],
    c: clients['client-c'],
    stranger: clients.stranger,
    cFromOtherCa: await pki.otherCa.issue({ commonName: 'client-c', usage: 'client' }),
    expired: await pki.ca.issue({ commonName: 'client-expired', usage: 'client', expired: true }),
  };
}

export function registry(certs: Certificates, overrides: Partial<AuthorityConfig> = {}): AuthorityConfig {
  return {
    tenants: [{ id: TENANT, displayName: 'main' }, { id: OTHER_TENANT }],
    resources: [
      { identifier: API, appRoles: ['Data.Read', 'Data.Write'] },
      { identifier: 'api://other-api', appRoles: [] },
    ],
    apps: [
      {
        ...APPS.vanilla,
        tenant: TENANT,
        certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: certs.a.thumbprint }],
        grants: { [API]: ['Data.Read'] },
      },
      {
        ...APPS.pem,
        tenant: TENANT,
        certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: certs.b.cert }],
        grants: { [API]: ['Data.Read', 'Data.Write'] },
      },
      { ...APPS.pki, tenant: TENANT, certificates: [{ authMethod: 'tls_client_auth', subject: 'CN=client-c' }] },
      {
        ...APPS.leg2,
        tenant: TENANT,
        grants: { [API]: ['Data.Write'] },
        federatedCredentials: [{ issuer: 'self', subject: APPS.vanilla.objectId, audience: 'api://AzureADTokenExchange' }],
      },
      { ...APPS.always, tenant: TENANT, boundTokens: 'always', certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: certs.a.cert }] },
      { ...APPS.expired, tenant: TENANT, certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: certs.expired.cert }] },
      { ...APPS.otherTenant, tenant: OTHER_TENANT, certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: certs.a.thumbprint }] },
    ],
    ...overrides,
  };
}

/** A clock tests can move. */
export interface TestClock {
  now: number;
  advance(ms: number): void;
}

export function createClock(start = Date.now()): TestClock {
  const clock: TestClock = {
    now: start,
    advance(ms) {
      clock.now += ms;
    },
  };
  return clock;
}

export interface Fixture {
  readonly certs: Certificates;
  readonly authority: RunningAuthority;
  readonly clock: TestClock;
  /** mTLS agent presenting `cert` (or no client certificate when omitted). */
  agent(cert?: IssuedCertificate): Agent;
  close(): Promise<void>;
}

/** The standard registry with `apps` registered after its own, and other top-level fields (e.g. introspectionClients). */
export function registryWith(certs: Certificates, apps: AuthorityConfig['apps'], overrides: Partial<AuthorityConfig> = {}): AuthorityConfig {
  const base = registry(certs);
  return { ...base, ...overrides, apps: [...(base.apps ?? []), ...(apps ?? [])] };
}

export async function startFixture(certs: Certificates, options: Partial<AuthorityOptions> = {}): Promise<Fixture> {
  const clock = createClock();
  const authority = await startAuthority({
    tls: { cert: certs.pki.server.cert, key: certs.pki.server.key },
    trustedClientCas: [certs.pki.ca.cert],
    config: registry(certs),
    currentTime: () => clock.now,
    ...options,
  });
  const agents: Agent[] = [];
  return {
    certs,
    authority,
    clock,
    agent(cert) {
      const agent = new Agent({ connect: { ca: certs.pki.ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}) } });
      agents.push(agent);
      return agent;
    },
    async close() {
      await Promise.all(agents.map((agent) => agent.close()));
      await authority.close();
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

/** POST a form to the token endpoint of `tenant` (or to `url` when given). */
export async function postToken(
  fixture: Fixture,
  agent: Agent,
  params: Record<string, string> | string,
  options: { tenant?: string; url?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const url = options.url ?? fixture.authority.tokenEndpoint(options.tenant ?? TENANT);
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    body,
    dispatcher: agent,
  });
  const text = await response.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: response.statusCode, headers: response.headers, json, text };
}

export async function getJson(agent: Agent, url: string): Promise<HttpResult> {
  const response = await request(url, { method: 'GET', dispatcher: agent });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(text) as Record<string, unknown>, text };
}

/** Vanilla-flow request parameters for `clientId`. */
export function vanilla(clientId: string, scope = `${API}/.default`, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: clientId, scope, ...extra };
}

/**
 * Independent check of an issued token: the JWKS fetched over HTTPS from the running server, `jose.jwtVerify`
 * against it, the issuer and audience; returns the claims.
 */
export async function verifyIssuedToken(fixture: Fixture, token: string, audience: string, tenant = TENANT): Promise<JWTPayload> {
  const jwks = await getJson(fixture.agent(), fixture.authority.jwksUri(tenant));
  const keySet = createLocalJWKSet(jwks.json as { keys: [] });
  const { payload } = await jwtVerify(token, keySet, {
    issuer: fixture.authority.issuer(tenant),
    audience,
    currentDate: new Date(fixture.clock.now),
  });
  return payload;
}

/** `x5t#S256` computed independently from the certificate's DER, as `openssl x509 -outform der | sha256 | base64url` would. */
export function thumbprintFromPem(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

export { decodeJwt, decodeProtectedHeader };

/** The common shape of every refusal: RFC 6749 §5.2 JSON with Entra's extras. */
export function expectOAuthError(result: HttpResult, error: string, status: number, code?: number): void {
  const problems: string[] = [];
  if (result.status !== status) problems.push(`status ${result.status} !== ${status}`);
  if (result.json['error'] !== error) problems.push(`error ${String(result.json['error'])} !== ${error}`);
  if (typeof result.json['error_description'] !== 'string') problems.push('no error_description');
  const codes = result.json['error_codes'];
  if (!Array.isArray(codes) || codes.length !== 1 || typeof codes[0] !== 'number') problems.push('error_codes is not a one-number list');
  else if (code !== undefined && codes[0] !== code) problems.push(`error_codes[0] ${String(codes[0])} !== ${code}`);
  if (typeof result.json['trace_id'] !== 'string' || typeof result.json['timestamp'] !== 'string') problems.push('no trace_id/timestamp');
  if (problems.length > 0) throw new Error(`unexpected response (${problems.join('; ')}): ${result.text}`);
}
