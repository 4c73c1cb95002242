// /readyz, the SIGTERM drain and the JWKS diagnostics of the gateway, against a real HTTPS JWKS endpoint (dev-pki):
// not ready until keys are loaded, each JWKS state change logged once and counted on /metrics, /healthz liveness
// throughout, and shutdown() answering /readyz 503 while still serving before the listener closes.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, parseGatewayConfig, type Gateway, type StartGatewayOptions } from '../src/index.js';
import { createTestSetup, gatewayDocument, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let jwks: Server;
let jwksUrl: string;
let serveKeys = false;

beforeAll(async () => {
  setup = await createTestSetup();
  jwks = createServer({ cert: setup.pki.server.cert, key: setup.pki.server.key }, (_req, res) => {
    if (serveKeys) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(setup.tokens.jwks));
    else res.writeHead(404).end('no key set here');
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `https://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`;
});

afterAll(async () => {
  jwks?.closeAllConnections();
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
});

/** A pino-shaped logger that keeps each line as the JSON pino would write. */
function capturingLogger(lines: string[]): NonNullable<StartGatewayOptions['logger']> {
  const write = (object: unknown, message?: string): void => {
    lines.push(JSON.stringify(typeof object === 'string' ? { msg: object } : { ...(object as object), msg: message }));
  };
  return { info: write, warn: write, error: write, debug: write, trace: write, fatal: write } as unknown as NonNullable<StartGatewayOptions['logger']>;
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('gateway: /readyz and JWKS diagnostics', () => {
  it('is not ready while the JWKS answers 404, logs and counts that once, and becomes ready when keys load', async () => {
    serveKeys = false;
    const lines: string[] = [];
    const gateway = await startTestGateway(
      // Traefik's format: /auth/traefik is answered only by a gateway reading the header Traefik sets.
      gatewayDocument(setup, { format: 'traefik' }, { jwks: undefined, jwksUri: jwksUrl, jwksCa: setup.pki.ca.cert, jwksOptions: { cooldownMs: 300 } }),
      { logger: capturingLogger(lines) },
    );
    try {
      await until(async () => lines.some((line) => line.includes('JWKS refresh failed')) || (await send(`${gateway.url}/readyz`)).status === 200);
      const notReady = await send(`${gateway.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.body)).toEqual({ status: 'JWKS http failure' });
      expect((await send(`${gateway.url}/healthz`)).status).toBe(200); // liveness is not readiness
      // Requests during the outage: 503, and no log line per request.
      const clientA = setup.pki.clients['client-a']!;
      const headers: [string, string][] = [['x-forwarded-tls-client-cert', clientA.der.toString('base64')], ['authorization', `Bearer ${setup.tokens.mint(clientA.thumbprint)}`]];
      for (let i = 0; i < 5; i++) {
        const refused = await send(`${gateway.url}/auth/traefik`, { headers });
        expect(refused.status).toBe(503);
        expect(refused.header('retry-after')).toBe('5');
      }
      const failures = lines.filter((line) => line.includes('"msg":"JWKS refresh failed"'));
      expect(failures).toHaveLength(1);
      expect(JSON.parse(failures[0]!)).toMatchObject({ cause: 'http', detail: 'HTTP 404', keyCount: 0 });

      serveKeys = true;
      await until(async () => (await send(`${gateway.url}/readyz`)).status === 200);
      expect(JSON.parse((await send(`${gateway.url}/readyz`)).body)).toEqual({ status: 'ready' });
      expect((await send(`${gateway.url}/auth/traefik`, { headers })).status).toBe(200);
      expect(lines.filter((line) => line.includes('"msg":"JWKS keys loaded"'))).toHaveLength(1);
      const metrics = (await send(`${gateway.url}/metrics`)).body;
      expect(metrics).toContain('# TYPE certbound_jwks_refreshes_total counter');
      expect(metrics).toMatch(/certbound_jwks_refreshes_total\{outcome="failure",cause="http"\} [1-9]/);
      expect(metrics).toContain('certbound_jwks_refreshes_total{outcome="success"} 1');
    } finally {
      await gateway.close();
    }
  });

  it('shutdown() drains: /readyz answers 503 while requests are still served, then the listener closes', async () => {
    const gateway: Gateway = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }), { drainMs: 400 });
    expect(gateway.drainMs).toBe(400);
    expect((await send(`${gateway.url}/readyz`)).status).toBe(200);
    const started = Date.now();
    const stopped = gateway.shutdown();
    const draining = await send(`${gateway.url}/readyz`);
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.body)).toEqual({ status: 'draining' });
    expect((await send(`${gateway.url}/healthz`)).status).toBe(200); // still alive and serving while draining
    await stopped;
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    await expect(send(`${gateway.url}/healthz`)).rejects.toThrow();
  });

  it('gateway.drainMs in the config file: 0–60000, refused otherwise naming the field', async () => {
    const config = parseGatewayConfig(gatewayDocument(setup, { format: 'nginx' }, { gateway: { drainMs: 1500 } }), '.');
    expect(config.gateway?.drainMs).toBe(1500);
    for (const bad of [-1, 60_001, 1.5, '100']) {
      const attempt = (): unknown => parseGatewayConfig(gatewayDocument(setup, { format: 'nginx' }, { gateway: { drainMs: bad } }), '.');
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(expect.objectContaining({ field: 'gateway.drainMs' }));
    }
    const gateway = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }, { gateway: { drainMs: 0 } }));
    expect(gateway.drainMs).toBe(0);
    await gateway.shutdown();
  });
});
