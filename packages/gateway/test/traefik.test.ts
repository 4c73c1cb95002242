// Traefik ForwardAuth. The recorded request form follows Traefik's documentation and forward-auth behaviour: a GET
// to the configured address carrying the client's headers in Go's canonical spelling, plus X-Forwarded-Method,
// -Proto, -Host, -Uri and -For; PassTLSClientCert (`pem: true`) adds X-Forwarded-Tls-Client-Cert: each certificate
// the client sent as base64 DER without PEM armour, comma-separated, leaf first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '@certbound/dev-pki';
import type { Gateway } from '../src/index.js';
import { CLIENT_ID } from './helpers/tokens.js';
import { createTestSetup, gatewayDocument, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let gateway: Gateway;

beforeAll(async () => {
  setup = await createTestSetup();
  gateway = await startTestGateway(gatewayDocument(setup, { format: 'traefik' }));
});
afterAll(async () => {
  await gateway?.close();
});

function passTlsClientCert(chain: IssuedCertificate[]): string {
  return chain.map((certificate) => certificate.der.toString('base64')).join(',');
}

/** What Traefik's forwardAuth sends for `POST https://api.example.com/api/orders?limit=5` from 203.0.113.7. */
function forwardAuth(authorization: string | null, certificateHeader: string | null, uri = '/api/orders?limit=5'): [string, string][] {
  const headers: [string, string][] = [['Host', '127.0.0.1'], ['User-Agent', 'Go-http-client/1.1']];
  if (authorization !== null) headers.push(['Authorization', authorization]);
  headers.push(['Content-Type', 'application/json']);
  if (certificateHeader !== null) headers.push(['X-Forwarded-Tls-Client-Cert', certificateHeader]);
  headers.push(
    ['X-Forwarded-For', '203.0.113.7'],
    ['X-Forwarded-Host', 'api.example.com'],
    ['X-Forwarded-Method', 'POST'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Uri', uri],
    ['Accept-Encoding', 'gzip'],
  );
  return headers;
}

const address = () => `${gateway.url}/auth/traefik`;

describe('Traefik ForwardAuth', () => {
  it('RFC 8705 §3: the leaf of X-Forwarded-Tls-Client-Cert matches → 200 with the authResponseHeaders', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA, setup.pki.ca])) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-subject')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-client-id')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
    expect(reply.header('x-certbound-roles')).toBe('Orders.Reader');
  });

  it('SECURITY 5: only the leaf counts — a token bound to the CA certificate later in the list is refused', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(setup.pki.ca.thumbprint);
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${token}`, passTlsClientCert([clientA, setup.pki.ca])) });
    expect(reply.status).toBe(401);
  });

  it('a denial is returned as is (status, WWW-Authenticate, JSON body), which Traefik copies to the client', async () => {
    const token = setup.tokens.mint(setup.pki.clients['client-a']!.thumbprint);
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${token}`, passTlsClientCert([setup.pki.clients['client-b']!])) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_token' });
  });

  it('RFC 6750 §3.1: no Authorization → 401 challenge without an error code', async () => {
    const reply = await send(address(), { headers: forwardAuth(null, passTlsClientCert([setup.pki.clients['client-a']!])) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).not.toContain('error=');
  });

  it('SECURITY 8: X-Forwarded-Uri with a token in the query → 400 invalid_request', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint);
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${token}`, passTlsClientCert([clientA]), `/api/orders?access_token=${token}`) });
    expect(reply.status).toBe(400);
    expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
  });

  it('SECURITY 7: non-certificate bytes in the header → a clean 4xx, never 5xx', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, Buffer.from('not a certificate').toString('base64')) });
    expect([400, 401]).toContain(reply.status);
    expect(reply.header('www-authenticate')).toMatch(/error="invalid_(request|token)"/);
  });

  it('SECURITY 7: the header from an untrusted peer (127.0.0.2) is ignored → 401', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(address(), {
      localAddress: '127.0.0.2',
      headers: forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA])),
    });
    expect(reply.status).toBe(401);
  });

  it('identity values the token lacks are answered empty, so the proxy sets "" rather than a client-sent copy', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint, { roles: undefined });
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${token}`, passTlsClientCert([clientA])) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-roles')).toBe('');
    expect(reply.header('x-certbound-scopes')).toBe('orders.read orders.write');
  });
});
