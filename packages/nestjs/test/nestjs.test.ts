import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catch, Controller, Get, Inject, Injectable, Module, UseGuards, type ArgumentsHost, type ExceptionFilter, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createVerifier, staticKeys, type JwtClaims, type KeySource, type Verifier, type VerifierOptions, type VerifyFailure, type VerifySuccess } from '@certbound/core';
import { recordAcceptance, requestInputOf, scopeGuard } from '@certbound/core/adapter';
import { AUDIENCE, ISSUER, createAuthFixture, rawHttpsRequest, startHttpsServer, type AuthFixture, type ClientName, type RawResponse, type TestHttpsServer } from '../../../test/support/index.js';
import { CERTBOUND_VERIFIER, CertboundAuth, CertboundGuard, CertboundModule, Public, RequireRoles, RequireScopes } from '../src/index.js';

let fixture: AuthFixture;
let options: VerifierOptions;

beforeAll(async () => {
  fixture = await createAuthFixture();
  options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(fixture.issuer.jwks), tokenTypes: ['at+jwt'] };
});

afterAll(async () => {
  await fixture?.close();
});

/** An application's catch-all filter that rewrites every exception: it must never see or change a refusal. */
@Catch()
class RewriteEverything implements ExceptionFilter {
  catch(_exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ code?: (status: number) => { send(body: string): void }; status?: (status: number) => { send(body: string): void } }>();
    const send = response.code ?? response.status;
    send!.call(response, 418).send('{"rewritten":true}');
  }
}

/** Every route behind the global guard (APP_GUARD), with @Public() opening one. */
@Controller('global')
class GlobalController {
  @Get('me')
  me(@CertboundAuth() auth: VerifySuccess) {
    return { sub: auth.claims.sub, thumbprint: auth.thumbprint, scheme: auth.scheme };
  }

  @Get('claims')
  claims(@CertboundAuth('claims') claims: JwtClaims) {
    return { sub: claims.sub };
  }

  @Get('scoped')
  @RequireScopes('api.write')
  scoped() {
    return { scoped: true };
  }

  @Get('roles')
  @RequireRoles('Api.Admin')
  roles() {
    return { admin: true };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }

  @Get('open-but-scoped')
  @Public()
  @RequireScopes('api.write')
  openButScoped() {
    return { reached: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('handler failure');
  }
}

/** Per-controller and per-route guards, without a global one. */
@Controller('routes')
class RouteController {
  @Get('guarded')
  @UseGuards(CertboundGuard)
  guarded(@CertboundAuth('thumbprint') thumbprint: string) {
    return { thumbprint };
  }

  @Get('unguarded')
  unguarded() {
    return { unguarded: true };
  }

  @Get('scope-only')
  @RequireScopes('api.write')
  scopeOnly() {
    return { reached: true };
  }

  @Get('identity-without-guard')
  identityWithoutGuard(@CertboundAuth() auth: VerifySuccess) {
    return { sub: auth.claims.sub };
  }
}

@Controller('class')
@UseGuards(CertboundGuard)
@RequireScopes('api.read')
class ClassGuardedController {
  @Get('read')
  read() {
    return { read: true };
  }

  @Get('write')
  @RequireScopes('api.write')
  write() {
    return { write: true };
  }
}

type Platform = 'express' | 'fastify';

async function listen(module: object, platform: Platform, setup?: (app: INestApplication) => void): Promise<{ app: INestApplication; url: string }> {
  const https = { cert: fixture.pki.server.cert, key: fixture.pki.server.key, requestCert: true, rejectUnauthorized: false };
  const app =
    platform === 'express'
      ? await NestFactory.create(module as never, new ExpressAdapter(), { httpsOptions: https, logger: false })
      : await NestFactory.create(module as never, new FastifyAdapter({ https }), { logger: false });
  app.useGlobalFilters(new RewriteEverything());
  setup?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { app, url: `https://127.0.0.1:${port}` };
}

/**
 * The reference: core's answer written straight by node:http, the verifier and guard called as the adapters call
 * them. Every refusal of the Nest apps must equal it.
 */
async function startReference(verifier: Verifier): Promise<TestHttpsServer> {
  const writeScope = scopeGuard(['api.write']);
  return startHttpsServer(fixture.pki.server, (req: IncomingMessage, res: ServerResponse) => {
    void verifier.verifyRequest(requestInputOf(req)).then((result) => {
      if (result.ok) recordAcceptance(result, verifier);
      const refusal: VerifyFailure | null = result.ok ? (req.url === '/scoped' ? writeScope.check(result) : null) : result;
      if (refusal === null) {
        res.writeHead(200).end();
        return;
      }
      const headers: Record<string, string> = { 'www-authenticate': refusal.challenge, 'content-type': 'application/json; charset=utf-8' };
      if (refusal.retryAfter !== undefined) headers['retry-after'] = String(refusal.retryAfter);
      res.writeHead(refusal.status, headers).end(JSON.stringify(refusal.body));
    });
  });
}

const bound = (client: Exclude<ClientName, 'none'> = 'client-a', claims: Record<string, unknown> = {}) => fixture.issuer.mint({ thumbprint: fixture.thumbprint(client), claims });

/** What must be identical between a refusal and core's: status, challenge, Retry-After, content type and body bytes. */
function answer(response: RawResponse) {
  return {
    status: response.status,
    challenge: response.header('www-authenticate'),
    retryAfter: response.header('retry-after'),
    contentType: response.header('content-type'),
    body: response.body,
  };
}

describe('@certbound/nestjs: options and decorators are checked at startup', () => {
  it('CertboundModule.forRoot() and forRootAsync() reject what is not verifier options or a Verifier', async () => {
    expect(() => CertboundModule.forRootAsync(undefined as never)).toThrow(ConfigurationError);
    expect(() => CertboundModule.forRootAsync({} as never)).toThrow(ConfigurationError);
    @Module({ imports: [CertboundModule.forRoot({ ...options, algorithms: ['none' as 'ES256'] })] })
    class BadOptions {}
    await expect(NestFactory.createApplicationContext(BadOptions, { logger: false, abortOnError: false })).rejects.toThrow(ConfigurationError);
    @Module({ imports: [CertboundModule.forRoot(7 as never)] })
    class NotOptions {}
    await expect(NestFactory.createApplicationContext(NotOptions, { logger: false, abortOnError: false })).rejects.toThrow(ConfigurationError);
  });

  it('scope, role and identity decorators reject bad arguments when they are applied', () => {
    expect(() => RequireScopes()).toThrow(ConfigurationError);
    expect(() => RequireRoles('a b')).toThrow(ConfigurationError);
    expect(() => RequireScopes('back\\slash')).toThrow(ConfigurationError);
    expect(() => CertboundAuth('secret' as never)).toThrow(ConfigurationError);
  });
});

for (const platform of ['express', 'fastify'] as const) {
  describe(`@certbound/nestjs on @nestjs/platform-${platform}, over mTLS`, () => {
    let verifier: Verifier;
    let reference: TestHttpsServer;
    let global: { app: INestApplication; url: string };
    let routes: { app: INestApplication; url: string };

    beforeAll(async () => {
      verifier = createVerifier(options);
      reference = await startReference(verifier);
      @Module({ imports: [CertboundModule.forRoot(verifier)], controllers: [GlobalController], providers: [{ provide: APP_GUARD, useClass: CertboundGuard }] })
      class GlobalModule {}
      @Module({ imports: [CertboundModule.forRoot(verifier)], controllers: [RouteController, ClassGuardedController] })
      class RoutesModule {}
      global = await listen(GlobalModule, platform);
      routes = await listen(RoutesModule, platform);
    });

    afterAll(async () => {
      await global?.app.close();
      await routes?.app.close();
      await reference?.close();
      await verifier?.close();
    });

    const send = (base: string, path: string, client: ClientName, headers: Array<[string, string]> = []) => rawHttpsRequest(base, fixture.tls(client), { path, headers });
    const reference401 = async (client: ClientName, headers: Array<[string, string]> = [], path = '/') => answer(await send(reference.url, path, client, headers));

    it('RFC 8705 §3: a bound token passes; @CertboundAuth() gives the verified token', async () => {
      const response = await send(global.url, '/global/me', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ sub: fixture.issuer.claims(null)['sub'], thumbprint: fixture.thumbprint('client-a'), scheme: 'Bearer' });
    });

    it("@CertboundAuth('claims') selects one property", async () => {
      const response = await send(global.url, '/global/claims', 'client-b', [['Authorization', `mtls_pop ${bound('client-b')}`]]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ sub: fixture.issuer.claims(null)['sub'] });
    });

    it('SECURITY 5: the token from another certificate gets core’s 401, byte for byte, past a catch-all filter', async () => {
      const headers: Array<[string, string]> = [['Authorization', `Bearer ${bound('client-a')}`]];
      const response = answer(await send(global.url, '/global/me', 'client-b', headers));
      expect(response.status).toBe(401);
      expect(response.challenge[0]).toMatch(/^Bearer .*error="invalid_token"/);
      expect(response).toEqual(await reference401('client-b', headers));
    });

    it('RFC 6750 §3.1: no token gets 401 with a challenge and no error code, as core answers', async () => {
      const response = answer(await send(global.url, '/global/me', 'client-a'));
      expect(response.status).toBe(401);
      expect(response.challenge).toHaveLength(1);
      expect(response.challenge[0]).not.toMatch(/error=/);
      expect(response).toEqual(await reference401('client-a'));
    });

    it('SECURITY 8: duplicate Authorization headers are seen through the raw request (400)', async () => {
      const headers: Array<[string, string]> = [['Authorization', `Bearer ${bound()}`], ['authorization', `Bearer ${bound()}`]];
      const response = answer(await send(global.url, '/global/me', 'client-a', headers));
      expect(response.status).toBe(400);
      expect(response).toEqual(await reference401('client-a', headers));
    });

    it('RFC 6750 §3.1: a missing scope is core’s 403 insufficient_scope naming it', async () => {
      const headers: Array<[string, string]> = [['Authorization', `Bearer ${bound()}`]];
      const response = answer(await send(global.url, '/global/scoped', 'client-a', headers));
      expect(response.status).toBe(403);
      expect(response.challenge[0]).toMatch(/error="insufficient_scope".*scope="api.write"/);
      expect(response).toEqual(await reference401('client-a', headers, '/scoped'));
      const granted = await send(global.url, '/global/scoped', 'client-a', [['Authorization', `Bearer ${bound('client-a', { scp: 'api.read api.write' })}`]]);
      expect([granted.status, JSON.parse(granted.body)]).toEqual([200, { scoped: true }]);
    });

    it('RFC 9068 §2.2.3.1: a missing app role is a 403; the role admits', async () => {
      const refused = await send(global.url, '/global/roles', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(refused.status).toBe(403);
      expect(refused.header('www-authenticate')[0]).toMatch(/scope="Api.Admin"/);
      const admitted = await send(global.url, '/global/roles', 'client-a', [['Authorization', `Bearer ${bound('client-a', { roles: ['Api.Admin'] })}`]]);
      expect(admitted.status).toBe(200);
    });

    it('@Public() opens a route under the global guard, but never one with scope requirements', async () => {
      const open = await send(global.url, '/global/open', 'none');
      expect([open.status, JSON.parse(open.body)]).toEqual([200, { open: true }]);
      const scoped = await send(global.url, '/global/open-but-scoped', 'none');
      expect(scoped.status).toBe(401);
    });

    it('the application’s filter still handles what is not a refusal (so it is really installed)', async () => {
      const response = await send(global.url, '/global/boom', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect([response.status, response.body]).toEqual([418, '{"rewritten":true}']);
    });

    it('@UseGuards(CertboundGuard) on a route guards that route only', async () => {
      const refused = answer(await send(routes.url, '/routes/guarded', 'client-a'));
      expect(refused).toEqual(await reference401('client-a'));
      const admitted = await send(routes.url, '/routes/guarded', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect([admitted.status, JSON.parse(admitted.body)]).toEqual([200, { thumbprint: fixture.thumbprint('client-a') }]);
      const unguarded = await send(routes.url, '/routes/unguarded', 'none');
      expect(unguarded.status).toBe(200);
    });

    it('@RequireScopes() brings the guard with it: a route without @UseGuards is not left open', async () => {
      const response = await send(routes.url, '/routes/scope-only', 'none');
      expect(response.status).toBe(401);
      const admitted = await send(routes.url, '/routes/scope-only', 'client-a', [['Authorization', `Bearer ${bound('client-a', { scp: 'api.write' })}`]]);
      expect(admitted.status).toBe(200);
    });

    it('a controller-level guard and scope apply to every route; a route scope adds to them', async () => {
      const token = `Bearer ${bound('client-a', { scp: 'api.read' })}`;
      expect((await send(routes.url, '/class/read', 'client-a', [['Authorization', token]])).status).toBe(200);
      const write = await send(routes.url, '/class/write', 'client-a', [['Authorization', token]]);
      expect(write.status).toBe(403);
      expect(write.header('www-authenticate')[0]).toMatch(/scope="api.write"/);
      const both = `Bearer ${bound('client-a', { scp: 'api.read api.write' })}`;
      expect((await send(routes.url, '/class/write', 'client-a', [['Authorization', both]])).status).toBe(200);
    });

    it('@CertboundAuth() on a route no guard verified is a wiring error (the filter’s 418 here), never an anonymous identity', async () => {
      const response = await send(routes.url, '/routes/identity-without-guard', 'client-a', [['Authorization', `Bearer ${bound()}`]]);
      expect(response.status).toBe(418);
    });

    it('keep-alive: the connection of a refused request serves the next one', async () => {
      // The refusal ended its response; the request that never settles holds nothing the next request needs.
      const first = await send(global.url, '/global/me', 'client-a');
      const second = await send(global.url, '/global/open', 'client-a');
      expect([first.status, second.status]).toEqual([401, 200]);
    });
  });
}

/** A config-service-like provider: where an application would read its settings. */
@Injectable()
class SettingsService {
  constructor(@Inject('SETTINGS') private readonly settings: { audience: string }) {}
  verifierOptions(base: VerifierOptions): VerifierOptions {
    return { ...base, audience: this.settings.audience };
  }
}

@Module({ providers: [{ provide: 'SETTINGS', useValue: { audience: AUDIENCE } }, SettingsService], exports: [SettingsService] })
class SettingsModule {}

/** A key source whose stores count their close() calls: how the test sees the module release its verifier. */
function countingKeys(base: KeySource): { keys: KeySource; closed: () => number } {
  let closed = 0;
  const keys: KeySource = {
    kind: base.kind,
    open(context) {
      const store = base.open(context);
      return {
        resolve: (alg, kid, now) => store.resolve(alg, kid, now),
        isCurrent: (key, now) => store.isCurrent(key, now),
        state: () => store.state(),
        close() {
          closed += 1;
          store.close();
        },
      };
    },
  };
  return { keys, closed: () => closed };
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`@certbound/nestjs: forRootAsync and shutdown on @nestjs/platform-${platform}`, () => {
    it('forRootAsync takes its options from an injected config service; app.close() closes the verifier it created', async () => {
      const counting = countingKeys(staticKeys(fixture.issuer.jwks));
      @Module({
        imports: [
          CertboundModule.forRootAsync({
            imports: [SettingsModule],
            inject: [SettingsService],
            useFactory: async (settings: SettingsService) => settings.verifierOptions({ ...options, keys: counting.keys }),
          }),
        ],
        controllers: [GlobalController],
        providers: [{ provide: APP_GUARD, useClass: CertboundGuard }],
      })
      class AsyncModule {}
      const { app, url } = await listen(AsyncModule, platform);
      try {
        const verifier = app.get<Verifier>(CERTBOUND_VERIFIER);
        expect(verifier.options.audience).toEqual([AUDIENCE]);
        const response = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/global/me', headers: [['Authorization', `Bearer ${bound()}`]] });
        expect(response.status).toBe(200);
        expect(counting.closed()).toBe(0);
      } finally {
        await app.close();
      }
      expect(counting.closed()).toBe(1);
    });

    it('app.useGlobalGuards(app.get(CertboundGuard)) guards every route like APP_GUARD', async () => {
      @Module({ imports: [CertboundModule.forRoot(options)], controllers: [RouteController] })
      class PlainModule {}
      const { app, url } = await listen(PlainModule, platform, (nest) => nest.useGlobalGuards(nest.get(CertboundGuard)));
      try {
        const refused = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/routes/unguarded' });
        expect([refused.status, refused.header('www-authenticate')]).toEqual([401, ['Bearer, mtls_pop']]);
        const admitted = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/routes/unguarded', headers: [['Authorization', `Bearer ${bound()}`]] });
        expect(admitted.status).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('a Verifier passed in stays open after app.close(): its owner closes it', async () => {
      const counting = countingKeys(staticKeys(fixture.issuer.jwks));
      const verifier = createVerifier({ ...options, keys: counting.keys });
      @Module({ imports: [CertboundModule.forRootAsync({ useFactory: () => verifier })], controllers: [GlobalController], providers: [{ provide: APP_GUARD, useClass: CertboundGuard }] })
      class SharedModule {}
      const { app, url } = await listen(SharedModule, platform);
      const response = await rawHttpsRequest(url, fixture.tls('client-a'), { path: '/global/me', headers: [['Authorization', `Bearer ${bound()}`]] });
      expect(response.status).toBe(200);
      await app.close();
      expect(counting.closed()).toBe(0);
      await verifier.close();
      expect(counting.closed()).toBe(1);
    });
  });
}
