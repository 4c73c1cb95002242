/**
 * The behaviour of @certbound/hono on a real @hono/node-server over real mutual TLS, registered once per
 * @hono/node-server major (each test file runs in its own worker: the server package replaces the global Request).
 */
import type { Server as HttpServer } from 'node:http';
import { connect as connectHttp2, createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Hono, type Context } from 'hono';
import type { HttpBindings, serve } from '@hono/node-server';
import { ConfigurationError, createVerifier, headerSource, remoteKeys, staticKeys, type Verifier, type VerifierOptions, type VerifySuccess } from '@certbound/core';
import { failure } from '@certbound/core/adapter';
import {
  AUDIENCE,
  ISSUER,
  createAuthFixture,
  parseRawResponse,
  rawHttpsRequest,
  startJwksServer,
  type AuthFixture,
  type ClientName,
  type RawResponse,
} from '../../../test/support/index.js';
import { certbound, protectedResourceMetadata, requireRoles, requireScopes, type CertboundEnv, type CertboundVariables } from '../src/index.js';

/** `serve` of @hono/node-server 2; the 1.x `serve` takes the same options these tests use. */
export type Serve = typeof serve;

interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Serve `app` on loopback: HTTPS asking for a client certificate (the verifier decides), or plain HTTP behind a proxy. */
async function listen(serve: Serve, app: Hono<CertboundEnv>, tls: { cert: string; key: string } | null): Promise<Running> {
  let server!: HttpServer;
  const port = await new Promise<number>((resolve) => {
    server = serve(
      {
        fetch: app.fetch,
        port: 0,
        hostname: '127.0.0.1',
        // RFC 8705 §6.2: request the certificate without verifying its chain; the token binding decides.
        ...(tls === null ? {} : { createServer: createHttpsServer, serverOptions: { ...tls, requestCert: true, rejectUnauthorized: false } }),
      },
      (info) => resolve(info.port),
    ) as HttpServer;
  });
  return {
    url: `${tls === null ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One raw HTTP/1.1 request over plain TCP from a chosen local address (a proxy's hop to the application). */
function rawHttpRequest(url: string, localAddress: string, headers: Array<[string, string]>): Promise<RawResponse> {
  const { hostname, port, host } = new URL(url);
  const head = `GET / HTTP/1.1\r\nHost: ${host}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => socket.write(head));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no response within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      try {
        resolve(parseRawResponse(Buffer.concat(chunks), 'GET'));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** The refusal every adapter sends for `code` with a verifier's default challenge: the bytes to compare against. */
function coreAnswer(code: Parameters<typeof failure>[0], scope?: string) {
  const answer = failure(code, scope === undefined ? {} : { scope });
  return { status: answer.status, challenge: answer.challenge, body: JSON.stringify(answer.body) };
}

function answerOf(response: RawResponse) {
  return { status: response.status, challenge: response.header('www-authenticate').join(', '), body: response.body };
}

/** PEM to the RFC 9440 `Client-Cert` value: the DER as a Structured Field Byte Sequence. */
function clientCertHeader(pem: string): string {
  return `:${pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')}:`;
}

export function registerHonoSuite(label: string, serve: Serve): void {
  let fixture: AuthFixture;
  let options: VerifierOptions;

  beforeAll(async () => {
    fixture = await createAuthFixture();
    options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(fixture.issuer.jwks), tokenTypes: ['at+jwt'] };
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const bound = (client: Exclude<ClientName, 'none'> = 'client-a', claims: Record<string, unknown> = {}) => fixture.issuer.mint({ thumbprint: fixture.thumbprint(client), claims });

  describe(`@certbound/hono: certbound() (${label})`, () => {
    it('validates options at creation: a ConfigurationError, not a failure on the first request', () => {
      expect(() => certbound(undefined as unknown as VerifierOptions)).toThrow(ConfigurationError);
      expect(() => certbound({ ...options, algorithms: ['none' as 'ES256'] })).toThrow(ConfigurationError);
      expect(() => certbound({ ...options, audience: 7 as unknown as string })).toThrow(ConfigurationError);
    });

    it('returns a named middleware that exposes its verifier', () => {
      const verifier = createVerifier(options);
      const middleware = certbound(verifier);
      expect(middleware.name).toBe('certbound');
      expect(middleware.verifier).toBe(verifier);
    });

    it('validates guard arguments at creation', () => {
      expect(() => requireScopes()).toThrow(ConfigurationError);
      expect(() => requireRoles('a b')).toThrow(ConfigurationError);
      expect(() => requireScopes('back\\slash')).toThrow(ConfigurationError);
      expect(requireRoles('Api.Admin').name).toBe('requireRoles');
    });
  });

  describe(`@certbound/hono over mTLS on @hono/node-server ${label}`, () => {
    let server: Running;
    let errors: unknown[];

    function app(verifier: Verifier): Hono<CertboundEnv> {
      const application = new Hono<CertboundEnv>();
      application.get('/open', (c) => c.json({ open: true }));
      application.use(protectedResourceMetadata({ resource: 'https://api.certbound.test/', authorizationServers: [ISSUER] }));
      application.use('/api/*', certbound(verifier));
      application.get('/api/scoped', requireScopes('api.write'), (c) => c.json({ scopes: c.get('certbound').claims['scp'] }));
      application.get('/api/roles', requireRoles('Api.Admin'), (c) => c.json({ admin: true }));
      application.get('/api/throws', () => {
        throw new Error('handler broke');
      });
      application.get('/api/me', (c) => {
        const auth = c.get('certbound');
        expectTypeOf(auth).toEqualTypeOf<VerifySuccess>();
        return c.json({ sub: auth.claims.sub, thumbprint: auth.thumbprint, scheme: auth.scheme });
      });
      // An application error handler that would rewrite any error it saw: refusals must never reach it.
      application.onError((error, c) => {
        errors.push(error);
        return c.json({ error: 'rewritten by onError' }, 500);
      });
      return application;
    }

    const send = (path: string, client: ClientName, headers: Array<[string, string]> = []) => rawHttpsRequest(server.url, fixture.tls(client), { path, headers });

    beforeAll(async () => {
      errors = [];
      server = await listen(serve, app(createVerifier(options)), fixture.pki.server);
    });

    afterAll(async () => {
      await server?.close();
    });

    it('RFC 8705 §3: a bound token gets 200 and c.get("certbound") with the thumbprint of this connection', async () => {
      const response = await send('/api/me', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ sub: fixture.issuer.claims(null)['sub'], thumbprint: fixture.thumbprint('client-a'), scheme: 'Bearer' });
    });

    it('docs/protocol.md §3: schemes are case-insensitive (bearer, MTLS_POP)', async () => {
      const lower = await send('/api/me', 'client-a', [['Authorization', `bearer ${bound()}`]]);
      expect(lower.status).toBe(200);
      const upper = await send('/api/me', 'client-b', [['Authorization', `MTLS_POP ${bound('client-b')}`]]);
      expect(upper.status).toBe(200);
      expect(JSON.parse(upper.body)).toMatchObject({ thumbprint: fixture.thumbprint('client-b'), scheme: 'mtls_pop' });
    });

    it("docs/security.md rule 5: the token from another certificate gets core's 401, byte for byte", async () => {
      const response = await send('/api/me', 'client-b', [['Authorization', `Bearer ${bound('client-a')}`]]);
      expect(answerOf(response)).toEqual(coreAnswer('ERR_BINDING_MISMATCH'));
      expect(response.header('content-type')).toEqual(['application/json; charset=utf-8']);
    });

    it('docs/security.md rule 5: a bound token without any client certificate is refused', async () => {
      const response = await send('/api/me', 'none', [['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(response)).toEqual(coreAnswer('ERR_CERTIFICATE_MISSING'));
    });

    it('RFC 6750 §3.1: no token gets 401 with a challenge per scheme and no error code', async () => {
      const response = await send('/api/me', 'client-a');
      expect(answerOf(response)).toEqual(coreAnswer('ERR_NO_CREDENTIALS'));
      expect(response.header('www-authenticate')[0]).toMatch(/^Bearer/);
      expect(response.header('www-authenticate')[0]).not.toMatch(/error=/);
    });

    it('RFC 6750 §3.1: requireScopes → 403 insufficient_scope naming the scope', async () => {
      const refused = await send('/api/scoped', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(refused)).toEqual(coreAnswer('ERR_INSUFFICIENT_SCOPE', 'api.write'));
      const allowed = await send('/api/scoped', 'client-a', [['Authorization', `Bearer ${bound('client-a', { scp: 'api.write' })}`]]);
      expect(allowed.status).toBe(200);
      expect(JSON.parse(allowed.body)).toEqual({ scopes: 'api.write' });
    });

    it('RFC 6750 §3.1: requireRoles → 403 insufficient_scope naming the role', async () => {
      const refused = await send('/api/roles', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(refused)).toEqual(coreAnswer('ERR_INSUFFICIENT_ROLE', 'Api.Admin'));
      const allowed = await send('/api/roles', 'client-a', [['Authorization', `Bearer ${bound('client-a', { roles: ['Api.Admin'] })}`]]);
      expect(allowed.status).toBe(200);
    });

    it('docs/security.md rule 8: duplicate Authorization headers are seen through the raw headers (400)', async () => {
      const response = await send('/api/me', 'client-a', [['Authorization', `Bearer ${bound()}`], ['authorization', `Bearer ${bound()}`]]);
      expect(answerOf(response)).toEqual(coreAnswer('ERR_AUTHORIZATION_DUPLICATE'));
    });

    it('docs/security.md rule 8: an overlong token, a scheme without a token, another scheme and a query token', async () => {
      const overlong = await send('/api/me', 'client-a', [['Authorization', `Bearer ${'a'.repeat(9000)}`]]);
      expect(answerOf(overlong)).toEqual(coreAnswer('ERR_TOKEN_TOO_LONG'));
      const empty = await send('/api/me', 'client-a', [['Authorization', 'Bearer']]);
      expect(empty.status).toBe(400);
      expect(empty.header('www-authenticate')[0]).toMatch(/error="invalid_request"/);
      const basic = await send('/api/me', 'client-a', [['Authorization', 'Basic dXNlcjpwYXNz']]);
      expect(answerOf(basic)).toEqual(coreAnswer('ERR_UNSUPPORTED_SCHEME'));
      const query = await send(`/api/me?access_token=${bound()}`, 'client-a');
      expect(answerOf(query)).toEqual(coreAnswer('ERR_QUERY_TOKEN'));
    });

    it('refusals are responses, not thrown errors: app.onError never sees or rewrites them', async () => {
      errors = [];
      for (const response of [await send('/api/me', 'client-b', [['Authorization', `Bearer ${bound('client-a')}`]]), await send('/api/scoped', 'client-a', [['Authorization', `Bearer ${bound()}`]])]) {
        expect(response.body).not.toContain('rewritten');
        expect([401, 403]).toContain(response.status);
      }
      expect(errors).toEqual([]);
      // The error handler is live: an accepted request whose handler throws does reach it.
      const thrown = await send('/api/throws', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(thrown.status).toBe(500);
      expect(errors).toEqual([new Error('handler broke')]);
    });

    it('leaves routes outside it alone', async () => {
      const response = await send('/open', 'none');
      expect(response.status).toBe(200);
      expect(response.header('www-authenticate')).toEqual([]);
    });

    it('RFC 9728 §3: protectedResourceMetadata serves the document, 405 for other methods, and passes other paths on', async () => {
      const document = await send('/.well-known/oauth-protected-resource', 'none');
      expect(document.status).toBe(200);
      expect(document.header('content-type')).toEqual(['application/json']);
      expect(document.header('cache-control')).toEqual(['max-age=300']);
      expect(JSON.parse(document.body)).toMatchObject({ resource: 'https://api.certbound.test/', authorization_servers: [ISSUER], tls_client_certificate_bound_access_tokens: true });
      const posted = await rawHttpsRequest(server.url, fixture.tls('none'), { method: 'POST', path: '/.well-known/oauth-protected-resource', body: '' });
      expect(posted.status).toBe(405);
      expect(posted.header('allow')).toEqual(['GET, HEAD']);
      expect((await send('/.well-known/other', 'none')).status).toBe(404);
    });

    it('an internal error of the verifier (none expected) is thrown to app.onError, once, and nothing gets through', async () => {
      const failing: Verifier = { ...createVerifier(options), verifyRequest: () => Promise.reject(new Error('verifier internals broke')) };
      const broken = await listen(serve, app(failing), fixture.pki.server);
      try {
        errors = [];
        const response = await rawHttpsRequest(broken.url, fixture.tls('client-a'), { path: '/api/me', headers: [['Authorization', `Bearer ${bound()}`]] });
        expect(response.status).toBe(500);
        expect(JSON.parse(response.body)).toEqual({ error: 'rewritten by onError' });
        expect(errors).toEqual([new Error('verifier internals broke')]);
      } finally {
        await broken.close();
      }
    });

    it('a guard without certbound() before it fails closed through app.onError', async () => {
      const application = new Hono<CertboundEnv>();
      application.get('/', requireScopes('api.read'), (c) => c.text('reached'));
      application.onError((error, c) => {
        errors.push(error);
        return c.text('wiring', 500);
      });
      const bare = await listen(serve, application, fixture.pki.server);
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

    it('RFC 9110 §10.2.3: a JWKS outage answers 503 with Retry-After, as core computes it', async () => {
      const jwks = await startJwksServer({ cert: fixture.pki.server.cert, key: fixture.pki.server.key, keys: fixture.issuer.jwks.keys });
      jwks.setOutage(true);
      const verifier = createVerifier({ ...options, keys: remoteKeys({ uri: jwks.url, ca: fixture.pki.ca.cert }) });
      const down = await listen(serve, app(verifier), fixture.pki.server);
      try {
        const response = await rawHttpsRequest(down.url, fixture.tls('client-a'), { path: '/api/me', headers: [['Authorization', `Bearer ${bound()}`]] });
        expect(response.status).toBe(503);
        expect(response.header('retry-after')).toEqual([expect.stringMatching(/^[1-9]\d*$/)]);
        expect(JSON.parse(response.body)).toEqual(failure('ERR_JWKS_UNAVAILABLE').body);
        expect(response.header('www-authenticate')[0]).toMatch(/error="temporarily_unavailable"/);
      } finally {
        await down.close();
        await verifier.close();
        await jwks.close();
      }
    });
  });

  describe(`@certbound/hono behind a proxy: headerSource on @hono/node-server ${label}`, () => {
    let server: Running;

    beforeAll(async () => {
      const verifier = createVerifier({ ...options, certificateSource: headerSource({ format: 'rfc9440', trustedProxies: ['127.0.0.1/32'] }) });
      const application = new Hono<CertboundEnv>();
      application.use(certbound(verifier));
      application.get('/', (c) => c.json({ thumbprint: c.get('certbound').thumbprint }));
      server = await listen(serve, application, null);
    });

    afterAll(async () => {
      await server?.close();
    });

    const forwarded = (client: 'client-a' | 'client-b') => clientCertHeader(fixture.pki.clients[client]!.cert);

    it('docs/security.md rule 7: from a trusted proxy address the forwarded certificate binds the token', async () => {
      const response = await rawHttpRequest(server.url, '127.0.0.1', [['Client-Cert', forwarded('client-a')], ['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ thumbprint: fixture.thumbprint('client-a') });
      const other = await rawHttpRequest(server.url, '127.0.0.1', [['Client-Cert', forwarded('client-b')], ['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(other)).toEqual(coreAnswer('ERR_BINDING_MISMATCH'));
    });

    it('docs/security.md rule 7: from an untrusted address the header is ignored and the token refused', async () => {
      const response = await rawHttpRequest(server.url, '127.0.0.2', [['Client-Cert', forwarded('client-a')], ['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(response)).toEqual(coreAnswer('ERR_CERTIFICATE_MISSING'));
    });

    it('docs/security.md rule 8: a forwarded certificate sent twice is refused (400)', async () => {
      const response = await rawHttpRequest(server.url, '127.0.0.1', [['Client-Cert', forwarded('client-a')], ['Client-Cert', forwarded('client-a')], ['Authorization', `Bearer ${bound()}`]]);
      expect(answerOf(response)).toEqual(coreAnswer('ERR_CERTIFICATE_HEADER_DUPLICATE'));
    });
  });

  describe(`@certbound/hono over HTTP/2 (node:http2 createSecureServer) on @hono/node-server ${label}`, () => {
    /** GET / over one HTTP/2 session as `client`: status, challenge and body. */
    async function http2Get(url: string, client: Exclude<ClientName, 'none'>, authorization?: string) {
      const session = connectHttp2(url, fixture.tls(client));
      try {
        return await new Promise<{ status: number; challenge: string | undefined; body: string }>((resolve, reject) => {
          const stream = session.request({ ':path': '/', ...(authorization === undefined ? {} : { authorization }) });
          let status = 0;
          let challenge: string | undefined;
          let body = '';
          stream.on('response', (headers) => {
            status = Number(headers[':status']);
            challenge = headers['www-authenticate'] as string | undefined;
          });
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => (body += chunk));
          stream.once('end', () => resolve({ status, challenge, body }));
          stream.once('error', reject);
        });
      } finally {
        session.close();
      }
    }

    it('RFC 8705 §3: the certificate of the HTTP/2 connection binds the token as on HTTP/1.1', async () => {
      const application = new Hono<CertboundEnv>();
      application.use(certbound(createVerifier(options)));
      application.get('/', (c) => c.json({ thumbprint: c.get('certbound').thumbprint }));
      let server!: { close(callback: () => void): void };
      const port = await new Promise<number>((resolve) => {
        server = serve(
          {
            fetch: application.fetch,
            port: 0,
            hostname: '127.0.0.1',
            createServer: createSecureServer,
            serverOptions: { ...fixture.pki.server, requestCert: true, rejectUnauthorized: false },
          },
          (info) => resolve(info.port),
        ) as unknown as { close(callback: () => void): void };
      });
      const url = `https://127.0.0.1:${port}`;
      try {
        expect(await http2Get(url, 'client-a', `Bearer ${bound()}`)).toEqual({ status: 200, challenge: undefined, body: JSON.stringify({ thumbprint: fixture.thumbprint('client-a') }) });
        const replayed = coreAnswer('ERR_BINDING_MISMATCH');
        expect(await http2Get(url, 'client-b', `Bearer ${bound()}`)).toEqual({ status: replayed.status, challenge: replayed.challenge, body: replayed.body });
        const missing = coreAnswer('ERR_NO_CREDENTIALS');
        expect(await http2Get(url, 'client-a')).toEqual({ status: missing.status, challenge: missing.challenge, body: missing.body });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  describe(`@certbound/hono without a Node request (another runtime) (${label})`, () => {
    it("every request gets core's internal-failure 401, never a 500 or acceptance, and onError is not involved", async () => {
      const seen: unknown[] = [];
      const application = new Hono<CertboundEnv>();
      application.use(certbound({ ...options, realm: 'orders' }));
      application.get('/', (c) => c.text('reached'));
      application.onError((error, c) => {
        seen.push(error);
        return c.text('rewritten', 500);
      });
      const expected = failure('ERR_VERIFICATION_FAILED', { realm: 'orders' });
      const envs: Array<Record<string, unknown> | undefined> = [undefined, {}, { incoming: 'not a request' }, { incoming: { headers: {} } }, { incoming: { headers: null, rawHeaders: [], socket: {} } }];
      for (const env of envs) {
        const response = await application.request('/', { headers: { authorization: `Bearer ${bound()}` } }, env);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(expected.challenge);
        expect(await response.text()).toBe(JSON.stringify(expected.body));
      }
      expect(seen).toEqual([]);
    });

    it('c.get("certbound") is typed by CertboundEnv, alone or combined with bindings and other variables', async () => {
      const handler = (c: Context<CertboundEnv>) => c.get('certbound');
      expectTypeOf(handler).returns.toEqualTypeOf<VerifySuccess>();
      const application = new Hono<{ Bindings: HttpBindings; Variables: CertboundVariables & { requestId: string } }>();
      application.use(certbound(options), requireScopes('api.read'));
      application.get('/', (c) => {
        expectTypeOf(c.var.certbound).toEqualTypeOf<VerifySuccess>();
        expectTypeOf(c.get('requestId')).toEqualTypeOf<string>();
        expectTypeOf(c.env.incoming.socket.remoteAddress).toEqualTypeOf<string | undefined>();
        return c.text('reached');
      });
      expect((await application.request('/')).status).toBe(401);
    });
  });
}
