// The whole certbound loop on one machine: dev PKI → local authority → three protected APIs → client flows.
// `pnpm demo` narrates it; test/e2e runs the very same function inside `pnpm test`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { parseConfig } from '@certbound/core';
import { createDevPki, writeDevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { startAuthority, type AuthorityConfig, type RunningAuthority } from '@certbound/authority';
import { createConfidentialClient, type CertificateCredential, type ConfidentialClient } from '@certbound/client';
import { startServer as startKoaApi } from '../../koa-api/src/server.js';
import { startServer as startExpressApi } from '../../express-api/src/server.js';
import { startServer as startFastifyApi } from '../../fastify-api/src/server.js';
import { silentNarrator, type Narrator, type StepResult } from './narrate.js';

const TENANT = '7b9f3c1e-4d2a-4f6b-9c8e-1a2b3c4d5e6f';
const RESOURCE = 'api://certbound-demo';
const EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';
const SCOPE = `${RESOURCE}/.default`;
const APP_A = { clientId: '0b7c5a2e-1111-4a5b-8c9d-aaaaaaaaaaaa', objectId: 'a0000000-0000-4000-8000-00000000000a' };
const APP_B = { clientId: '0b7c5a2e-2222-4a5b-8c9d-bbbbbbbbbbbb', objectId: 'b0000000-0000-4000-8000-00000000000b' };
const APP_FIC = { clientId: '0b7c5a2e-3333-4a5b-8c9d-cccccccccccc', objectId: 'c0000000-0000-4000-8000-00000000000c' };
const APP_OPAQUE = { clientId: '0b7c5a2e-4444-4a5b-8c9d-dddddddddddd', objectId: 'd0000000-0000-4000-8000-00000000000d' };
/** The APIs introspect opaque tokens at the authority with these credentials (RFC 7662 §2.1). */
const INTROSPECTION_CLIENT = { clientId: 'certbound-demo-apis', clientSecret: 'demo introspection secret, 32+ characters' };

export interface LoopOptions {
  /** Where the narration goes. Default: nowhere. */
  narrator?: Narrator;
}

export interface LoopReport {
  readonly results: readonly StepResult[];
  readonly passed: boolean;
}

interface Api {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

interface Call {
  status: number;
  challenge: string | undefined;
  body: Record<string, unknown>;
}

/** Run the seven steps of the demo; every server and connection it opens is closed before it returns. */
export async function runLoop(options: LoopOptions = {}): Promise<LoopReport> {
  const say = options.narrator ?? silentNarrator;
  const cleanup: Array<() => Promise<unknown>> = [];
  const results: StepResult[] = [];
  try {
    say.line('▸ generating a development PKI (CA, server certificate, client certificates for two apps)');
    const pki = await createDevPki({ clients: ['app-a', 'app-a-renewed', 'app-b', 'app-c'] });
    const dir = await mkdtemp(join(tmpdir(), 'certbound-demo-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeDevPki(pki, dir);
    const certA = pki.clients['app-a']!;
    const certA2 = pki.clients['app-a-renewed']!;
    const certB = pki.clients['app-b']!;
    const certC = pki.clients['app-c']!;

    say.line('▸ starting the local authorization server (Entra-shaped, mTLS token endpoint)');
    const authority = await startAuthority({ tls: { cert: pki.server.cert, key: pki.server.key }, config: authorityConfig(certA, certA2, certB, certC) });
    cleanup.push(() => authority.close());
    say.line(`    ${authority.url}  issuer ${authority.issuer(TENANT)}`);

    say.line('▸ starting one protected API per framework, all from the same configuration file');
    const apis = await startApis(authority, dir);
    for (const api of apis) cleanup.push(() => api.close());
    for (const api of apis) say.line(`    ${api.name.padEnd(7)} ${api.url}/whoami`);

    // The apps' clients. App A's certificate comes from a provider, so it can be rotated in step 5.
    let currentA: IssuedCertificate = certA;
    const clientOptions = {
      authority: `https://login.microsoftonline.com/${TENANT}`,
      hostOverrides: { 'mtlsauth.microsoft.com': authority.url, 'login.microsoftonline.com': authority.url },
      ca: pki.ca.cert,
      azureRegion: false as const,
    };
    const clientA = createConfidentialClient({ ...clientOptions, clientId: APP_A.clientId, credential: () => pem(currentA) });
    cleanup.push(() => clientA.close());
    const agents = new Map<IssuedCertificate, Agent>();
    const agentFor = (cert: IssuedCertificate | null): Agent => {
      const key = cert ?? pki.server;
      let agent = agents.get(key);
      if (!agent) {
        agent = new Agent({ connect: { ca: pki.ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}) } });
        agents.set(key, agent);
        cleanup.push(() => agent!.close());
      }
      return agent;
    };
    const call = async (api: Api, token: string, cert: IssuedCertificate | null, scheme = 'mtls_pop'): Promise<Call> => {
      const response = await request(`${api.url}/whoami`, { dispatcher: agentFor(cert), headers: { authorization: `${scheme} ${token}` } });
      const text = await response.body.text();
      const challenge = response.headers['www-authenticate'];
      return { status: response.statusCode, challenge: Array.isArray(challenge) ? challenge.join(', ') : challenge, body: parseJson(text) };
    };
    const step = async (id: number, title: string, expected: string, body: () => Promise<{ observed: string; passed: boolean }>) => {
      const started = performance.now();
      let outcome: { observed: string; passed: boolean };
      try {
        outcome = await body();
      } catch (error) {
        outcome = { observed: `error: ${(error as Error).message}`, passed: false };
      }
      const result: StepResult = { id, title, expected, ...outcome, ms: Math.round(performance.now() - started) };
      results.push(result);
      say.step(result);
    };

    say.line('');
    say.line('▸ the loop');

    // 1. Vanilla flow: client credentials over mTLS with token_type=mtls_pop; the certificate is the credential.
    let tokenA = '';
    await step(1, 'vanilla flow → mtls_pop token → GET /whoami on Koa, Express, Fastify', '200 ×3 with the bound thumbprint', async () => {
      const result = await clientA.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true });
      tokenA = result.accessToken;
      const cnf = (decodeJwt(tokenA)['cnf'] as Record<string, unknown> | undefined)?.['x5t#S256'];
      const calls = await Promise.all(apis.map((api) => clientA.fetch(`${api.url}/whoami`, { scopes: [SCOPE], mtlsProofOfPossession: true })));
      const bodies = await Promise.all(calls.map(async (r) => ({ status: r.status, body: parseJson(await r.text()) })));
      const passed =
        result.tokenType === 'mtls_pop' &&
        result.bindingCertificate?.thumbprint === certA.thumbprint &&
        cnf === certA.thumbprint &&
        bodies.every((b) => b.status === 200 && b.body['thumbprint'] === certA.thumbprint);
      return { passed, observed: `token_type ${result.tokenType}, ${bodies.map((b) => b.status).join('/')}, thumbprint ${short(String(bodies[0]?.body['thumbprint']))}` };
    });

    // 2. FIC two-leg flow: Leg 1 gets an exchange token, Leg 2 presents it as a jwt-pop assertion over mTLS.
    let leg1Token = '';
    await step(2, 'FIC two-leg flow: Leg 1 → Leg 2 (jwt-pop) → GET /whoami', 'Leg 2 token bound to Leg 1 certificate, 200', async () => {
      const leg1Client = createConfidentialClient({ ...clientOptions, clientId: APP_A.clientId, credential: pem(certA) });
      cleanup.push(() => leg1Client.close());
      const leg1 = await leg1Client.acquireTokenForClient({ scopes: [EXCHANGE_SCOPE], mtlsProofOfPossession: true });
      leg1Token = leg1.accessToken;
      const leg2Client = createConfidentialClient({
        ...clientOptions,
        clientId: APP_FIC.clientId,
        credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! }) },
      });
      cleanup.push(() => leg2Client.close());
      const leg2 = await leg2Client.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true });
      const response = await call(apis[0]!, leg2.accessToken, certA);
      const passed =
        leg2.tokenType === 'mtls_pop' &&
        leg2.bindingCertificate?.thumbprint === certA.thumbprint &&
        response.status === 200 &&
        response.body['client_id'] === APP_FIC.clientId;
      return { passed, observed: `Leg 2 ${leg2.tokenType} for ${short(String(response.body['client_id']))}, ${response.status}` };
    });

    // 3. A stolen token is useless without the private key of the certificate it is bound to.
    await step(3, "token replayed with the other app's certificate", '401 invalid_token on every API', async () => {
      const calls = await Promise.all(apis.map((api) => call(api, tokenA, certB)));
      const passed = calls.every((c) => c.status === 401 && /error="invalid_token"/.test(c.challenge ?? ''));
      return { passed, observed: calls.map((c) => `${c.status} ${errorOf(c)}`).join(', ') };
    });

    // 4. The Leg-1 exchange token is for the exchange audience, never for an API.
    await step(4, 'Leg-1 exchange token used as an access token', '401 invalid_token (wrong audience)', async () => {
      const audience = decodeJwt(leg1Token).aud;
      const c = await call(apis[1]!, leg1Token, certA);
      const passed = c.status === 401 && /error="invalid_token"/.test(c.challenge ?? '') && String(audience).includes('AzureADTokenExchange');
      return { passed, observed: `${c.status} ${errorOf(c)} (aud ${String(audience)})` };
    });

    // 5. A new client certificate invalidates tokens bound to the old one (RFC 8705 §6.3); the client re-acquires.
    await step(5, 'client certificate rotated → old token refused → re-acquire → 200', '401 then a new token and 200', async () => {
      currentA = certA2;
      const old = await call(apis[2]!, tokenA, certA2);
      const renewed = await clientA.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true });
      const fresh = await call(apis[2]!, renewed.accessToken, certA2);
      const passed =
        old.status === 401 && renewed.source === 'network' && renewed.bindingCertificate?.thumbprint === certA2.thumbprint && fresh.status === 200;
      return { passed, observed: `old ${old.status} ${errorOf(old)}, new token from ${renewed.source}, ${fresh.status}` };
    });

    // 6. The authority rotates its signing key; the APIs pick the new key up from the JWKS without a restart.
    await step(6, 'authority rotates its signing key → new tokens accepted, APIs not restarted', 'new kid, 200 ×3', async () => {
      const before = decodeProtectedHeader(tokenA).kid;
      const { kid } = await authority.rotateSigningKey();
      const renewed = await clientA.acquireTokenForClient({ scopes: [SCOPE], mtlsProofOfPossession: true, forceRefresh: true });
      const newKid = decodeProtectedHeader(renewed.accessToken).kid;
      const calls = await Promise.all(apis.map((api) => call(api, renewed.accessToken, certA2)));
      const passed = newKid === kid && newKid !== before && calls.every((c) => c.status === 200);
      return { passed, observed: `kid ${short(String(before))} → ${short(String(newKid))}, ${calls.map((c) => c.status).join('/')}` };
    });

    // 7. An opaque token means nothing to the APIs: they introspect it (RFC 7662) and check its cnf (RFC 8705 §3.2).
    await step(7, 'opaque bound token → introspection: its certificate, another one, after revocation', '200 ×3, then 401, then 401 once revoked', async () => {
      const issued = await request(authority.tokenEndpoint(TENANT), {
        method: 'POST',
        dispatcher: agentFor(certC),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: APP_OPAQUE.clientId, scope: SCOPE, token_type: 'mtls_pop' }).toString(),
      });
      const opaque = String(parseJson(await issued.body.text())['access_token']);
      const accepted = await Promise.all(apis.map((api) => call(api, opaque, certC)));
      const stolen = await call(apis[0]!, opaque, certB);
      const revoked = await request(`${authority.url}/${TENANT}/oauth2/v2.0/revoke`, {
        method: 'POST',
        dispatcher: agentFor(null),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthorization(INTROSPECTION_CLIENT) },
        body: new URLSearchParams({ token: opaque, token_type_hint: 'access_token' }).toString(),
      });
      await revoked.body.dump();
      const after = await call(apis[1]!, opaque, certC);
      const passed =
        !opaque.includes('.') &&
        accepted.every((c) => c.status === 200 && c.body['thumbprint'] === certC.thumbprint) &&
        stolen.status === 401 && revoked.statusCode === 200 && after.status === 401 && errorOf(after) === 'invalid_token';
      return { passed, observed: `${accepted.map((c) => c.status).join('/')}, other certificate ${stolen.status} ${errorOf(stolen)}, revoked ${after.status} ${errorOf(after)}` };
    });

    return { results, passed: results.length === 7 && results.every((r) => r.passed) };
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => undefined);
  }
}

function authorityConfig(certA: IssuedCertificate, certA2: IssuedCertificate, certB: IssuedCertificate, certC: IssuedCertificate): AuthorityConfig {
  const selfSigned = (cert: IssuedCertificate) => ({ authMethod: 'self_signed_tls_client_auth' as const, thumbprint: cert.thumbprint });
  return {
    tenants: [{ id: TENANT, displayName: 'certbound demo' }],
    resources: [{ identifier: RESOURCE, appRoles: ['Data.Read'] }],
    apps: [
      // App A holds two certificates during a rollover: the current one and its renewal.
      { ...APP_A, tenant: TENANT, displayName: 'app A', certificates: [selfSigned(certA), selfSigned(certA2)], grants: { [RESOURCE]: ['Data.Read'] } },
      { ...APP_B, tenant: TENANT, displayName: 'app B', certificates: [selfSigned(certB)], grants: { [RESOURCE]: ['Data.Read'] } },
      // The FIC app has no certificate of its own: it trusts app A's Leg-1 exchange tokens.
      {
        ...APP_FIC,
        tenant: TENANT,
        displayName: 'federated app',
        federatedCredentials: [{ issuer: 'self', subject: APP_A.objectId, audience: 'api://AzureADTokenExchange' }],
        grants: { [RESOURCE]: ['Data.Read'] },
      },
      // App C asks for opaque tokens: the APIs learn their claims and binding by introspection only.
      { ...APP_OPAQUE, tenant: TENANT, displayName: 'app C (opaque tokens)', tokenFormat: 'opaque', certificates: [selfSigned(certC)], grants: { [RESOURCE]: ['Data.Read'] } },
    ],
    introspectionClients: [INTROSPECTION_CLIENT],
  };
}

/** @see RFC 6749 §2.3.1 — client_secret_basic. */
function basicAuthorization(client: { clientId: string; clientSecret: string }): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
}

async function startApis(authority: RunningAuthority, dir: string): Promise<Api[]> {
  const json = {
    listen: { host: '127.0.0.1', port: 0 },
    tls: { cert: 'server.crt', key: 'server.key' },
    issuer: 'https://127.0.0.1:0/{tenantid}/v2.0'.replace('https://127.0.0.1:0', authority.url),
    audience: RESOURCE,
    jwksUri: authority.jwksUri(TENANT),
    jwksCa: 'ca.crt',
    algorithms: ['RS256'],
    tokenTypes: ['JWT', 'at+jwt'],
    binding: 'required',
    schemes: ['Bearer', 'mtls_pop'],
    certificateSource: { type: 'tls' },
    requiredRoles: ['Data.Read'],
    // Opaque tokens are introspected at the authority; no caching, so a revocation shows at once.
    introspection: {
      endpoint: `${authority.url}/${TENANT}/oauth2/v2.0/introspect`,
      clientId: INTROSPECTION_CLIENT.clientId,
      clientAuth: 'client_secret_basic',
      clientSecret: INTROSPECTION_CLIENT.clientSecret,
      tls: { ca: 'ca.crt' },
      cacheMaxSeconds: 0,
    },
  };
  const file = join(dir, 'certbound.json');
  await writeFile(file, JSON.stringify(json, null, 2));
  const config = parseConfig(json, dir);
  const started = await Promise.all([startKoaApi(config), startExpressApi(config), startFastifyApi(config)]);
  return [
    { name: 'Koa', ...started[0] },
    { name: 'Express', ...started[1] },
    { name: 'Fastify', ...started[2] },
  ];
}

function pem(cert: IssuedCertificate): CertificateCredential {
  return { certificate: cert.cert, privateKey: cert.key };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function errorOf(call: Call): string {
  return /error="([^"]+)"/.exec(call.challenge ?? '')?.[1] ?? 'no error';
}

function short(value: string): string {
  return value.length > 14 ? `${value.slice(0, 10)}…` : value;
}

export type { ConfidentialClient };
