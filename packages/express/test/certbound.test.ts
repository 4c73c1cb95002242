import { createRequire } from 'node:module';
import express5 from 'express';
import express4 from 'express4';
import type { ErrorRequestHandler, Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createVerifier, staticKeys, type Verifier, type VerifierOptions } from '@certbound/core';
import { AUDIENCE, ISSUER, createAuthFixture, rawHttpsRequest, startHttpsServer, type AuthFixture, type ClientName, type TestHttpsServer } from '../../../test/support/index.js';
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

describe('@certbound/express: certbound()', () => {
  it('validates options at creation: a TypeError, not a failure on the first request', () => {
    expect(() => certbound(undefined as unknown as VerifierOptions)).toThrow(ConfigurationError);
    expect(() => certbound({ ...options, algorithms: ['none' as 'ES256'] })).toThrow(ConfigurationError);
    expect(() => certbound({ ...options, audience: 7 as unknown as string })).toThrow(ConfigurationError);
  });

  it('returns a named middleware that exposes its verifier', () => {
    const verifier = createVerifier(options);
    const middleware = certbound(verifier);
    expect(middleware.name).toBe('certbound');
    expect(middleware.length).toBe(3);
    expect(middleware.verifier).toBe(verifier);
  });

  it('validates guard arguments at creation', () => {
    expect(() => requireScopes()).toThrow(ConfigurationError);
    expect(() => requireRoles('a b')).toThrow(ConfigurationError);
    expect(() => requireScopes('back\\slash')).toThrow(ConfigurationError);
    expect(requireRoles('Api.Admin').name).toBe('requireRoles');
  });
});

const installed = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;

for (const [version, express, packageName] of [
  ['Express 5', express5, 'express'],
  ['Express 4', express4, 'express4'],
] as const) {
  describe(`@certbound/express on ${version}`, () => {
    it(`runs against the real ${version} package`, () => {
      expect(installed(packageName).split('.')[0]).toBe(version.slice(-1));
    });

    let server: TestHttpsServer;
    let errors: unknown[];

    function app(verifier: Verifier): Express {
      const application = express();
      application.get('/open', (_req, res) => {
        res.json({ open: true });
      });
      application.use(certbound(verifier));
      application.get('/scoped', requireScopes('api.write'), (req, res) => {
        res.json({ scopes: req.auth?.claims['scp'] });
      });
      application.get('/roles', requireRoles('Api.Admin'), (_req, res) => {
        res.json({ admin: true });
      });
      application.get('/', (req, res) => {
        res.json({ sub: req.auth?.claims.sub, thumbprint: req.auth?.thumbprint, scheme: req.auth?.scheme });
      });
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        errors.push(error);
        res.status(500).json({ error: 'internal' });
      };
      application.use(onError);
      return application;
    }

    const send = (path: string, client: ClientName, headers: Array<[string, string]> = []) => rawHttpsRequest(server.url, fixture.tls(client), { path, headers });
    const bound = (client: Exclude<ClientName, 'none'> = 'client-a', claims: Record<string, unknown> = {}) => fixture.issuer.mint({ thumbprint: fixture.thumbprint(client), claims });

    beforeAll(async () => {
      errors = [];
      server = await startHttpsServer(fixture.pki.server, app(createVerifier(options)));
    });

    afterAll(async () => {
      await server?.close();
    });

    it('RFC 8705 §3: sets req.auth with the thumbprint of this connection', async () => {
      const response = await send('/', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ sub: fixture.issuer.claims(null)['sub'], thumbprint: fixture.thumbprint('client-a'), scheme: 'Bearer' });
    });

    it('PROTOCOL 3: accepts mtls_pop, case-insensitively', async () => {
      const response = await send('/', 'client-b', [['Authorization', `MTLS_POP ${bound('client-b')}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ thumbprint: fixture.thumbprint('client-b'), scheme: 'mtls_pop' });
    });

    it('SECURITY 5: forwards the refusal of a replayed token (401 invalid_token, challenge, JSON body)', async () => {
      const response = await send('/', 'client-b', [['Authorization', `Bearer ${bound('client-a')}`]]);
      expect(response.status).toBe(401);
      expect(response.header('www-authenticate')).toHaveLength(1);
      expect(response.header('www-authenticate')[0]).toMatch(/^Bearer .*error="invalid_token"/);
      expect(JSON.parse(response.body)).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    });

    it('SECURITY 5: a bound token without any client certificate is refused', async () => {
      const response = await send('/', 'none', [['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(401);
    });

    it('SECURITY 8: duplicate Authorization headers are seen through rawHeaders (400)', async () => {
      const response = await send('/', 'client-a', [['Authorization', `Bearer ${bound()}`], ['authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(400);
      expect(response.header('www-authenticate')[0]).toMatch(/error="invalid_request"/);
    });

    it('SECURITY 8: a query-string token is refused (the URL reaches core)', async () => {
      const response = await send(`/?access_token=${bound()}`, 'client-a');
      expect(response.status).toBe(400);
    });

    it('RFC 6750 §3.1: requireScopes → 403 insufficient_scope with the scope in the challenge', async () => {
      const refused = await send('/scoped', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(refused.status).toBe(403);
      expect(refused.header('www-authenticate')[0]).toMatch(/error="insufficient_scope".*scope="api\.write"/);
      const allowed = await send('/scoped', 'client-a', [['Authorization', `Bearer ${bound('client-a', { scp: 'api.write' })}`]]);
      expect(allowed.status).toBe(200);
    });

    it('RFC 6750 §3.1: requireRoles → 403 insufficient_scope naming the role', async () => {
      const refused = await send('/roles', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(refused.status).toBe(403);
      expect(refused.header('www-authenticate')[0]).toMatch(/scope="Api\.Admin"/);
      const allowed = await send('/roles', 'client-a', [['Authorization', `Bearer ${bound('client-a', { roles: ['Api.Admin'] })}`]]);
      expect(allowed.status).toBe(200);
    });

    it('leaves routes declared before it alone', async () => {
      const response = await send('/open', 'none');
      expect(response.status).toBe(200);
      expect(response.header('www-authenticate')).toEqual([]);
    });

    it('an internal error of the verifier goes to next(err), once', async () => {
      const failing: Verifier = { ...createVerifier(options), verifyRequest: () => Promise.reject(new Error('verifier internals broke')) };
      const broken = await startHttpsServer(fixture.pki.server, app(failing));
      try {
        errors = [];
        const response = await rawHttpsRequest(broken.url, fixture.tls('client-a'), { path: '/', headers: [['Authorization', `Bearer ${bound()}`]] });
        expect(response.status).toBe(500);
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toBe('verifier internals broke');
      } finally {
        await broken.close();
      }
    });

    it('a guard without certbound() before it fails closed through next(err)', async () => {
      const application = express();
      application.get('/', requireScopes('api.read'), (_req, res) => {
        res.send('reached');
      });
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        errors.push(error);
        res.status(500).end();
      };
      application.use(onError);
      const bare = await startHttpsServer(fixture.pki.server, application);
      try {
        errors = [];
        const response = await rawHttpsRequest(bare.url, fixture.tls('client-a'), { path: '/' });
        expect(response.status).toBe(500);
        expect(response.body).not.toContain('reached');
        expect(String(errors[0])).toMatch(/must run after certbound/);
      } finally {
        await bare.close();
      }
    });
  });
}
