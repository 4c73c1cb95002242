// nginx's auth cache (examples/nginx-gateway/nginx.conf.template, gateway.authCacheSeconds): accepted decisions are
// reused for the same token and certificate, never past the token's exp; refusals and requests with a token-like
// query parameter always reach the gateway. Real nginx on 127.0.0.1; the gateway's metrics count what it was asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNginx, startNginxGateway, type NginxGatewayStack } from '../../examples/nginx-gateway/src/start.js';
import { createAuthFixture, CLIENT_ID, type AuthFixture } from '../support/fixture.js';
import { rawHttpsRequest } from '../support/mtls.js';
import { proxyProgram } from './proxy-programs.js';
import { plainRequest, type Echo } from './proxy-suite.js';

const nginx = proxyProgram('nginx', findNginx(), 'apt-get install nginx-light');

describe.skipIf(nginx.skip)('nginx auth cache (gateway.authCacheSeconds: 30)', () => {
  let fixture: AuthFixture;
  let stack: NginxGatewayStack;

  beforeAll(async () => {
    nginx.require();
    fixture = await createAuthFixture();
    const config: Record<string, unknown> = {
      ...fixture.baseConfig(),
      certificateSource: { type: 'header', format: 'nginx', header: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1/32'] },
      gateway: { authCacheSeconds: 30 },
    };
    delete config['tls'];
    stack = await startNginxGateway({ pki: fixture.pki, config, gatewayOptions: { logLevel: 'silent' } });
  });

  afterAll(async () => {
    await stack?.close();
    await fixture?.close();
  });

  /** How many decisions the gateway made, by result. */
  async function decisions(): Promise<{ accepted: number; refused: number }> {
    const text = (await plainRequest(`${stack.gatewayUrl}/metrics`, {}, '127.0.0.1')).body;
    const sum = (result: string) =>
      [...text.matchAll(new RegExp(`^certbound_verifications_total\\{protocol="nginx",outcome="${result}"[^}]*\\} (\\d+)`, 'gm'))].reduce((total, match) => total + Number(match[1]), 0);
    return { accepted: sum('accepted'), refused: sum('rejected') };
  }

  const get = (path: string, client: 'client-a' | 'client-b', token: string, method = 'GET') =>
    rawHttpsRequest(stack.url, fixture.tls(client), { method, path, headers: [['Authorization', `Bearer ${token}`]] });

  it('the same token and certificate: the gateway is asked once, whatever the method and path; the upstream gets the identity every time', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const before = await decisions();
    // The auth subrequest is a GET whatever the client's method; the decision does not depend on method or path.
    for (const [i, method] of ['GET', 'POST', 'DELETE', 'GET'].entries()) {
      const response = await get(`/orders/${i}`, 'client-a', token, method);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body) as Echo).toMatchObject({ method, identity: { sub: CLIENT_ID, thumbprint: fixture.thumbprint('client-a') } });
    }
    expect((await decisions()).accepted - before.accepted).toBe(1);
  });

  it('RFC 8705 §3: the cached token with another certificate is another key → asked, refused', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    expect((await get('/orders/1', 'client-a', token)).status).toBe(200);
    const before = await decisions();
    const replay = await get('/orders/1', 'client-b', token);
    expect(replay.status).toBe(401);
    expect(replay.header('www-authenticate')[0]).toContain('error="invalid_token"');
    expect((await decisions()).refused - before.refused).toBe(1);
  });

  it('refusals are not cached: every replay is decided afresh', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const before = await decisions();
    for (let i = 0; i < 3; i++) expect((await get('/orders/1', 'client-b', token)).status).toBe(401);
    expect((await decisions()).refused - before.refused).toBe(3);
  });

  it('RFC 6750 §2.3: a cached token with access_token in the query (any case, percent-encoded) still gets 400', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    expect((await get('/orders/1', 'client-a', token)).status).toBe(200);
    for (const query of ['access_token=x', 'a=1&ACCESS_TOKEN=x', '%61ccess_token=x', 'access%5Ftoken=x']) {
      const response = await get(`/orders/1?${query}`, 'client-a', token);
      expect(response.status, query).toBe(400);
      expect(JSON.parse(response.body), query).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('never past exp: a token with a few seconds left is asked about again once they are over', async () => {
    // 5 s, not less: on a loaded machine the first two requests must still fall inside the token's lifetime.
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a'), lifetimeSeconds: 5 });
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp;
    const before = await decisions();
    expect((await get('/orders/1', 'client-a', token)).status).toBe(200);
    expect((await get('/orders/1', 'client-a', token)).status).toBe(200);
    const cachedOnce = (await decisions()).accepted - before.accepted;
    expect(cachedOnce).toBe(1);
    // Past exp (plus a generous margin), though well inside the 30 s cap and the verifier's clock tolerance.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 1500));
    expect((await get('/orders/1', 'client-a', token)).status).toBe(200);
    expect((await decisions()).accepted - before.accepted).toBe(2);
  }, 30_000);
});
