import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createVerifier, staticKeys, type Verifier, type VerifierOptions } from '@certbound/core';
import { AUDIENCE, ISSUER, createAuthFixture, rawHttpsRequest, type AuthFixture } from '../../../test/support/index.js';
import { certbound, requireRoles, requireScopes } from '../src/index.js';

let fixture: AuthFixture;
let options: VerifierOptions;

beforeAll(async () => {
  fixture = await createAuthFixture();
  options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(fixture.issuer.jwks), tokenTypes: ['at+jwt'] };
});

afterAll(async () => {
  await fixture?.close();
});

const bound = (claims: Record<string, unknown> = {}) => fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a'), claims });
const unbound = (claims: Record<string, unknown> = {}) => fixture.issuer.mint({ thumbprint: null, claims });

/** A global-hook app; inject() has no TLS, so "if-present" binding lets unbound tokens prove the accept path. */
async function globalApp(verifier: VerifierOptions | Verifier): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(certbound, { verifier });
  app.get('/', async (request) => ({ sub: request.auth?.claims.sub ?? null, scheme: request.auth?.scheme ?? null }));
  app.get('/scoped', { preHandler: requireScopes('api.write') }, async () => ({ scoped: true }));
  app.get('/roles', { preHandler: requireRoles('Api.Admin') }, async () => ({ admin: true }));
  return app;
}

describe('@certbound/fastify: registration', () => {
  it('is a fastify-plugin named @certbound/fastify for Fastify 5', () => {
    const meta = (certbound as unknown as Record<symbol, { name: string; fastify: string }>)[Symbol.for('plugin-meta')];
    expect(meta).toMatchObject({ name: '@certbound/fastify', fastify: '5.x' });
  });

  it('validates options at registration (TypeError at startup)', async () => {
    for (const bad of [{ verifier: { ...options, algorithms: [] } }, { verifier: null }, { verifier: options, global: 'yes' }]) {
      const app = Fastify();
      await expect(app.register(certbound, bad as never).ready()).rejects.toThrow(ConfigurationError);
      await app.close();
    }
  });

  it('decorates request.auth with null and exposes the hook and the verifier', async () => {
    const verifier = createVerifier(options);
    const app = Fastify();
    await app.register(certbound, { verifier, global: false });
    let seen: unknown = 'unset';
    app.get('/open', async (request) => {
      seen = request.auth;
      return { ok: true };
    });
    await app.ready();
    expect(typeof app.certbound).toBe('function');
    expect(app.certboundVerifier).toBe(verifier);
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    expect(seen).toBeNull();
    await app.close();
  });

  it('closes a verifier it created when the server closes', async () => {
    const app = Fastify();
    await app.register(certbound, { verifier: options });
    await app.ready();
    const verifier = app.certboundVerifier;
    let closed = false;
    const close = verifier.close.bind(verifier);
    (verifier as { close: () => Promise<void> }).close = async () => {
      closed = true;
      await close();
    };
    await app.close();
    expect(closed).toBe(true);
  });
});

describe('@certbound/fastify: global hook (inject)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await globalApp({ ...options, binding: 'if-present' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('RFC 6750 §3.1: no credentials → 401 challenge without error code, JSON body', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.headers['www-authenticate']).not.toMatch(/error=/);
    expect(response.json()).toEqual({ error: expect.any(String), error_description: expect.any(String) });
  });

  it('sets request.auth for an accepted token; mtls_pop is accepted', async () => {
    const response = await app.inject({ url: '/', headers: { authorization: `mtls_pop ${unbound()}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: fixture.issuer.claims(null)['sub'], scheme: 'mtls_pop' });
  });

  it('SECURITY 5: a bound token without a certificate is refused even under if-present', async () => {
    const response = await app.inject({ url: '/', headers: { authorization: `Bearer ${bound()}` } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('SECURITY 8: a query-string token is refused', async () => {
    const response = await app.inject({ url: `/?access_token=${unbound()}` });
    expect(response.statusCode).toBe(400);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('RFC 6750 §3.1: requireScopes and requireRoles → 403 insufficient_scope naming what is missing', async () => {
    const scoped = await app.inject({ url: '/scoped', headers: { authorization: `Bearer ${unbound()}` } });
    expect(scoped.statusCode).toBe(403);
    expect(scoped.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="api\.write"/);
    expect((await app.inject({ url: '/scoped', headers: { authorization: `Bearer ${unbound({ scp: 'api.write' })}` } })).statusCode).toBe(200);
    const roles = await app.inject({ url: '/roles', headers: { authorization: `Bearer ${unbound()}` } });
    expect(roles.statusCode).toBe(403);
    expect(roles.headers['www-authenticate']).toMatch(/scope="Api\.Admin"/);
    expect((await app.inject({ url: '/roles', headers: { authorization: `Bearer ${unbound({ roles: ['Api.Admin'] })}` } })).statusCode).toBe(200);
  });

  it('the hook also guards unknown routes of its context (no 404 oracle without credentials)', async () => {
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(401);
  });
});

describe('@certbound/fastify: per-route hook and encapsulation', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    app.get('/healthz', async () => ({ status: 'ok' }));
    await app.register(async (scoped) => {
      await scoped.register(certbound, { verifier: { ...options, binding: 'if-present' }, global: false });
      scoped.get('/public', async (request) => ({ auth: request.auth }));
      scoped.get('/private', { onRequest: scoped.certbound }, async (request) => ({ sub: request.auth?.claims.sub }));
      scoped.get('/private-scoped', { onRequest: [scoped.certbound, requireScopes('api.read')] }, async () => ({ ok: true }));
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('guards only the routes that ask for the hook', async () => {
    expect((await app.inject({ url: '/public' })).json()).toEqual({ auth: null });
    expect((await app.inject({ url: '/private' })).statusCode).toBe(401);
    const accepted = await app.inject({ url: '/private', headers: { authorization: `Bearer ${unbound()}` } });
    expect(accepted.json()).toEqual({ sub: fixture.issuer.claims(null)['sub'] });
  });

  it('a guard in onRequest after the hook works like a preHandler', async () => {
    expect((await app.inject({ url: '/private-scoped', headers: { authorization: `Bearer ${unbound({ scp: 'x' })}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/private-scoped', headers: { authorization: `Bearer ${unbound()}` } })).statusCode).toBe(200);
  });

  it('does not leak out of the encapsulated context', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('a guard on a route without the hook fails closed (500, handler not reached)', async () => {
    const bare = Fastify();
    bare.get('/', { preHandler: requireScopes('api.read') }, async () => 'reached');
    const response = await bare.inject({ url: '/' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('reached');
    await bare.close();
  });

  it('validates guard arguments at creation', () => {
    expect(() => requireScopes()).toThrow(ConfigurationError);
    expect(() => requireRoles('')).toThrow(ConfigurationError);
  });
});

describe('@certbound/fastify: real mTLS', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = Fastify({ https: { cert: fixture.pki.server.cert, key: fixture.pki.server.key, requestCert: true, rejectUnauthorized: false } });
    await app.register(certbound, { verifier: options });
    app.get('/', async (request) => ({ thumbprint: request.auth?.thumbprint }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('RFC 8705 §3: accepts a bound token with its certificate and reports that thumbprint', async () => {
    const response = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/', headers: [['Authorization', `Bearer ${bound()}`]] });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ thumbprint: fixture.thumbprint('client-a') });
  });

  it('SECURITY 5: refuses it from another certificate (401 invalid_token)', async () => {
    const response = await rawHttpsRequest(url, fixture.tls('client-b'), { path: '/', headers: [['Authorization', `Bearer ${bound()}`]] });
    expect(response.status).toBe(401);
    expect(response.header('www-authenticate')[0]).toMatch(/^Bearer .*error="invalid_token"/);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_token' });
  });

  it('SECURITY 8: duplicate Authorization headers reach core through rawHeaders (400)', async () => {
    const response = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/', headers: [['Authorization', `Bearer ${bound()}`], ['Authorization', `Bearer ${bound()}`]] });
    expect(response.status).toBe(400);
  });
});
