/**
 * Interop with an independent authorization server: panva's oidc-provider, configured for RFC 8705
 * certificate-bound access tokens in its opaque format (client credentials with self_signed_tls_client_auth over
 * mTLS) and RFC 7662 introspection. certbound's verifier learns each token's claims and `cnf["x5t#S256"]` from
 * oidc-provider's introspection endpoint only (RFC 8705 §3.2).
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Provider from 'oidc-provider';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, introspection, type Verifier, type VerifyResult } from '@certbound/core';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';

const RESOURCE = 'https://orders.certbound.test';
const RESOURCE_SERVER = { clientId: 'orders-api', clientSecret: 'orders-api introspection secret at oidc-provider' };

let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;
let server: Server;
let issuer: string;
let verifier: Verifier;
const agents: Agent[] = [];

/** The client's registered key: its certificate's public key with x5c, from which oidc-provider derives x5t#S256. */
function registeredJwk(cert: IssuedCertificate): Record<string, unknown> {
  const certificate = new X509Certificate(cert.cert);
  return { ...certificate.publicKey.export({ format: 'jwk' }), x5c: [certificate.raw.toString('base64')] };
}

function agentFor(cert: IssuedCertificate | null): Agent {
  const agent = new Agent({ connect: { ca: pki.ca.cert, ...(cert === null ? {} : { cert: cert.cert, key: cert.key }) } });
  agents.push(agent);
  return agent;
}

async function post(path: string, form: Record<string, string>, cert: IssuedCertificate | null, headers: Record<string, string> = {}) {
  const response = await request(`${issuer}${path}`, {
    method: 'POST',
    dispatcher: agentFor(cert),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

async function boundToken(cert: IssuedCertificate): Promise<string> {
  const { status, json } = await post('/token', { grant_type: 'client_credentials', client_id: 'bound-client', scope: 'orders.read', resource: RESOURCE }, cert);
  expect(status, JSON.stringify(json)).toBe(200);
  return json['access_token'] as string;
}

function outcome(result: VerifyResult): string {
  return result.ok ? 'OK' : `${result.status} ${result.code}`;
}

beforeAll(async () => {
  pki = await createDevPki({ clients: ['client-a', 'client-b'] });
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
  // Loopback only; the client certificate is requested and judged by oidc-provider (self-signed is fine, RFC 8705 §2.2).
  server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clientAuthMethods: ['client_secret_basic', 'self_signed_tls_client_auth'],
    scopes: ['orders.read'],
    clients: [
      {
        client_id: 'bound-client',
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        tls_client_certificate_bound_access_tokens: true,
        jwks: { keys: [registeredJwk(a), registeredJwk(b)] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'orders.read',
      },
      { client_id: RESOURCE_SERVER.clientId, client_secret: RESOURCE_SERVER.clientSecret, token_endpoint_auth_method: 'client_secret_basic', grant_types: [], response_types: [], redirect_uris: [] },
    ],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        selfSignedTlsClientAuth: true,
        getCertificate(ctx: { socket: TLSSocket }) {
          const peer = ctx.socket.getPeerCertificate();
          return peer?.raw === undefined ? undefined : new X509Certificate(peer.raw);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'orders.read', audience: RESOURCE, accessTokenFormat: 'opaque', accessTokenTTL: 600 }),
      },
    },
  });
  server.on('request', provider.callback());

  verifier = createVerifier({
    issuer,
    audience: RESOURCE,
    algorithms: ['ES256'],
    introspection: introspection({
      endpoint: `${issuer}/token/introspection`,
      clientId: RESOURCE_SERVER.clientId,
      clientAuth: 'client_secret_basic',
      clientSecret: RESOURCE_SERVER.clientSecret,
      tls: { ca: pki.ca.cert },
      tokens: 'all',
      cacheMaxSeconds: 0,
    }),
  });
});

afterAll(async () => {
  await verifier?.close();
  await Promise.all(agents.map((agent) => agent.close()));
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('interop: oidc-provider opaque certificate-bound tokens, introspected (RFC 8705 §3.2)', () => {
  it('issues an opaque token whose introspection carries cnf["x5t#S256"] of the client certificate', async () => {
    const token = await boundToken(a);
    expect(token.split('.')).toHaveLength(1);
    const { json } = await post('/token/introspection', { token }, null, {
      authorization: `Basic ${Buffer.from(`${RESOURCE_SERVER.clientId}:${encodeURIComponent(RESOURCE_SERVER.clientSecret).replace(/%20/g, '+')}`).toString('base64')}`,
    });
    expect(json).toMatchObject({ active: true, iss: issuer, aud: RESOURCE, cnf: { 'x5t#S256': a.thumbprint } });
  });

  it('certbound accepts it with the bound certificate and refuses it with another', async () => {
    const token = await boundToken(a);
    const accepted = await verifier.verifyToken(token, a.der);
    expect(outcome(accepted)).toBe('OK');
    if (accepted.ok) expect(accepted.claims['client_id']).toBe('bound-client');
    expect(outcome(await verifier.verifyToken(token, b.der))).toBe('401 ERR_BINDING_MISMATCH');
    expect(outcome(await verifier.verifyToken(token, null))).toBe('401 ERR_CERTIFICATE_MISSING');
  });

  it('certbound refuses it once revoked at oidc-provider (RFC 7009)', async () => {
    const token = await boundToken(b);
    expect(outcome(await verifier.verifyToken(token, b.der))).toBe('OK');
    const revoked = await post('/token/revocation', { token, client_id: 'bound-client' }, b);
    expect(revoked.status).toBe(200);
    expect(outcome(await verifier.verifyToken(token, b.der))).toBe('401 ERR_TOKEN_INACTIVE');
  });
});
