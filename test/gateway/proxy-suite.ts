// One suite for every proxy that fronts the certbound gateway (nginx auth_request, Caddy forward_auth, HAProxy with
// certbound-auth.lua), and one for a proxy in front of an application that verifies tokens itself: the real program
// started on 127.0.0.1 from the example's configuration file, verbatim. Each deployment file calls them.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { loadConfig } from '@certbound/core';
import { startServer as startExpress, type RunningServer } from '../../examples/express-api/src/server.js';
import { findProgram, PROXY_PROGRAMS, startProxyProgram, type ProxyName, type RunningProxy } from '../../examples/nginx-gateway/src/proxy-process.js';
import { proxyFileValues, startGatewayStack, type NginxGatewayStack } from '../../examples/nginx-gateway/src/start.js';
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
 * The certificate-header cases every deployment shares, on a protected `path`: replay with another certificate, no
 * certificate at all, and a client-forged header. `reached` (when the upstream is separate) must not move.
 */
function certificateHeaderCases(
  path: string,
  deployment: { certificate: { header: string }; encodeCertificate(pem: string): string },
  context: () => { fixture: AuthFixture; url: string; reached?: () => number },
): void {
  const send = (client: 'client-b' | 'none', extra: Array<[string, string]> = []) => {
    const { fixture, url } = context();
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    return rawHttpsRequest(url, fixture.tls(client), { path, headers: [['Authorization', `Bearer ${token}`], ...extra] });
  };
  const unreached = async (run: () => Promise<void>) => {
    const reached = context().reached;
    const before = reached?.();
    await run();
    if (reached !== undefined) expect(reached()).toBe(before);
  };

  it('RFC 8705 §3: a token bound to client-a replayed with client-b\'s certificate → 401 invalid_token end to end', () =>
    unreached(async () => expectRefusal(await send('client-b'), 401, 'invalid_token')));

  it('no client certificate → 401 invalid_token, never 400 (no "::", empty or placeholder certificate header)', () =>
    unreached(async () => expectRefusal(await send('none'), 401, 'invalid_token')));

  it('docs/security.md rule 7: a client-forged certificate header is replaced or removed, in any letter case', () =>
    unreached(async () => {
      const forged = deployment.encodeCertificate(context().fixture.pki.clients['client-a']!.cert);
      for (const name of [deployment.certificate.header, deployment.certificate.header.toUpperCase()]) {
        // client-b's connection claims client-a's certificate in the very header the proxy sets.
        expectRefusal(await send('client-b', [[name, forged]]), 401, 'invalid_token');
        // Without any client certificate the forged header is all there is, and it still does not count.
        expectRefusal(await send('none', [[name, forged]]), 401, 'invalid_token');
      }
    }));
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

    certificateHeaderCases('/orders/7', deployment, () => ({ fixture, url: stack.url, reached: () => stack.upstream.received.length }));

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

export interface AppDeployment {
  proxy: ProxyName;
  /** The example's configuration file (a template with {{PLACEHOLDERS}}). */
  template: string;
  /** The application's certificateSource format and header, and how a client would forge that header. */
  certificate: { format: 'rfc9440' | 'base64-der'; header: string };
  encodeCertificate(pem: string): string;
  /** Status when the application cannot be reached (a 5xx). */
  appDownStatus: number;
}

/**
 * The proxy in front of an application that verifies tokens itself (the Express example API with certbound,
 * certificate from the proxy's header): the certificate header is the proxy's only job, and what can go wrong.
 */
export function describeAppBehind(deployment: AppDeployment): void {
  const spec = PROXY_PROGRAMS[deployment.proxy];
  const program = proxyProgram(spec.name, findProgram(spec), spec.install);

  describe.skipIf(program.skip)(`${deployment.certificate.format} header from ${spec.name} (${deployment.template.split('/').slice(-2).join('/')}) to the Express example API`, () => {
    let fixture: AuthFixture;
    let dir: string;
    let app: RunningServer;
    let proxy: RunningProxy;
    const bearer = (client: 'client-a' | 'client-b' = 'client-a') => `Bearer ${fixture.issuer.mint({ thumbprint: fixture.thumbprint(client) })}`;
    const get = (path: string, client: 'client-a' | 'client-b' | 'none', headers: Array<[string, string]> = []) =>
      rawHttpsRequest(proxy.url, fixture.tls(client), { path, headers });

    beforeAll(async () => {
      const binary = program.require();
      fixture = await createAuthFixture();
      const configPath = await fixture.writeConfig(`behind-${spec.name}.json`, {
        tls: undefined,
        certificateSource: { type: 'header', ...deployment.certificate, trustedProxies: ['127.0.0.1/32'] },
      });
      app = await startExpress(await loadConfig(configPath));
      dir = await mkdtemp(join(tmpdir(), `certbound-${spec.name}-app-`));
      await mkdir(join(dir, 'pki'));
      proxy = await startProxyProgram(spec, {
        binary,
        dir,
        template: await readFile(deployment.template, 'utf8'),
        values: { ...(await proxyFileValues(dir, fixture.files)), UPSTREAM: new URL(app.url).host },
      });
    });

    afterAll(async () => {
      await proxy?.stop();
      await app?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      await fixture?.close();
    });

    it('RFC 8705 §3: bound token + matching certificate → 200 with the caller\'s identity', async () => {
      const response = await get('/whoami', 'client-a', [['Authorization', bearer()]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ sub: CLIENT_ID, thumbprint: fixture.thumbprint('client-a') });
    });

    certificateHeaderCases('/whoami', deployment, () => ({ fixture, url: proxy.url }));

    it('docs/security.md rule 7: straight to the application from an untrusted address (127.0.0.2) → the header is ignored', async () => {
      const headers = { authorization: bearer(), [deployment.certificate.header]: deployment.encodeCertificate(fixture.pki.clients['client-a']!.cert) };
      const untrusted = await plainRequest(`${app.url}/whoami`, headers, '127.0.0.2');
      expect(untrusted.status).toBe(401);
      expect(untrusted.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it.each(['/whoami/../healthz', '/healthz/../whoami', '/healthz/%2e%2e/whoami', '//whoami', '/healthz/..%2fwhoami', '/x/%2E%2E/whoami'])(
      '%s without credentials → never the protected route\'s 200',
      async (path) => {
        const response = await get(path, 'none');
        if (response.status === 200) expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
        else expect([401, 404]).toContain(response.status);
      },
    );

    it('the conformance suite passes through the proxy', async () => {
      const report = await runConformance({ name: `${spec.name}-app`, url: proxy.url, capabilities: ['identity', 'method-routing', 'jwks-control'] }, fixture);
      console.log(`conformance through ${spec.name} → Express API (${deployment.certificate.format}): ${report.results.length} cases, ${report.passed} passed, ${report.failed} failed`);
      const failures = report.results.filter((r) => r.problems.length > 0).map((r) => `${r.case.id}: ${r.problems.join('; ')}`);
      expect(failures).toEqual([]);
    }, 120_000);

    it('application down → a 5xx from the proxy', async () => {
      await app.close();
      const response = await get('/whoami', 'client-a', [['Authorization', bearer()]]);
      expect(response.status).toBe(deployment.appDownStatus);
    });
  });
}
