import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { entraLike } from './support/recording-server.js';
import { GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
let api: Server;
let apiOrigin: string;
const seen: { authorization: string | undefined; thumbprint: string | null; body: string }[] = [];
const revoked = new Set<string>();

beforeAll(async () => {
  fx = await startWireFixture();
  // Tokens name the certificate they are bound to, so the API below can check the binding like a real resource.
  const bindingResponder = (request: Parameters<typeof entraLike>[0], index: number) => ({
    body: { access_token: `bound.${request.thumbprint}.${index}`, token_type: request.form['token_type'] === 'mtls_pop' ? 'mtls_pop' : 'Bearer', expires_in: 3600 },
  });
  fx.mtls.respond(bindingResponder);
  api = createServer({ cert: fx.pki.server.cert, key: fx.pki.server.key, ca: [fx.pki.ca.cert], requestCert: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
      const thumbprint = raw === undefined ? null : createHash('sha256').update(raw).digest('base64url');
      seen.push({ authorization: req.headers.authorization, thumbprint, body: Buffer.concat(chunks).toString() });
      if (req.url === '/redirect') return void res.writeHead(302, { location: 'https://127.0.0.1:1/elsewhere' }).end();
      const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ');
      const boundTo = token.split('.')[1];
      if (req.url === '/always-401' || revoked.has(token) || boundTo !== thumbprint || !['mtls_pop', 'bearer'].includes(scheme?.toLowerCase() ?? '')) {
        return void res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", error_description="token rejected"' }).end();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, scheme }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiOrigin = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  await fx.close();
});

describe('client.fetch: calling a protected API over mTLS with the bound certificate', () => {
  it('docs/protocol.md §3: sends Authorization: mtls_pop <token> over mTLS with the certificate the token is bound to', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const before = seen.length;
    const response = await client.fetch(`${apiOrigin}/orders`, { scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, scheme: 'mtls_pop' });
    const call = seen[before]!;
    expect(call.authorization).toMatch(/^mtls_pop bound\./);
    expect(call.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
  });

  it('passes correlationId to the token acquisition (client-request-id), not to the API', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!) });
    const response = await client.fetch(`${apiOrigin}/orders`, { scopes: ['api://fetch-correlation/.default'], mtlsProofOfPossession: true, correlationId: 'fetch-corr-1' });
    expect(response.status).toBe(200);
    expect(fx.mtls.requests.at(-1)?.headers['client-request-id']).toBe('fetch-corr-1');
  });

  it('on 401 invalid_token re-acquires once (forceRefresh) and retries with the same body', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!) });
    const first = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });
    revoked.add(first.accessToken);
    const tokensBefore = fx.mtls.requests.length;
    const before = seen.length;
    const response = await client.fetch(`${apiOrigin}/orders`, { method: 'POST', body: '{"item":1}', headers: { 'content-type': 'application/json' }, scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(response.status).toBe(200);
    expect(seen.slice(before).map((call) => call.body)).toEqual(['{"item":1}', '{"item":1}']);
    expect(seen[before]!.authorization).toBe(`mtls_pop ${first.accessToken}`);
    expect(seen[before + 1]!.authorization).not.toBe(`mtls_pop ${first.accessToken}`);
    expect(fx.mtls.requests.length - tokensBefore).toBe(1);
  });

  it('retries at most once', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const before = seen.length;
    const response = await client.fetch(`${apiOrigin}/always-401`, { scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(response.status).toBe(401);
    expect(seen.length - before).toBe(2);
  });

  it('does not retry a request whose body cannot be replayed', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const before = seen.length;
    const response = await client.fetch(`${apiOrigin}/always-401`, { method: 'POST', body: Readable.from(['streamed']), duplex: 'half', scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(response.status).toBe(401);
    expect(seen.length - before).toBe(1);
  });

  it('refuses a caller-supplied Authorization header (one token transmission per request)', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    await expect(client.fetch(`${apiOrigin}/orders`, { headers: { Authorization: 'Bearer x' }, scopes: [GRAPH] })).rejects.toThrow(TypeError);
  });

  it('does not follow redirects unless asked to (the token is for this resource)', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const response = await client.fetch(`${apiOrigin}/redirect`, { scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(response.status).toBe(302);
  });

  it('dispatcherFor(bindingCertificate) presents the bound certificate for callers using undici directly', async () => {
    const { request } = await import('undici');
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!) });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });
    const response = await request(`${apiOrigin}/orders`, { headers: { authorization: result.createAuthorizationHeader() }, dispatcher: client.dispatcherFor(result.bindingCertificate) });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
  });
});
