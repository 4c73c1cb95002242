// One suite for every proxy that fronts the certbound gateway (nginx auth_request, Caddy forward_auth, HAProxy with
// certbound-auth.lua): the real program started on 127.0.0.1 from the example's configuration file, verbatim, in
// front of the gateway and the echo upstream. Each deployment file calls describeGatewayBehind once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { findProgram, PROXY_PROGRAMS, type ProxyName } from '../../examples/nginx-gateway/src/proxy-process.js';
import { startGatewayStack, type NginxGatewayStack } from '../../examples/nginx-gateway/src/start.js';
import { runConformance } from '../conformance/runner.js';
import { createAuthFixture, CLIENT_ID, REQUIRED_SCOPE, type AuthFixture } from '../support/fixture.js';
import { mtlsRequest, rawHttpsRequest, type RawResponse } from '../support/mtls.js';
import { proxyProgram } from './proxy-programs.js';

export interface Echo {
  method: string;
  path: string;
  via: 'proxy' | 'direct';
  identity: { sub: string | null; client_id: string | null; thumbprint: string | null; scopes: string[]; roles: string[] };
}

export interface GatewayDeployment {
  proxy: ProxyName;
  /** The example's configuration file (a template with {{PLACEHOLDERS}}). */
  template: string;
  /** Template values beyond the stack's own (e.g. the Lua script). */
  values?: Record<string, string>;
  /** The gateway's certificateSource format and header, as the configuration sends the certificate. */
  certificate: { format: 'nginx' | 'base64-der'; header: string };
  /** The gateway endpoint the proxy asks, and how it names the original target (for the untrusted-peer test). */
  endpoint: { path: string; originalUriHeader: string };
  /** The certificate header a client could forge, in the configuration's encoding. */
  encodeCertificate(pem: string): string;
  /** Status when the gateway cannot be reached (a 5xx). */
  gatewayDownStatus: number;
}

export interface DeploymentContext {
  readonly fixture: AuthFixture;
  readonly stack: NginxGatewayStack;
}

/** DER of a PEM certificate, base64 (HAProxy `ssl_c_der,base64`, Caddy `certificate_der_base64`). */
export function base64Der(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** A plain HTTP request from a chosen local address (127.0.0.2 is on loopback but outside trustedProxies). */
export async function plainRequest(url: string, headers: Record<string, string>, localAddress: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const dispatcher = new Agent({ localAddress });
  try {
    const response = await request(url, { dispatcher, headers });
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  } finally {
    await dispatcher.close();
  }
}

/** A refusal as RFC 6750 §3 has it, end to end: the status, a challenge with the error, the same error in a JSON body. */
function expectRefusal(response: RawResponse, status: number, error: string): void {
  expect(response.status).toBe(status);
  expect(response.header('www-authenticate').join(', ')).toMatch(new RegExp(`^Bearer\\b.*error="${error}"`));
  expect(response.header('content-type')[0]).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual({ error, error_description: expect.any(String) });
}

/**
 * Register the suite. `extra` adds the deployment's own tests, run on the same stack before the last test (which
 * stops the gateway).
 */
export function describeGatewayBehind(deployment: GatewayDeployment, extra?: (context: () => DeploymentContext) => void): void {
  const spec = PROXY_PROGRAMS[deployment.proxy];
  const program = proxyProgram(spec.name, findProgram(spec), spec.install);

  describe.skipIf(program.skip)(`gateway behind ${spec.name} (${deployment.template.split('/').slice(-2).join('/')})`, () => {
    let fixture: AuthFixture;
    let stack: NginxGatewayStack;
    // The gateway's clock runs this far ahead, to step past its JWKS refetch cooldown without waiting.
    let clockAheadMs = 0;
    const bearer = (client: 'client-a' | 'client-b' = 'client-a', claims?: Record<string, unknown>) =>
      `Bearer ${fixture.issuer.mint({ thumbprint: fixture.thumbprint(client), ...(claims === undefined ? {} : { claims }) })}`;
    const get = (path: string, client: 'client-a' | 'client-b' | 'none', headers: Array<[string, string]> = []) =>
      rawHttpsRequest(stack.url, fixture.tls(client), { path, headers });

    beforeAll(async () => {
      const binary = program.require();
      fixture = await createAuthFixture();
      // The conformance configuration, moved behind the proxy: no TLS of its own, the certificate from the header.
      const config: Record<string, unknown> = {
        ...fixture.baseConfig(),
        certificateSource: { type: 'header', ...deployment.certificate, trustedProxies: ['127.0.0.1/32'] },
      };
      delete config['tls'];
      stack = await startGatewayStack({
        pki: fixture.pki,
        config,
        gatewayOptions: { logLevel: 'silent', verifierOptions: { currentTime: () => Date.now() + clockAheadMs } },
        proxy: { name: deployment.proxy, template: deployment.template, binary, ...(deployment.values === undefined ? {} : { values: deployment.values }) },
      });
    });

    afterAll(async () => {
      await stack?.close();
      await fixture?.close();
    });

    it('RFC 8705 §3: bound token + matching certificate → 200 from the upstream with every identity header', async () => {
      const response = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-a'), { headers: { authorization: bearer() } });
      expect(response.status).toBe(200);
      const echo = response.json<Echo>();
      expect(echo.via).toBe('proxy');
      expect(echo.path).toBe('/orders/7');
      expect(echo.identity).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-a'), scopes: [REQUIRED_SCOPE], roles: ['Api.Caller'] });
    });

    it('an identity value the token lacks reaches the upstream empty: no placeholder text, no client-sent copy', async () => {
      // The fixture requires a role and a scope, so the value left out is the client id (client_id and azp).
      const response = await mtlsRequest(`${stack.url}/orders/7`, fixture.tls('client-a'), {
        headers: { authorization: bearer('client-a', { client_id: undefined, azp: undefined }), 'x-certbound-client-id': 'evil-client' },
      });
      expect(response.status).toBe(200);
      expect(response.json<Echo>().identity).toMatchObject({ sub: CLIENT_ID, client_id: null, roles: ['Api.Caller'] });
    });

    it('RFC 8705 §3: the token replayed with another certificate → 401 invalid_token, challenge and body end to end', async () => {
      const before = stack.upstream.received.length;
      expectRefusal(await get('/orders/7', 'client-b', [['Authorization', bearer('client-a')]]), 401, 'invalid_token');
      expect(stack.upstream.received.length).toBe(before);
    });

    it('no client certificate → 401 invalid_token, never 400 (no empty or placeholder certificate header)', async () => {
      expectRefusal(await get('/orders/7', 'none', [['Authorization', bearer()]]), 401, 'invalid_token');
    });

    it('docs/security.md rule 7: a client-forged certificate header is replaced or removed, in any letter case', async () => {
      const forged = deployment.encodeCertificate(fixture.pki.clients['client-a']!.cert);
      for (const name of [deployment.certificate.header, deployment.certificate.header.toUpperCase()]) {
        // client-b's connection claims client-a's certificate in the very header the proxy sets.
        expectRefusal(await get('/orders/7', 'client-b', [['Authorization', bearer('client-a')], [name, forged]]), 401, 'invalid_token');
        // Without any client certificate the forged header is all there is, and it still does not count.
        expectRefusal(await get('/orders/7', 'none', [['Authorization', bearer('client-a')], [name, forged]]), 401, 'invalid_token');
      }
    });

    it('client-sent identity headers never reach the upstream: the gateway\'s values replace them', async () => {
      const response = await get('/orders/7', 'client-a', [
        ['Authorization', bearer()],
        ['X-Certbound-Subject', 'admin'],
        ['x-certbound-client-id', 'evil-client'],
        ['X-CERTBOUND-ROLES', 'Global.Admin'],
        ['x-certbound-thumbprint', fixture.thumbprint('client-b')],
      ]);
      expect(response.status).toBe(200);
      expect((JSON.parse(response.body) as Echo).identity).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-a'), scopes: [REQUIRED_SCOPE], roles: ['Api.Caller'] });
    });

    it('docs/security.md rule 7: straight to the gateway from an untrusted address (127.0.0.2) with the header → refused', async () => {
      const headers = {
        authorization: bearer(),
        [deployment.certificate.header]: deployment.encodeCertificate(fixture.pki.clients['client-a']!.cert),
        [deployment.endpoint.originalUriHeader]: '/orders/7',
      };
      const untrusted = await plainRequest(`${stack.gatewayUrl}${deployment.endpoint.path}`, headers, '127.0.0.2');
      expect(untrusted.status).toBe(401);
      expect(untrusted.headers['www-authenticate']).toContain('error="invalid_token"');
      // The same request from the trusted proxy address is accepted: the peer address alone made the difference.
      const trusted = await plainRequest(`${stack.gatewayUrl}${deployment.endpoint.path}`, headers, '127.0.0.1');
      expect(trusted.status).toBe(200);
    });

    it('RFC 6750 §3.1: a token in the query string → 400 invalid_request end to end', async () => {
      const token = bearer().slice('Bearer '.length);
      expectRefusal(await get(`/orders/7?access_token=${token}`, 'client-a'), 400, 'invalid_request');
    });

    it('RFC 6750 §3.1: a token without the required scope → 403 insufficient_scope with the scope, end to end', async () => {
      const response = await get('/orders/7', 'client-a', [['Authorization', bearer('client-a', { scp: 'something.else' })]]);
      expectRefusal(response, 403, 'insufficient_scope');
      expect(response.header('www-authenticate').join(', ')).toContain(`scope="${REQUIRED_SCOPE}"`);
    });

    // Dot-segments, percent-encoded dots and slashes, doubled slashes: whatever the proxy makes of them, a request
    // without credentials either reaches the public route as exactly /healthz or does not reach the upstream.
    describe('paths that are not what they look like (no credentials)', () => {
      const publicLooking = ['/orders/../healthz', '/orders/%2e%2e/healthz', '/orders/%2E%2E/healthz', '//healthz', '/orders/..%2fhealthz', '/orders/%2e%2e%2fhealthz'];
      const protectedLooking = ['/healthz/../orders', '/healthz/%2e%2e/orders/7', '/healthz/./../orders', '/./healthz/..//orders/7', '/healthz/..%2forders', '/healthz%2f..%2forders'];
      it.each([...publicLooking, ...protectedLooking])('%s → /healthz exactly, or 401 before the upstream', async (path) => {
        const before = stack.upstream.received.length;
        const response = await get(path, 'none');
        const reached = stack.upstream.received.slice(before).map((entry) => entry.target);
        if (response.status === 200) {
          expect(protectedLooking).not.toContain(path);
          expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
          expect(reached).toEqual(['/healthz']);
        } else {
          expect(response.status).toBe(401);
          expect(response.header('www-authenticate')[0]).toMatch(/^Bearer/);
          expect(reached).toEqual([]);
        }
      });

      it('the public route itself: 200, the upstream gets /healthz and no identity', async () => {
        const before = stack.upstream.received.length;
        const response = await get('/healthz', 'none', [['X-Certbound-Subject', 'admin']]);
        expect(response.status).toBe(200);
        expect(stack.upstream.received.slice(before)).toEqual([{ method: 'GET', target: '/healthz', identified: false }]);
      });
    });

    it('the conformance suite passes through the proxy', async () => {
      const report = await runConformance({ name: `${spec.name}-gateway`, url: stack.url, capabilities: ['identity', 'method-routing', 'jwks-control'] }, fixture);
      console.log(`conformance through ${spec.name} → gateway: ${report.results.length} cases, ${report.passed} passed, ${report.failed} failed`);
      const failures = report.results.filter((r) => r.problems.length > 0).map((r) => `${r.case.id}: ${r.problems.join('; ')}`);
      expect(failures).toEqual([]);
      expect(report.results.length).toBeGreaterThanOrEqual(40);
    }, 120_000);

    extra?.(() => ({ fixture, stack }));

    it('RFC 6750 §3.1 / docs/security.md rule 3: JWKS down and an unknown key → 503 temporarily_unavailable end to end', async () => {
      // Past the refetch cooldown (30 s) any earlier unknown key may have started, so the gateway does try to fetch.
      clockAheadMs += 31_000;
      const before = stack.upstream.received.length;
      fixture.jwks.setOutage(true);
      try {
        const token = fixture.issuer.signCompact({ alg: 'ES256', kid: 'rotated-in-during-outage', typ: 'at+jwt' }, fixture.issuer.claims(fixture.thumbprint('client-a')), fixture.issuer.unpublished);
        expectRefusal(await get('/orders/7', 'client-a', [['Authorization', `Bearer ${token}`]]), 503, 'temporarily_unavailable');
      } finally {
        fixture.jwks.setOutage(false);
      }
      expect(stack.upstream.received.length).toBe(before);
    });

    // Last: it stops the gateway.
    it('gateway down → a 5xx from the proxy, and the upstream is never reached', async () => {
      await stack.gateway.close();
      const before = stack.upstream.received.length;
      const response = await get('/orders/7', 'client-a', [['Authorization', bearer()]]);
      expect(response.status).toBe(deployment.gatewayDownStatus);
      expect(stack.upstream.received.length).toBe(before);
    });
  });
}
