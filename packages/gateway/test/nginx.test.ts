// nginx auth_request endpoint: the subrequest nginx sends (see examples/nginx-gateway/nginx.conf.template) and the
// answers nginx can pass on. Real HTTP on 127.0.0.1; the "proxy" is this test process, a trusted peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { CLIENT_ID } from './helpers/tokens.js';
import { createTestSetup, gatewayDocument, nginxEscapedPem, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  setup = await createTestSetup();
  gateway = await startTestGateway(gatewayDocument(setup, { format: 'nginx', header: 'x-ssl-client-cert' }));
  url = `${gateway.url}/auth/nginx`;
});
afterAll(async () => {
  await gateway?.close();
});

/** The subrequest as nginx sends it: original headers, then the ones the location sets. */
function subrequest(authorization: string | null, certificatePem: string | null, originalUri = '/orders/7'): [string, string][] {
  const headers: [string, string][] = [
    ['X-Original-URI', originalUri],
    ['X-Original-Method', 'GET'],
  ];
  if (certificatePem !== null) headers.push(['X-SSL-Client-Cert', nginxEscapedPem(certificatePem)]);
  headers.push(['Host', 'certbound_gateway'], ['User-Agent', 'curl/8.5.0'], ['Accept', '*/*']);
  if (authorization !== null) headers.push(['Authorization', authorization]);
  return headers;
}

describe('nginx auth_request', () => {
  it('RFC 8705 §3: a bound token with the matching certificate → 200 with identity headers', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(url, { headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-subject')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-client-id')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
    expect(reply.header('x-certbound-scopes')).toBe('orders.read orders.write');
    expect(reply.header('x-certbound-roles')).toBe('Orders.Reader');
    expect(reply.header('www-authenticate')).toBeUndefined();
    expect(reply.header('cache-control')).toBe('no-store');
  });

  it('accepts the mtls_pop scheme and any subrequest method', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(url, { method: 'POST', headers: subrequest(`mtls_pop ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-thumbprint')).toBe(clientA.thumbprint);
  });

  it('RFC 8705 §3: the token replayed with another certificate → 401 invalid_token, challenge for nginx to pass on', async () => {
    const token = setup.tokens.mint(setup.pki.clients['client-a']!.thumbprint);
    const reply = await send(url, { headers: subrequest(`Bearer ${token}`, setup.pki.clients['client-b']!.cert) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    expect(reply.header('x-certbound-status')).toBe('401');
    const body = JSON.parse(reply.header('x-certbound-body')!) as { error: string };
    expect(body.error).toBe('invalid_token');
    expect(JSON.parse(reply.body)).toEqual(body);
    expect(reply.header('x-certbound-subject')).toBeUndefined();
  });

  it('SECURITY 5: a bound token without any certificate → 401 invalid_token (no bearer downgrade)', async () => {
    const token = setup.tokens.mint(setup.pki.clients['client-a']!.thumbprint);
    const reply = await send(url, { headers: subrequest(`Bearer ${token}`, null) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
  });

  it('RFC 6750 §3.1: no credentials → 401 with a challenge that carries no error code', async () => {
    const reply = await send(url, { headers: subrequest(null, setup.pki.clients['client-a']!.cert) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toMatch(/^Bearer/);
    expect(reply.header('www-authenticate')).not.toContain('error=');
    expect(reply.header('x-certbound-status')).toBe('401');
  });

  it('RFC 6750 §3.1: a 400 invalid_request travels as 401 + x-certbound-status: 400 (auth_request turns a 400 into 500)', async () => {
    const reply = await send(url, { headers: subrequest('Bearer', setup.pki.clients['client-a']!.cert) });
    expect(reply.status).toBe(401);
    expect(reply.header('x-certbound-status')).toBe('400');
    expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
    expect(JSON.parse(reply.header('x-certbound-body')!)).toMatchObject({ error: 'invalid_request' });
  });

  it('SECURITY 8: a token in the original query string is refused (X-Original-URI)', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint);
    const reply = await send(url, { headers: subrequest(`Bearer ${token}`, clientA.cert, `/orders?access_token=${token}`) });
    expect(reply.status).toBe(401);
    expect(reply.header('x-certbound-status')).toBe('400');
    expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
  });

  it('SECURITY 7: a duplicate certificate header from the proxy → invalid_request, never a pick', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert);
    headers.push(['X-SSL-Client-Cert', nginxEscapedPem(clientA.cert)]);
    const reply = await send(url, { headers });
    expect(reply.status).toBe(401);
    expect(reply.header('x-certbound-status')).toBe('400');
  });

  it('SECURITY 7: malformed certificate bytes from the proxy → a clean refusal, not a 500', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const headers = subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, null);
    headers.push(['X-SSL-Client-Cert', '-----BEGIN%20CERTIFICATE-----%0AAAAA%ZZ%0A-----END%20CERTIFICATE-----%0A']);
    const reply = await send(url, { headers });
    expect(reply.status).toBe(401);
    expect(['400', '401']).toContain(reply.header('x-certbound-status'));
    expect(reply.header('www-authenticate')).toMatch(/error="invalid_(request|token)"/);
  });

  it('SECURITY 7: the certificate header from an untrusted peer (127.0.0.2) is ignored → 401', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(url, {
      localAddress: '127.0.0.2',
      headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert),
    });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
    expect(reply.header('x-certbound-thumbprint')).toBeUndefined();
  });

  it('SECURITY 8: a header section beyond maxHeaderBytes is refused by the HTTP layer (431), the gateway keeps serving', async () => {
    const reply = await send(url, { headers: [['Authorization', `Bearer ${'A'.repeat(70_000)}`]] });
    expect(reply.status).toBe(431);
    const clientA = setup.pki.clients['client-a']!;
    const after = await send(url, { headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert) });
    expect(after.status).toBe(200);
  });

  it('RFC 6750 §3.1: missing scope → 403 insufficient_scope, which auth_request passes on as 403', async () => {
    const scoped = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }, { requiredScopes: ['orders.admin'] }));
    try {
      const clientA = setup.pki.clients['client-a']!;
      const reply = await send(`${scoped.url}/auth/nginx`, { headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert) });
      expect(reply.status).toBe(403);
      expect(reply.header('x-certbound-status')).toBe('403');
      expect(reply.header('www-authenticate')).toContain('error="insufficient_scope"');
      expect(reply.header('www-authenticate')).toContain('orders.admin');
    } finally {
      await scoped.close();
    }
  });

  it('requiredRoles from the config: a token with the role passes, one without gets 403', async () => {
    const roles = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }, { requiredRoles: ['Orders.Reader'] }));
    try {
      const clientA = setup.pki.clients['client-a']!;
      const ok = await send(`${roles.url}/auth/nginx`, { headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint)}`, clientA.cert) });
      expect(ok.status).toBe(200);
      const missing = await send(`${roles.url}/auth/nginx`, {
        headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint, { roles: ['Somebody.Else'] })}`, clientA.cert),
      });
      expect(missing.status).toBe(403);
      expect(missing.header('www-authenticate')).toContain('error="insufficient_scope"');
    } finally {
      await roles.close();
    }
  });

  describe('/auth/nginx/malformed (requests nginx itself refused with 400)', () => {
    const malformed = () => `${gateway.url}/auth/nginx/malformed`;
    const clientA = () => setup.pki.clients['client-a']!;

    it('never answers below 400 or with another status: a valid token, no token, an expired token → 400 invalid_request', async () => {
      const valid = `Bearer ${setup.tokens.mint(clientA().thumbprint)}`;
      const expired = `Bearer ${setup.tokens.mint(clientA().thumbprint, { iat: Math.floor(Date.now() / 1000) - 7200, nbf: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })}`;
      // null: nginx stopped reading the header section (a second Host) before Authorization.
      for (const authorization of [valid, null, expired]) {
        const reply = await send(malformed(), { headers: subrequest(authorization, clientA().cert) });
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_request' });
        expect(reply.header('x-certbound-subject')).toBeUndefined();
      }
    });

    it('keeps the verifier\'s own 400 (a second Authorization header) with its challenge', async () => {
      const token = `Bearer ${setup.tokens.mint(clientA().thumbprint)}`;
      const reply = await send(malformed(), { headers: [...subrequest(token, clientA().cert), ['Authorization', token]] });
      expect(reply.status).toBe(400);
      expect(reply.header('www-authenticate')).toContain('error="invalid_request"');
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_request', error_description: 'More than one Authorization header' });
    });
  });

  describe('gateway.authCacheSeconds: X-Accel-Expires on accepted answers, never past the token\'s exp', () => {
    let cached: Gateway;
    beforeAll(async () => {
      cached = await startTestGateway(gatewayDocument(setup, { format: 'nginx', header: 'x-ssl-client-cert' }, { gateway: { authCacheSeconds: 60 } }));
    });
    afterAll(async () => {
      await cached?.close();
    });
    const ask = (claims: Record<string, unknown>, client = 'client-a', target = gateway) => {
      const clientA = setup.pki.clients['client-a']!;
      return send(`${target.url}/auth/nginx`, { headers: subrequest(`Bearer ${setup.tokens.mint(clientA.thumbprint, claims)}`, setup.pki.clients[client]!.cert) });
    };
    const now = () => Math.floor(Date.now() / 1000);

    it('the cap when the token outlives it; the time left when exp comes first', async () => {
      const long = await ask({}, 'client-a', cached);
      expect(long.status).toBe(200);
      expect(long.header('x-accel-expires')).toBe('60');
      expect(long.header('x-certbound-subject')).toBe(CLIENT_ID);
      const short = await ask({ exp: now() + 5 }, 'client-a', cached);
      expect(short.status).toBe(200);
      expect(Number(short.header('x-accel-expires'))).toBeGreaterThanOrEqual(3);
      expect(Number(short.header('x-accel-expires'))).toBeLessThanOrEqual(5);
    });

    it('a token past exp but inside the clock tolerance is accepted and not cached', async () => {
      const late = await ask({ exp: now() - 5 }, 'client-a', cached);
      expect(late.status).toBe(200);
      expect(late.header('x-accel-expires')).toBeUndefined();
    });

    it('refusals never carry it, and without the setting no answer does', async () => {
      const refused = await ask({}, 'client-b', cached);
      expect(refused.status).toBe(401);
      expect(refused.header('x-accel-expires')).toBeUndefined();
      const plain = await ask({});
      expect(plain.status).toBe(200);
      expect(plain.header('x-accel-expires')).toBeUndefined();
    });

    it('the setting is validated: an integer from 0 to 3600', async () => {
      for (const bad of [-1, 3601, 1.5, '30']) {
        await expect(async () => startTestGateway(gatewayDocument(setup, { format: 'nginx' }, { gateway: { authCacheSeconds: bad } }))).rejects.toThrow(/gateway\.authCacheSeconds/);
      }
    });
  });
});
