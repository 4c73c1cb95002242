/**
 * NestJS hello world over mTLS, bare or behind CertboundGuard, on either Nest platform. The benchmarks run under tsx
 * with the root tsconfig (no decorator settings), so Nest's decorators are applied as calls.
 */
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import type { RunningServer } from './frameworks.js';
import { mtlsOptions } from './frameworks.js';
import { HELLO_BODY, HELLO_PATH, type NestPlatform, type TlsMaterial } from './spec.js';
import type { VerifierOptions } from '@certbound/core';

class HelloController {
  hello(): string {
    return HELLO_BODY;
  }
}
Controller()(HelloController);
Get(HELLO_PATH)(HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello')!);

async function createNestApp(module: object, platform: NestPlatform, tls: TlsMaterial): Promise<INestApplication> {
  const https = mtlsOptions(tls);
  if (platform === 'express') {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    // The same four settings as mtlsOptions(); Nest's HttpsOptions type spells its optional fields differently.
    const httpsOptions = { cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false };
    return NestFactory.create(module as never, new ExpressAdapter(), { httpsOptions, logger: false });
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return NestFactory.create(module as never, new FastifyAdapter({ https }), { logger: false });
}

/**
 * The Nest hello world; with `verifier`, `CertboundModule.forRoot(verifier)` and CertboundGuard as APP_GUARD in front
 * of the same route, as @certbound/nestjs's README shows. The route and its body are the same either way.
 */
export async function startNest(platform: NestPlatform, tls: TlsMaterial, verifier?: VerifierOptions): Promise<RunningServer> {
  class HelloModule {}
  if (verifier === undefined) {
    Module({ controllers: [HelloController] })(HelloModule);
  } else {
    const { CertboundGuard, CertboundModule } = await import('@certbound/nestjs');
    Module({ imports: [CertboundModule.forRoot(verifier)], controllers: [HelloController], providers: [{ provide: APP_GUARD, useClass: CertboundGuard }] })(HelloModule);
  }
  const app = await createNestApp(HelloModule, platform, tls);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { ready: { url: `https://127.0.0.1:${port}`, port }, close: () => app.close() };
}
