/**
 * A refused request leaves its guard step pending for ever (so no exception filter runs): that pending step must
 * hold nothing once the response is written. Each refused request's object is watched by a FinalizationRegistry;
 * after the requests, forced garbage collections must reclaim them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticKeys } from '@certbound/core';
import { AUDIENCE, ISSUER, createAuthFixture, rawHttpsRequest, type AuthFixture } from '../../../test/support/index.js';
import { CertboundGuard, CertboundModule } from '../src/index.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const REQUESTS = 20;

let fixture: AuthFixture;

beforeAll(async () => {
  fixture = await createAuthFixture();
});

afterAll(async () => {
  await fixture?.close();
});

@Controller()
class ProtectedController {
  @Get('protected')
  protected() {
    return { reached: true };
  }
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`@certbound/nestjs on @nestjs/platform-${platform}: refused requests are not retained`, () => {
    it(`${REQUESTS} refused requests are all reclaimed once answered`, async () => {
      @Module({
        imports: [CertboundModule.forRoot({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(fixture.issuer.jwks) })],
        controllers: [ProtectedController],
        providers: [{ provide: APP_GUARD, useClass: CertboundGuard }],
      })
      class AppModule {}
      const https = { cert: fixture.pki.server.cert, key: fixture.pki.server.key, requestCert: true, rejectUnauthorized: false };
      const app: INestApplication =
        platform === 'express'
          ? await NestFactory.create(AppModule, new ExpressAdapter(), { httpsOptions: https, logger: false })
          : await NestFactory.create(AppModule, new FastifyAdapter({ https }), { logger: false });
      let reclaimed = 0;
      const registry = new FinalizationRegistry(() => {
        reclaimed += 1;
      });
      // Middleware runs before guards on both platforms: it sees every request object, refused or not.
      app.use((request: object, _response: unknown, next: () => void) => {
        registry.register(request, null);
        next();
      });
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const response = await rawHttpsRequest(`https://127.0.0.1:${port}`, fixture.tls('client-a'), { path: '/protected' });
          expect(response.status).toBe(401);
        }
        // Finalizers run after a collection, on a later turn: a bounded number of collect-and-yield rounds.
        for (let round = 0; round < 20 && reclaimed < REQUESTS; round++) {
          collectGarbage();
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(reclaimed).toBe(REQUESTS);
      } finally {
        await app.close();
      }
    });
  });
}
