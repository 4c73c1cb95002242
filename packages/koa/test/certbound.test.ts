import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createVerifier, staticKeys, type VerifierOptions } from '@certbound/core';
import { AUDIENCE, ISSUER, createAuthFixture, rawHttpsRequest, startHttpsServer, type AuthFixture, type ClientName, type TestHttpsServer } from '../../../test/support/index.js';
import { certbound, requireRoles, requireScopes, type CertboundState } from '../src/index.js';

let fixture: AuthFixture;
let server: TestHttpsServer;
let options: VerifierOptions;

function verifierOptions(f: AuthFixture): VerifierOptions {
  return { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(f.issuer.jwks), tokenTypes: ['at+jwt'] };
}

function send(path: string, client: ClientName, headers: Array<[string, string]> = []) {
  return rawHttpsRequest(server.url, fixture.tls(client), { path, headers });
}

beforeAll(async () => {
  fixture = await createAuthFixture();
  options = verifierOptions(fixture);
  const app = new Koa<CertboundState>();
  const verifier = createVerifier(options);
  app.use(async function routes(ctx, next) {
    if (ctx.path === '/open') {
      ctx.body = { open: true };
      return;
    }
    await next();
  });
  app.use(certbound(verifier));
  app.use(async function guarded(ctx, next) {
    if (ctx.path === '/scoped') return requireScopes('api.write')(ctx, next);
    if (ctx.path === '/roles') return requireRoles('Api.Admin')(ctx, next);
    return next();
  });
  app.use((ctx) => {
    ctx.body = { sub: ctx.state.auth.claims.sub, thumbprint: ctx.state.auth.thumbprint, scheme: ctx.state.auth.scheme };
  });
  server = await startHttpsServer(fixture.pki.server, app.callback());
});

afterAll(async () => {
  await server?.close();
  await fixture?.close();
});

describe('@certbound/koa: certbound()', () => {
  it('validates options at creation: a TypeError, not a failure on the first request', () => {
    expect(() => certbound(null as unknown as VerifierOptions)).toThrow(ConfigurationError);
    expect(() => certbound({ ...options, algorithms: [] })).toThrow(ConfigurationError);
    expect(() => certbound({ ...options, issuer: undefined as unknown as string })).toThrow(ConfigurationError);
  });

  it('returns a named (ctx, next) middleware that exposes its verifier', () => {
    const verifier = createVerifier(options);
    const middleware = certbound(verifier);
    expect(middleware.name).toBe('certbound');
    expect(middleware.length).toBe(2);
    expect(middleware.verifier).toBe(verifier);
    expect(certbound(options).verifier).not.toBe(verifier);
  });

  it('RFC 8705 §3: puts the verified token on ctx.state.auth, with the thumbprint of this connection', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send('/', 'client-a', [['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ sub: fixture.issuer.claims(null)['sub'], thumbprint: fixture.thumbprint('client-a'), scheme: 'Bearer' });
  });

  it('PROTOCOL 3: accepts the mtls_pop scheme alongside Bearer', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-b') });
    const response = await send('/', 'client-b', [['Authorization', `mtls_pop ${token}`]]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ thumbprint: fixture.thumbprint('client-b'), scheme: 'mtls_pop' });
  });

  it('SECURITY 5: forwards the verifier\'s refusal of a replayed token as is (status, challenge, body)', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send('/', 'client-b', [['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(401);
    expect(response.header('www-authenticate')).toHaveLength(1);
    expect(response.header('www-authenticate')[0]).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(response.header('content-type')[0]).toMatch(/^application\/json/);
  });

  it('RFC 6750 §3.1: no credentials → 401 with a challenge and no error code', async () => {
    const response = await send('/', 'client-a');
    expect(response.status).toBe(401);
    expect(response.header('www-authenticate')[0]).toMatch(/^Bearer/);
    expect(response.header('www-authenticate')[0]).not.toMatch(/error=/);
  });

  it('SECURITY 8: hands rawHeaders to core, so duplicate Authorization headers are seen (400)', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send('/', 'client-a', [['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(400);
    expect(response.header('www-authenticate')[0]).toMatch(/error="invalid_request"/);
  });

  it('SECURITY 8: hands the URL to core, so a token in the query string is refused (400)', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send(`/?access_token=${token}`, 'client-a', [['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(400);
  });

  it('leaves routes mounted before it alone', async () => {
    const response = await send('/open', 'none');
    expect(response.status).toBe(200);
    expect(response.header('www-authenticate')).toEqual([]);
  });
});

describe('@certbound/koa: guards', () => {
  it('RFC 6750 §3.1: requireScopes answers 403 insufficient_scope naming the scope in the challenge', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send('/scoped', 'client-a', [['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(403);
    expect(response.header('www-authenticate')[0]).toMatch(/^Bearer .*error="insufficient_scope".*scope="api\.write"/);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'insufficient_scope' });
  });

  it('requireScopes lets a token with the scope through', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a'), claims: { scp: 'api.read api.write' } });
    expect((await send('/scoped', 'client-a', [['Authorization', `Bearer ${token}`]])).status).toBe(200);
  });

  it('RFC 6750 §3.1: requireRoles answers 403 insufficient_scope naming the role', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await send('/roles', 'client-a', [['Authorization', `Bearer ${token}`]]);
    expect(response.status).toBe(403);
    expect(response.header('www-authenticate')[0]).toMatch(/scope="Api\.Admin"/);
    const admin = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a'), claims: { roles: ['Api.Admin'] } });
    expect((await send('/roles', 'client-a', [['Authorization', `Bearer ${admin}`]])).status).toBe(200);
  });

  it('validates guard arguments at creation', () => {
    expect(() => requireScopes()).toThrow(ConfigurationError);
    expect(() => requireScopes('')).toThrow(ConfigurationError);
    expect(() => requireScopes('two words')).toThrow(ConfigurationError);
    expect(() => requireRoles('quote"d')).toThrow(ConfigurationError);
    expect(requireScopes('api.read').name).toBe('requireScopes');
  });

  it('fails closed when a guard runs without certbound() before it', async () => {
    const app = new Koa<CertboundState>();
    app.silent = true;
    app.use(requireScopes('api.read'));
    app.use((ctx) => {
      ctx.body = 'reached';
    });
    const bare = await startHttpsServer(fixture.pki.server, app.callback());
    try {
      const response = await rawHttpsRequest(bare.url, fixture.tls('client-a'), { path: '/' });
      expect(response.status).toBe(500);
      expect(response.body).not.toContain('reached');
    } finally {
      await bare.close();
    }
  });
});
