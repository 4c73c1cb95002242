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

// The request forms below follow Traefik's forwardAuth source (v2.11.43 / v3.6.14 and later): the entry point's
// forwardedHeaders step first drops X-Forwarded-* (X-Forwarded-Tls-Client-Cert included) from untrusted peers;
// passTLSClientCert then sets the certificate header only when the client presented one; forwardAuth copies the
// client's headers and, with `trustForwardHeader: false`, removes every X-Forwarded-* before writing its own
// X-Forwarded-Method/Proto/Host/Uri/For.
describe('Traefik ForwardAuth: trustForwardHeader, stripped and client-sent certificate headers', () => {
  const withoutCertificate = (headers: [string, string][]) => headers.filter(([name]) => name !== 'X-Forwarded-Tls-Client-Cert');

  it('trustForwardHeader: true — the certificate header passTLSClientCert set reaches the gateway → 200', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA]));
    // With the option on, Traefik forwards the entry point's X-Forwarded-For chain as it stands.
    headers.push(['X-Forwarded-Port', '443'], ['X-Forwarded-Server', 'traefik-7d9f']);
    const reply = await send(address(), { headers });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
  });

  it('trustForwardHeader: false — Traefik deletes the certificate header with the other X-Forwarded-* → 401, never an allow', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = withoutCertificate(forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA])));
    const reply = await send(address(), { headers });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_token' });
    expect(reply.header('x-certbound-subject')).toBeUndefined();
  });

  it('strip step + RequestClientCert: a client without a certificate arrives with no certificate header → 401', async () => {
    // The client sent X-Forwarded-Tls-Client-Cert itself; the README's strip middleware removed it and
    // passTLSClientCert had nothing to set. (With RequireAnyClientCert such a client never completes the handshake.)
    const token = setup.tokens.mint(setup.pki.clients['client-a']!.thumbprint);
    const reply = await send(address(), { headers: withoutCertificate(forwardAuth(`Bearer ${token}`, null)) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
  });

  it('why the strip step is required: a client-sent copy that Traefik let through is indistinguishable from Traefik\'s own', async () => {
    // forwardedHeaders.insecure (or trustedIPs covering the client), no strip step, no client certificate: the
    // victim's public certificate sent by the thief is byte for byte what passTLSClientCert would have sent.
    const victim = setup.pki.clients['client-a']!;
    const stolen = setup.tokens.mint(victim.thumbprint);
    const reply = await send(address(), { headers: forwardAuth(`Bearer ${stolen}`, passTlsClientCert([victim])) });
    expect(reply.status).toBe(200);
  });

  it.each(['X_Certbound_Subject', 'x_certbound_roles', 'X-Certbound_Client-Id'])(
    'an identity header spelt %s (Traefik copies client headers; authResponseHeaders replaces exact names only) → 400 invalid_request',
    async (spelling) => {
      const clientA = setup.pki.clients['client-a']!;
      const headers = forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA]));
      headers.push([spelling, 'admin']);
      const reply = await send(address(), { headers });
      expect(reply.status).toBe(400);
      expect(reply.header('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_request".*underscores/);
      expect(JSON.parse(reply.body)).toEqual({ error: 'invalid_request', error_description: 'Identity header names with underscores are not accepted' });
      expect(reply.header('x-certbound-subject')).toBeUndefined();
    },
  );

  it('a client-sent identity header of the exact name is answered over (authResponseHeaders replaces it) → 200', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = forwardAuth(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, passTlsClientCert([clientA]));
    headers.push(['X-Certbound-Subject', 'admin']);
    const reply = await send(address(), { headers });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-subject')).toBe(CLIENT_ID);
  });

  it('renamed identity headers: the new names are answered, and their underscore spellings refused', async () => {
    const renamed = await startTestGateway(gatewayDocument(setup, { format: 'traefik' }, { gateway: { identityHeaders: { subject: 'X-User', roles: 'x-app-roles' } } }));
    try {
      const clientA = setup.pki.clients['client-a']!;
      const token = setup.tokens.mint(clientA.thumbprint);
      const accepted = await send(`${renamed.url}/auth/traefik`, { headers: forwardAuth(`Bearer ${token}`, passTlsClientCert([clientA])) });
      expect(accepted.status).toBe(200);
      expect(accepted.header('x-user')).toBe(CLIENT_ID);
      expect(accepted.header('x-app-roles')).toBe('Orders.Reader');
      expect(accepted.header('x-certbound-subject')).toBeUndefined();
      const spelt = forwardAuth(`Bearer ${token}`, passTlsClientCert([clientA]));
      spelt.push(['X_User', 'admin']);
      expect((await send(`${renamed.url}/auth/traefik`, { headers: spelt })).status).toBe(400);
    } finally {
      await renamed.close();
    }
  });
});
