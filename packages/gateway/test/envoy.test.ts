// Envoy ext_authz, HTTP service mode. The recorded request forms follow Envoy's documentation of
// `http_service` (path_prefix + original path, original method, `content-length: 0`, the allowed headers —
// authorization, host, and x-forwarded-client-cert once listed in `allowed_headers`) and of
// `forward_client_cert_details` (XFCC elements `By=…;Hash=…;Cert="…";Subject="…";URI=`, one per hop).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '@certbound/dev-pki';
import type { Gateway } from '../src/index.js';
import { CLIENT_ID } from './helpers/tokens.js';
import { createTestSetup, gatewayDocument, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let gateway: Gateway;

beforeAll(async () => {
  setup = await createTestSetup();
  gateway = await startTestGateway(gatewayDocument(setup, { format: 'xfcc' }));
});
afterAll(async () => {
  await gateway?.close();
});

const ENVOY_BY = 'spiffe://cluster.local/ns/edge/sa/envoy';

/** One XFCC element as Envoy appends it with `set_current_client_cert_details: { subject, cert, uri }`. */
function xfccElement(certificate: IssuedCertificate, options: { cert?: boolean; by?: string } = {}): string {
  const hash = createHash('sha256').update(certificate.der).digest('hex');
  const cert = options.cert === false ? '' : `;Cert="${encodeURIComponent(certificate.cert)}"`;
  return `By=${options.by ?? ENVOY_BY};Hash=${hash}${cert};Subject="CN=${certificate.commonName}";URI=`;
}

/** The check request Envoy's ext_authz HTTP client sends for `POST /api/orders?limit=5`. */
function checkRequest(authorization: string | null, xfcc: string | null): [string, string][] {
  const headers: [string, string][] = [
    ['host', 'api.example.com'],
    ['content-length', '0'],
  ];
  if (authorization !== null) headers.push(['authorization', authorization]);
  if (xfcc !== null) headers.push(['x-forwarded-client-cert', xfcc]);
  headers.push(['x-envoy-expected-rq-timeout-ms', '200'], ['x-request-id', '1b4e28ba-2fa1-4d2c-883f-0016d3cca427']);
  return headers;
}

const checkUrl = () => `${gateway.url}/auth/envoy/api/orders?limit=5`;

describe('Envoy ext_authz (http_service)', () => {
  it('RFC 8705 §3: matching certificate in XFCC → 200 with the headers for allowed_upstream_headers', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(checkUrl(), { method: 'POST', headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA)) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-subject')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
    expect(reply.header('x-certbound-scopes')).toBe('orders.read orders.write');
    expect(reply.header('x-envoy-auth-headers-to-remove')).toBeUndefined();
  });

  it('identity values the token lacks are listed in x-envoy-auth-headers-to-remove, so client-sent copies go', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint, { roles: undefined, scp: undefined });
    const reply = await send(checkUrl(), { method: 'GET', headers: checkRequest(`mtls_pop ${token}`, xfccElement(clientA)) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-envoy-auth-headers-to-remove')?.split(',').sort()).toEqual(['x-certbound-roles', 'x-certbound-scopes']);
    expect(reply.header('x-certbound-roles')).toBeUndefined();
  });

  it('PROTOCOL 7: a hash-only XFCC element (Envoy\'s default details) binds too', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(checkUrl(), { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA, { cert: false })) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
  });

  it('SECURITY 7 (Envoy #6038): with APPEND_FORWARD the element appended by the trusted hop counts, not a client-injected one', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const clientB = setup.pki.clients['client-b']!;
    const token = setup.tokens.mint(clientA.thumbprint);
    // The client (holding B) injected an element naming A; Envoy appended the real one (B) after it.
    const injected = `${xfccElement(clientA, { by: 'spiffe://attacker' })},${xfccElement(clientB)}`;
    const refused = await send(checkUrl(), { headers: checkRequest(`Bearer ${token}`, injected) });
    expect(refused.status).toBe(401);
    expect(refused.header('www-authenticate')).toContain('error="invalid_token"');
    // The honest case: an earlier hop's element, then this hop's element for A.
    const forwarded = `${xfccElement(clientB, { by: 'spiffe://upstream-proxy' })},${xfccElement(clientA)}`;
    const accepted = await send(checkUrl(), { headers: checkRequest(`Bearer ${token}`, forwarded) });
    expect(accepted.status).toBe(200);
  });

  it('a denial carries status, WWW-Authenticate and the JSON body for Envoy to send to the client', async () => {
    const token = setup.tokens.mint(setup.pki.clients['client-a']!.thumbprint);
    const reply = await send(checkUrl(), { method: 'POST', headers: checkRequest(`Bearer ${token}`, xfccElement(setup.pki.clients['client-b']!)) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    expect(reply.header('content-type')).toBe('application/json');
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_token' });
    // nginx's workaround headers are not part of the Envoy answer: Envoy passes 4xx statuses through as they are.
    expect(reply.header('x-certbound-status')).toBeUndefined();
  });

  it('RFC 6750 §3.1: 400 invalid_request is answered as 400 (Envoy passes 4xx through)', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(checkUrl(), { headers: checkRequest('Bearer a b c', xfccElement(clientA)) });
    expect(reply.status).toBe(400);
    expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
  });

  it('SECURITY 8: the original path behind the prefix is checked for query-string tokens', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint);
    const reply = await send(`${gateway.url}/auth/envoy/api/orders?access_token=${token}`, { headers: checkRequest(`Bearer ${token}`, xfccElement(clientA)) });
    expect(reply.status).toBe(400);
    expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
  });

  it('the bare prefix (original path "/") is an authorization request too', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(`${gateway.url}/auth/envoy`, { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA)) });
    expect(reply.status).toBe(200);
  });

  it('SECURITY 7: XFCC from an untrusted peer (127.0.0.2) is ignored → 401', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(checkUrl(), {
      localAddress: '127.0.0.2',
      headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA)),
    });
    expect(reply.status).toBe(401);
    expect(reply.header('x-certbound-subject')).toBeUndefined();
  });

  it('SECURITY 7: an XFCC whose Hash and Cert disagree is refused, not resolved either way', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const clientB = setup.pki.clients['client-b']!;
    const wrongHash = createHash('sha256').update(clientB.der).digest('hex');
    const xfcc = `By=${ENVOY_BY};Hash=${wrongHash};Cert="${encodeURIComponent(clientA.cert)}";Subject="CN=client-a";URI=`;
    const reply = await send(checkUrl(), { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfcc) });
    expect([400, 401]).toContain(reply.status);
    expect(reply.header('x-certbound-thumbprint')).toBeUndefined();
  });
});

describe('Envoy: forward_client_cert_details, header prefix, underscore spellings, 5xx', () => {
  it('SANITIZE_SET: Envoy replaced the client\'s XFCC with its one element for the connection — only that counts', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const clientB = setup.pki.clients['client-b']!;
    // The thief (holding B) sent an XFCC naming A; SANITIZE_SET dropped it and wrote B's element alone.
    const reply = await send(checkUrl(), { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientB)) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
    // On a connection without a client certificate SANITIZE_SET removes the header: no certificate, no allow.
    const none = await send(checkUrl(), { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, null) });
    expect(none.status).toBe(401);
  });

  it('APPEND_FORWARD: an open quote injected before Envoy\'s element is refused as malformed, never read around', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const xfcc = `By=spiffe://attacker;Subject="CN=x,${xfccElement(clientA)}`;
    const reply = await send(checkUrl(), { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfcc) });
    expect(reply.status).toBe(400);
    expect(reply.header('x-certbound-subject')).toBeUndefined();
  });

  it('a custom bootstrap header_prefix: the headers-to-remove list goes out under <prefix>-auth-headers-to-remove', async () => {
    const edge = await startTestGateway(gatewayDocument(setup, { format: 'xfcc' }, { gateway: { envoyHeaderPrefix: 'X-Edge' } }));
    try {
      const clientA = setup.pki.clients['client-a']!;
      const token = setup.tokens.mint(clientA.thumbprint, { roles: undefined });
      // Envoy with header_prefix "x-edge" names its own headers x-edge-*, in the check request too.
      const headers = checkRequest(`Bearer ${token}`, xfccElement(clientA)).map(([name, value]): [string, string] => [name.replace(/^x-envoy-/, 'x-edge-'), value]);
      const reply = await send(`${edge.url}/auth/envoy/api/orders`, { headers });
      expect(reply.status).toBe(200);
      expect(reply.header('x-edge-auth-headers-to-remove')).toBe('x-certbound-roles');
      expect(reply.header('x-envoy-auth-headers-to-remove')).toBeUndefined();
    } finally {
      await edge.close();
    }
  });

  it('renamed identity headers are the names listed for removal', async () => {
    const renamed = await startTestGateway(gatewayDocument(setup, { format: 'xfcc' }, { gateway: { identityHeaders: { subject: 'x-user', roles: 'x-app-roles' } } }));
    try {
      const clientA = setup.pki.clients['client-a']!;
      const token = setup.tokens.mint(clientA.thumbprint, { roles: undefined });
      const reply = await send(`${renamed.url}/auth/envoy/api/orders`, { headers: checkRequest(`Bearer ${token}`, xfccElement(clientA)) });
      expect(reply.status).toBe(200);
      expect(reply.header('x-user')).toBe(CLIENT_ID);
      expect(reply.header('x-envoy-auth-headers-to-remove')).toBe('x-app-roles');
    } finally {
      await renamed.close();
    }
  });

  it('an identity header spelt with underscores in the check request (allowed_headers let it through) → 400 passed on by Envoy', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA));
    headers.push(['x_certbound_subject', 'admin']);
    const reply = await send(checkUrl(), { headers });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('JWKS unreachable and an unknown key → 503 temporarily_unavailable with challenge and body (Envoy answers status_on_error)', async () => {
    // A closed loopback port: every key fetch fails at once.
    const down = await startTestGateway({ ...gatewayDocument(setup, { format: 'xfcc' }), jwks: undefined, jwksUri: 'https://127.0.0.1:9/keys' });
    try {
      const clientA = setup.pki.clients['client-a']!;
      const reply = await send(`${down.url}/auth/envoy/api/orders`, { headers: checkRequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, xfccElement(clientA)) });
      expect(reply.status).toBe(503);
      expect(reply.header('www-authenticate')).toContain('error="temporarily_unavailable"');
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'temporarily_unavailable' });
      expect(reply.header('x-certbound-subject')).toBeUndefined();
    } finally {
      await down.close();
    }
  });
});
