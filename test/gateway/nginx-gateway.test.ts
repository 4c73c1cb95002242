// The gateway behind a real nginx (examples/nginx-gateway): nginx terminates mTLS on 127.0.0.1, asks the gateway
// through auth_request, and proxies to the echo upstream. A missing nginx fails the suite unless
// CERTBOUND_SKIP_PROXY_TESTS=1 outside CI (see proxy-programs.ts).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { findNginx, startNginxGateway, type NginxGatewayStack } from '../../examples/nginx-gateway/src/start.js';
import { runConformance, type ConformanceReport } from '../conformance/runner.js';
import { createAuthFixture, CLIENT_ID, type AuthFixture } from '../support/fixture.js';
import { mtlsRequest, rawHttpsRequest } from '../support/mtls.js';
import { startChild, stopAllChildren, tsxArgs } from '../support/child.js';
import { proxyProgram } from './proxy-programs.js';

const nginx = proxyProgram('nginx', findNginx(), 'apt-get install nginx-light');

interface Echo {
  method: string;
  path: string;
  via: 'proxy' | 'direct';
  identity: { sub: string | null; client_id: string | null; thumbprint: string | null; scopes: string[]; roles: string[] };
}

/** A plain HTTP request from a chosen local address (127.0.0.2 is on loopback but outside trustedProxies). */
async function plainRequest(url: string, headers: Record<string, string>, localAddress: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const dispatcher = new Agent({ localAddress });
  try {
    const response = await request(url, { dispatcher, headers });
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  } finally {
    await dispatcher.close();
  }
}

describe.skipIf(nginx.skip)('gateway behind nginx (auth_request)', () => {
  let fixture: AuthFixture;
  let stack: NginxGatewayStack;

  beforeAll(async () => {
    nginx.require();
    fixture = await createAuthFixture();
    // The conformance configuration, moved behind the proxy: no TLS of its own, the certificate from nginx's header.
    const config: Record<string, unknown> = {
      ...fixture.baseConfig(),
      certificateSource: { type: 'header', format: 'nginx', header: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1/32'] },
    };
    delete config['tls'];
    stack = await startNginxGateway({ pki: fixture.pki, config, gatewayOptions: { logLevel: 'silent' } });
  });

  afterAll(async () => {
    await stack?.close();
    await fixture?.close();
  });

  it('RFC 8705 §3: bound token + matching certificate → 200 from the upstream, with the identity headers', async () => {
    const response = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-a'), { headers: { authorization: `Bearer ${fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') })}` } });
    expect(response.status).toBe(200);
    const echo = response.json<Echo>();
    expect(echo.via).toBe('proxy');
    expect(echo.path).toBe('/orders/7');
    expect(echo.identity).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-a'), scopes: ['api.read'], roles: ['Api.Caller'] });
  });

  it('RFC 8705 §3: the token replayed with another certificate → 401 with the gateway\'s WWW-Authenticate', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-b'), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(response.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  });

  it('SECURITY 7: a client-forged certificate header is ignored — nginx overwrites it with the connection\'s own', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const forged = encodeURIComponent(fixture.pki.clients['client-a']!.cert);
    // client-b's connection claims client-a's certificate in the very header nginx uses.
    const replay = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-b'), { headers: { authorization: `Bearer ${token}`, 'x-ssl-client-cert': forged } });
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('error="invalid_token"');
    // Without any client certificate, the forged header is all there is — and it still does not count.
    const none = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('none'), { headers: { authorization: `Bearer ${token}`, 'x-ssl-client-cert': forged } });
    expect(none.status).toBe(401);
  });

  it('client-sent identity headers never reach the upstream: nginx replaces them with the gateway\'s', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-a'), {
      headers: {
        authorization: `Bearer ${token}`,
        'x-certbound-subject': 'admin',
        'x-certbound-client-id': 'evil-client',
        'x-certbound-roles': 'Global.Admin',
        'x-certbound-thumbprint': fixture.thumbprint('client-b'),
      },
    });
    expect(response.status).toBe(200);
    expect(response.json<Echo>().identity).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-a'), scopes: ['api.read'], roles: ['Api.Caller'] });
  });

  it('SECURITY 7: straight to the gateway from an untrusted address (127.0.0.2) with a forged header → refused', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const headers = { authorization: `Bearer ${token}`, 'x-ssl-client-cert': encodeURIComponent(fixture.pki.clients['client-a']!.cert), 'x-original-uri': '/orders/7' };
    const untrusted = await plainRequest(`${stack.gatewayUrl}/auth/nginx`, headers, '127.0.0.2');
    expect(untrusted.status).toBe(401);
    expect(untrusted.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(untrusted.headers['x-certbound-subject']).toBeUndefined();
    // The same request from the trusted proxy address is accepted: the peer address alone made the difference.
    const trusted = await plainRequest(`${stack.gatewayUrl}/auth/nginx`, headers, '127.0.0.1');
    expect(trusted.status).toBe(200);
    const metrics = await plainRequest(`${stack.gatewayUrl}/metrics`, {}, '127.0.0.1');
    expect(metrics.body).toMatch(/certbound_gateway_untrusted_certificate_headers_total [1-9]/);
  });

  it('the upstream drops identity headers that do not come from nginx (direct call from 127.0.0.2)', async () => {
    const direct = await plainRequest(`${stack.upstreamUrl}/orders/7`, { 'x-certbound-subject': 'admin', 'x-certbound-roles': 'Global.Admin' }, '127.0.0.2');
    expect(direct.status).toBe(200);
    const echo = JSON.parse(direct.body) as Echo;
    expect(echo.via).toBe('direct');
    expect(echo.identity).toEqual({ sub: null, client_id: null, thumbprint: null, scopes: [], roles: [] });
  });

  // Dot-segments and percent-encoded dots or slashes: nginx routes on the normalised path, so the upstream must get
  // that same path. Before the fix, `location = /healthz` (no auth_request) forwarded the raw target and an upstream
  // that does not normalise served /orders unauthenticated.
  describe('paths that are not what they look like (unauthenticated)', () => {
    // Where nginx routes each one (after normalising): the public /healthz or a protected route.
    const variants: Array<[string, 'public' | 'protected']> = [
      ['/orders/../healthz', 'public'],
      ['/orders/%2e%2e/healthz', 'public'],
      ['/orders/%2E%2E/healthz', 'public'],
      ['//healthz', 'public'],
      ['/orders/..%2fhealthz', 'public'],
      ['/orders/%2e%2e%2fhealthz', 'public'],
      ['/healthz/../orders', 'protected'],
      ['/healthz/%2e%2e/orders/7', 'protected'],
      ['/healthz/./../orders', 'protected'],
      ['/./healthz/..//orders/7', 'protected'],
    ];
    it.each(variants)('%s → %s: the public one reaches the upstream as exactly /healthz, a protected one not at all (401)', async (path, route) => {
      const before = stack.upstream.received.length;
      const response = await rawHttpsRequest(stack.url, fixture.tls('none'), { path });
      const reached = stack.upstream.received.slice(before).map((entry) => entry.target);
      if (route === 'public') {
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
        expect(reached).toEqual(['/healthz']);
      } else {
        expect(response.status).toBe(401);
        expect(response.header('www-authenticate')[0]).toMatch(/^Bearer/);
        expect(reached).toEqual([]);
      }
    });

    it('an authenticated request reaches the upstream with the normalised path and the query unchanged', async () => {
      const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
      const before = stack.upstream.received.length;
      const response = await rawHttpsRequest(stack.url, fixture.tls('client-a'), { path: '/healthz/%2e%2e/orders/./7?page=2', headers: [['Authorization', `Bearer ${token}`]] });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ path: '/orders/7', via: 'proxy' });
      expect(stack.upstream.received.slice(before)).toEqual([{ method: 'GET', target: '/orders/7?page=2', identified: true }]);
    });
  });

  it('nginx\'s own 400s reach the client as 400 invalid_request, also when nginx stopped reading before Authorization', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const host = new URL(stack.url).host;
    const cases: Array<Array<[string, string]>> = [
      // A second Host before Authorization: nginx stops reading there, so the gateway never sees the token.
      [['Host', host], ['Host', host], ['Authorization', `Bearer ${token}`]],
      [['Host', host], ['Authorization', `Bearer ${token}`], ['Host', host]],
      [['Host', host], ['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]],
    ];
    for (const headers of cases) {
      const before = stack.upstream.received.length;
      const response = await rawHttpsRequest(stack.url, fixture.tls('client-a'), { path: '/orders/7', headers });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_request' });
      expect(stack.upstream.received.length).toBe(before);
    }
  });

  it('the conformance suite passes through nginx', async () => {
    const report: ConformanceReport = await runConformance(
      { name: 'nginx-gateway', url: stack.url, capabilities: ['identity', 'method-routing', 'jwks-control'] },
      fixture,
    );
    console.log(`conformance through nginx → gateway: ${report.results.length} cases, ${report.passed} passed, ${report.failed} failed`);
    const failures = report.results.filter((r) => r.problems.length > 0).map((r) => `${r.case.id}: ${r.problems.join('; ')}`);
    expect(failures).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(40);
  }, 120_000);

  it('gateway metrics count the decisions nginx asked for, by result and reason', async () => {
    const metrics = await plainRequest(`${stack.gatewayUrl}/metrics`, {}, '127.0.0.1');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/certbound_gateway_decisions_total\{protocol="nginx",result="accepted",reason="OK"\} [1-9]/);
    expect(metrics.body).toMatch(/certbound_gateway_decisions_total\{protocol="nginx",result="refused",reason="ERR_BINDING_MISMATCH"\} [1-9]/);
    expect(metrics.body).toContain('certbound_gateway_decision_duration_seconds_bucket');
  });
});

describe.skipIf(nginx.skip)('the example\'s start script (pnpm --dir examples/nginx-gateway start)', () => {
  afterAll(async () => {
    await stopAllChildren();
  });

  it('prints the ready line, serves through nginx, and on SIGTERM stops nginx and removes its directory', async () => {
    nginx.require();
    const main = fileURLToPath(new URL('../../examples/nginx-gateway/src/main.ts', import.meta.url));
    const child = await startChild({ args: tsxArgs(main) });
    let stopped: Awaited<ReturnType<typeof child.stop>> | undefined;
    try {
      expect(child.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const dir = child.stdout.map((line) => /^files\s+(\S+)/.exec(line)?.[1]).find((found) => found !== undefined);
      expect(dir).toBeDefined();
      const nginxPid = Number(readFileSync(`${dir}/nginx.pid`, 'utf8'));
      const health = await mtlsRequest(`${child.url}/healthz`, { ca: readFileSync(`${dir}/pki/ca.crt`, 'utf8') });
      expect(health.status).toBe(200);
      stopped = await child.stop('SIGTERM');
      expect(stopped.code).toBe(0);
      expect(existsSync(dir!)).toBe(false);
      expect(() => process.kill(nginxPid, 0)).toThrow();
    } finally {
      // SIGTERM, not the SIGKILL of stopAllChildren: the example must get the chance to stop its nginx.
      if (stopped === undefined) await child.stop('SIGTERM');
    }
  });
});
