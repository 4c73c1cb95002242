// Against the local authorization server (@certbound/authority) over real mTLS: no recording server, no mocks.
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { startAuthority, type RunningAuthority } from '@certbound/authority';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientForResource, createConfidentialClient, TokenEndpointError, type CertificateCredential, type ConfidentialClientOptions } from '../src/index.js';
import { startCountingProxy, type CountingProxy } from './support/counting-proxy.js';

const TENANT = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ORDERS = 'api://orders';
const EXCHANGE = 'api://AzureADTokenExchange/.default';
const VANILLA = { clientId: '0a0a0a0a-0000-4000-8000-00000000000a', objectId: '0a0a0a0a-1111-4111-8111-00000000000a' };
const LEG2 = { clientId: '0b0b0b0b-0000-4000-8000-00000000000b', objectId: '0b0b0b0b-1111-4111-8111-00000000000b' };
const GENERIC = { clientId: '0c0c0c0c-0000-4000-8000-00000000000c', objectId: '0c0c0c0c-1111-4111-8111-00000000000c' };
const TOKEN_PATH = `/${TENANT}/oauth2/v2.0/token`;

let pki: DevPki;
let authority: RunningAuthority;
let proxy: CountingProxy;
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await createDevPki({ clients: ['client-a', 'client-b'] });
  const a = pki.clients['client-a']!;
  const b = pki.clients['client-b']!;
  authority = await startAuthority({
    tls: { cert: pki.server.cert, key: pki.server.key },
    config: {
      tenants: [{ id: TENANT }],
      resources: [{ identifier: ORDERS, appRoles: ['Orders.Read'] }],
      apps: [
        {
          ...VANILLA,
          tenant: TENANT,
          // Both certificates are registered: rotation from a to b must keep working.
          certificates: [
            { authMethod: 'self_signed_tls_client_auth', pem: a.cert },
            { authMethod: 'self_signed_tls_client_auth', pem: b.cert },
          ],
          grants: { [ORDERS]: ['Orders.Read'] },
        },
        {
          ...LEG2,
          tenant: TENANT,
          grants: { [ORDERS]: ['Orders.Read'] },
          federatedCredentials: [{ issuer: 'self', subject: VANILLA.objectId, audience: 'api://AzureADTokenExchange' }],
        },
        {
          ...GENERIC,
          tenant: TENANT,
          boundTokens: 'always',
          certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: a.thumbprint }],
          grants: { [ORDERS]: ['Orders.Read'] },
        },
      ],
    },
  });
  proxy = await startCountingProxy({
    upstream: authority.url,
    tls: { cert: pki.server.cert, key: pki.server.key },
    clientCa: pki.ca.cert,
    identities: [a, b],
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await proxy?.close();
  await authority?.close();
});

function pem(name: 'client-a' | 'client-b'): CertificateCredential {
  return { certificate: pki.clients[name]!.cert, privateKey: pki.clients[name]!.key };
}

/** An Entra-style client whose mTLS and login hosts go to `origin` (the counting proxy by default), TLS verified with the dev CA. */
function entraClient(options: Partial<ConfidentialClientOptions> & Pick<ConfidentialClientOptions, 'clientId' | 'credential'>, origin = proxy.origin) {
  const client = createConfidentialClient({
    authority: `https://login.microsoftonline.com/${TENANT}`,
    azureRegion: false,
    ca: pki.ca.cert,
    hostOverrides: { 'mtlsauth.microsoft.com': origin, 'login.microsoftonline.com': origin },
    ...options,
  });
  clients.push(client);
  return client;
}

async function verified(token: string, audience: string) {
  const { payload } = await jwtVerify(token, createLocalJWKSet(authority.jwks() as Parameters<typeof createLocalJWKSet>[0]), {
    issuer: authority.issuer(TENANT),
    audience,
  });
  return payload;
}

const tokenRequests = () => proxy.count('POST', TOKEN_PATH);

describe('against the local authorization server over real mTLS', () => {
  it('vanilla flow: an mtls_pop token bound to the app certificate', async () => {
    const client = entraClient({ clientId: VANILLA.clientId, credential: pem('client-a') });
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect(result.tokenType).toBe('mtls_pop');
    expect(result.source).toBe('network');
    expect(result.tokenEndpoint).toBe(`https://mtlsauth.microsoft.com${TOKEN_PATH}`);
    expect(result.createAuthorizationHeader()).toBe(`mtls_pop ${result.accessToken}`);
    const claims = await verified(result.accessToken, ORDERS);
    expect(claims['cnf']).toEqual({ 'x5t#S256': pki.clients['client-a']!.thumbprint });
    expect(claims['azp']).toBe(VANILLA.clientId);
    expect(claims['roles']).toEqual(['Orders.Read']);
    expect(result.bindingCertificate?.thumbprint).toBe(pki.clients['client-a']!.thumbprint);
  });

  it('FIC two-leg flow: Leg 1 (exchange token) → Leg 2 (jwt-pop) gives an mtls_pop token for the resource, bound to the Leg 1 certificate', async () => {
    const leg1Client = entraClient({ clientId: VANILLA.clientId, credential: pem('client-a') });
    const leg1 = await leg1Client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
    const leg1Claims = await verified(leg1.accessToken, 'api://AzureADTokenExchange');
    expect(leg1Claims['cnf']).toEqual({ 'x5t#S256': pki.clients['client-a']!.thumbprint });

    const leg2Client = entraClient({
      clientId: LEG2.clientId,
      credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! }) },
    });
    const leg2 = await leg2Client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect(leg2.tokenType).toBe('mtls_pop');
    expect(leg2.bindingCertificate).toBe(leg1.bindingCertificate);
    const claims = await verified(leg2.accessToken, ORDERS);
    expect(claims['azp']).toBe(LEG2.clientId);
    expect(claims['cnf']).toEqual({ 'x5t#S256': pki.clients['client-a']!.thumbprint });
  });

  it('docs/protocol.md §5: Leg 2 with a certificate other than the one Leg 1 was bound to is refused by the authority', async () => {
    const leg1 = await entraClient({ clientId: VANILLA.clientId, credential: pem('client-a') }).acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
    const leg2Client = entraClient({
      clientId: LEG2.clientId,
      credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: pem('client-b') }) },
    });
    const error = await leg2Client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });
    expect((error as TokenEndpointError).status).toBeGreaterThanOrEqual(400);
    expect(typeof (error as TokenEndpointError).error).toBe('string');
    expect((error as Error).message).not.toContain(leg1.accessToken);
  });

  it('a cache hit returns the same token and the same bindingCertificate without a request', async () => {
    const client = entraClient({ clientId: VANILLA.clientId, credential: pem('client-a') });
    const first = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    const before = tokenRequests();
    const second = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect(second.source).toBe('cache');
    expect(second.accessToken).toBe(first.accessToken);
    expect(second.bindingCertificate).toBe(first.bindingCertificate);
    expect(tokenRequests()).toBe(before);
  });

  it('certificate rotation (the provider returns a new certificate) makes a new acquisition bound to the new certificate', async () => {
    let current: 'client-a' | 'client-b' = 'client-a';
    const client = entraClient({ clientId: VANILLA.clientId, credential: () => pem(current) });
    const before = tokenRequests();
    const first = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect((await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true })).source).toBe('cache');
    current = 'client-b';
    const rotated = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect(rotated.source).toBe('network');
    expect(rotated.bindingCertificate?.thumbprint).toBe(pki.clients['client-b']!.thumbprint);
    expect((await verified(rotated.accessToken, ORDERS))['cnf']).toEqual({ 'x5t#S256': pki.clients['client-b']!.thumbprint });
    expect(rotated.accessToken).not.toBe(first.accessToken);
    expect(tokenRequests() - before).toBe(2);
  });

  it('1,000 concurrent acquisitions make exactly one token request at the authority', async () => {
    const client = entraClient({ clientId: VANILLA.clientId, credential: pem('client-b') });
    const before = tokenRequests();
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true })),
    );
    expect(tokenRequests() - before).toBe(1);
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(1);
    expect(new Set(results.map((result) => result.bindingCertificate)).size).toBe(1);
  });

  it('certificate without PoP: a private_key_jwt assertion gives an unbound Bearer token', async () => {
    // Straight to the authority: the assertion audience is the authority's own token endpoint.
    const client = entraClient({ clientId: VANILLA.clientId, credential: pem('client-a') }, authority.url);
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`] });
    expect(result.tokenType).toBe('Bearer');
    expect(result.bindingCertificate).toBeNull();
    expect((await verified(result.accessToken, ORDERS))['cnf']).toBeUndefined();
  });

  it('generic RFC 8705: discovery, mtls_endpoint_aliases, tls_client_auth, a Bearer token bound to the certificate', async () => {
    const client = createConfidentialClient({
      clientId: GENERIC.clientId,
      authorityType: 'rfc8705',
      authority: authority.issuer(TENANT),
      credential: pem('client-a'),
      ca: pki.ca.cert,
    });
    clients.push(client);
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    expect(result.tokenType).toBe('Bearer');
    expect(result.tokenEndpoint).toBe(authority.tokenEndpoint(TENANT));
    expect(result.createAuthorizationHeader()).toBe(`Bearer ${result.accessToken}`);
    expect(decodeJwt(result.accessToken)['cnf']).toEqual({ 'x5t#S256': pki.clients['client-a']!.thumbprint });
  });
});

describe('RFC 9728: starting from a resource URL', () => {
  let resourceServer: Server;
  let origin: string;
  let served: Record<string, unknown>;

  beforeAll(async () => {
    resourceServer = createHttpsServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
      // §3.1: the well-known suffix sits between the host and the resource's path.
      if (req.url !== '/.well-known/oauth-protected-resource/orders') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => resourceServer.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(resourceServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => resourceServer.close(resolve));
  });

  it('reads the metadata, discovers the authorization server it names, and acquires a token bound to the certificate', async () => {
    served = { resource: `${origin}/orders`, authorization_servers: [authority.issuer(TENANT)], tls_client_certificate_bound_access_tokens: true };
    const trustedAuthorizationServers = [authority.issuer(TENANT)];
    const { client, resource } = await createClientForResource(`${origin}/orders`, { clientId: GENERIC.clientId, credential: pem('client-a'), ca: pki.ca.cert, trustedAuthorizationServers });
    clients.push(client);
    expect(resource.certificateBoundTokens).toBe(true);
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: resource.certificateBoundTokens });
    expect(result.tokenEndpoint).toBe(authority.tokenEndpoint(TENANT));
    expect(decodeJwt(result.accessToken)['cnf']).toEqual({ 'x5t#S256': pki.clients['client-a']!.thumbprint });
  });

  it('refuses a document for another resource, and a resource that names only servers the caller does not trust (RFC 9728 §3.3, §7.6)', async () => {
    const options = { clientId: GENERIC.clientId, credential: pem('client-a'), ca: pki.ca.cert, trustedAuthorizationServers: [authority.issuer(TENANT)] };
    served = { resource: 'https://elsewhere.example/orders', authorization_servers: [authority.issuer(TENANT)] };
    await expect(createClientForResource(`${origin}/orders`, options)).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
    // A hostile resource proposing its own server never receives the credential: no client is created at all.
    served = { resource: `${origin}/orders`, authorization_servers: ['https://attacker.example/tenant/v2.0'] };
    await expect(createClientForResource(`${origin}/orders`, options)).rejects.toMatchObject({ code: 'ERR_CLIENT_METADATA_INVALID' });
    await expect(createClientForResource(`${origin}/orders`, { ...options, trustedAuthorizationServers: [] })).rejects.toBeInstanceOf(TypeError);
  });
});
