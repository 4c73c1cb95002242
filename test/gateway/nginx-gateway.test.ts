// The gateway behind a real nginx (examples/nginx-gateway): nginx terminates mTLS on 127.0.0.1, asks the gateway
// through auth_request, and proxies to the echo upstream. The cases every proxy shares are in proxy-suite.ts; here
// are nginx's own. A missing nginx fails the suite unless CERTBOUND_SKIP_PROXY_TESTS=1 outside CI.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findNginx, TEMPLATE_PATH } from '../../examples/nginx-gateway/src/start.js';
import { mtlsRequest, rawHttpsRequest } from '../support/mtls.js';
import { startChild, stopAllChildren, tsxArgs } from '../support/child.js';
import { proxyProgram } from './proxy-programs.js';
import { describeGatewayBehind, plainRequest, type Echo } from './proxy-suite.js';

const nginx = proxyProgram('nginx', findNginx(), 'apt-get install nginx-light');

describeGatewayBehind(
  {
    proxy: 'nginx',
    template: TEMPLATE_PATH,
    certificate: { format: 'nginx', header: 'x-ssl-client-cert' },
    endpoint: { path: '/auth/nginx', originalUriHeader: 'x-original-uri' },
    encodeCertificate: (pem) => encodeURIComponent(pem),
    // auth_request turns an unreachable gateway into a 500.
    gatewayDownStatus: 500,
  },
  (context) => {
    it('the upstream drops identity headers that do not come from nginx (direct call from 127.0.0.2)', async () => {
      const direct = await plainRequest(`${context().stack.upstreamUrl}/orders/7`, { 'x-certbound-subject': 'admin', 'x-certbound-roles': 'Global.Admin' }, '127.0.0.2');
      expect(direct.status).toBe(200);
      const echo = JSON.parse(direct.body) as Echo;
      expect(echo.via).toBe('direct');
      expect(echo.identity).toEqual({ sub: null, client_id: null, thumbprint: null, scopes: [], roles: [] });
    });

    it('an authenticated request reaches the upstream with the normalised path it was routed on, query unchanged', async () => {
      const { fixture, stack } = context();
      const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
      const before = stack.upstream.received.length;
      const response = await rawHttpsRequest(stack.url, fixture.tls('client-a'), { path: '/healthz/%2e%2e/orders/./7?page=2', headers: [['Authorization', `Bearer ${token}`]] });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ path: '/orders/7', via: 'proxy' });
      expect(stack.upstream.received.slice(before)).toEqual([{ method: 'GET', target: '/orders/7?page=2', identified: true }]);
    });

    it('the normalising nginx serves /orders/../healthz and friends as exactly /healthz', async () => {
      const { fixture, stack } = context();
      for (const path of ['/orders/../healthz', '/orders/%2e%2e/healthz', '//healthz', '/orders/..%2fhealthz']) {
        const before = stack.upstream.received.length;
        const response = await rawHttpsRequest(stack.url, fixture.tls('none'), { path });
        expect(response.status, path).toBe(200);
        expect(stack.upstream.received.slice(before).map((entry) => entry.target), path).toEqual(['/healthz']);
      }
    });

    it('nginx\'s own 400s reach the client as 400 invalid_request, also when nginx stopped reading before Authorization', async () => {
      const { fixture, stack } = context();
      const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
      const host = new URL(stack.url).host;
      const cases: Array<Array<[string, string]>> = [
        // A second Host before Authorization: nginx stops reading there, so the gateway never sees the token.
        [['Host', host], ['Host', host], ['Authorization', `Bearer ${token}`]],
        [['Host', host], ['Authorization', `Bearer ${token}`], ['Host', host]],
        [['Host', host], ['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]],
        // A header line over large_client_header_buffers (32k): nginx's "Request Header Or Cookie Too Large".
        [['Host', host], ['Authorization', `Bearer ${token}`], ['X-Padding', 'x'.repeat(40_000)]],
        [['Host', host], ['Authorization', `Bearer ${'a'.repeat(40_000)}`]],
      ];
      for (const headers of cases) {
        const before = stack.upstream.received.length;
        const response = await rawHttpsRequest(stack.url, fixture.tls('client-a'), { path: '/orders/7', headers });
        expect(response.status).toBe(400);
        expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_request' });
        expect(stack.upstream.received.length).toBe(before);
      }
    });

    it('gateway metrics count the decisions nginx asked for, by result and reason', async () => {
      const metrics = await plainRequest(`${context().stack.gatewayUrl}/metrics`, {}, '127.0.0.1');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/certbound_verifications_total\{protocol="nginx",outcome="accepted"\} [1-9]/);
      expect(metrics.body).toMatch(/certbound_verifications_total\{protocol="nginx",outcome="rejected",code="ERR_BINDING_MISMATCH"\} [1-9]/);
      expect(metrics.body).toMatch(/certbound_untrusted_certificate_headers_total [1-9]/);
      expect(metrics.body).toContain('certbound_verification_duration_seconds_bucket');
    });
  },
);

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
