// /metrics (Prometheus text via prom-client) and /healthz, after real decisions on each protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { createTestSetup, gatewayDocument, nginxEscapedPem, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let gateway: Gateway;

beforeAll(async () => {
  setup = await createTestSetup();
  gateway = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }), { processMetrics: true });
});
afterAll(async () => {
  await gateway?.close();
});

describe('metrics and health', () => {
  it('GET /healthz answers 200 without credentials', async () => {
    const reply = await send(`${gateway.url}/healthz`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
  });

  it('counts verifications by protocol, outcome and code, with a latency histogram', async () => {
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint);
    const certificate: [string, string] = ['x-ssl-client-cert', nginxEscapedPem(clientA.cert)];
    expect((await send(`${gateway.url}/auth/nginx`, { headers: [certificate, ['authorization', `Bearer ${token}`]] })).status).toBe(200);
    expect((await send(`${gateway.url}/auth/nginx`, { headers: [certificate, ['authorization', `Bearer ${token}`]] })).status).toBe(200);
    expect((await send(`${gateway.url}/auth/nginx`, { headers: [certificate] })).status).toBe(401);
    expect((await send(`${gateway.url}/auth/nginx`, { headers: [['authorization', `Bearer ${setup.tokens.mint(setup.pki.clients['client-b']!.thumbprint)}`], certificate] })).status).toBe(401);
    expect((await send(`${gateway.url}/auth/nginx`, { localAddress: '127.0.0.2', headers: [certificate, ['authorization', `Bearer ${token}`]] })).status).toBe(401);
    // Endpoints of proxy types that do not produce this gateway's format are not served, and count nothing.
    expect((await send(`${gateway.url}/auth/traefik`, { headers: [['authorization', `Bearer ${token}`], certificate] })).status).toBe(404);

    const reply = await send(`${gateway.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.header('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(text).toContain('# TYPE certbound_verifications_total counter');
    expect(text).toContain('certbound_verifications_total{protocol="nginx",outcome="accepted"} 2');
    expect(text).toContain('certbound_verifications_total{protocol="nginx",outcome="rejected",code="ERR_NO_CREDENTIALS"} 1');
    expect(text).toContain('certbound_verifications_total{protocol="nginx",outcome="rejected",code="ERR_BINDING_MISMATCH"} 1');
    expect(text).toContain('certbound_verifications_total{protocol="nginx",outcome="rejected",code="ERR_CERTIFICATE_MISSING"} 1');
    expect(text).not.toContain('protocol="traefik"');
    expect(text).toContain('# TYPE certbound_verification_duration_seconds histogram');
    expect(text).toContain('certbound_verification_duration_seconds_count{protocol="nginx",outcome="accepted"} 2');
    expect(text).toContain('certbound_untrusted_certificate_headers_total 1');
    expect(text).toContain('certbound_gateway_process_cpu_seconds_total');
  });

  it('unknown paths get 404 and other methods on /metrics 405 — JSON, never a 500', async () => {
    const missing = await send(`${gateway.url}/auth/other`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'not_found' });
    const post = await send(`${gateway.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.header('allow')).toBe('GET, HEAD');
  });

  it('close() stops the server: no further connections are accepted', async () => {
    const other = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }));
    await other.close();
    await other.close(); // idempotent
    await expect(send(`${other.url}/healthz`)).rejects.toThrow();
  });
});
