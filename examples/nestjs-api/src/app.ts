import { All, Controller, Get, Inject, Module, Res, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { Request, RequestHandler, Response } from 'express';
import { resourceMetadata, type CertboundConfig, type Verifier, type VerifySuccess } from '@certbound/core';
import { metadataResponse } from '@certbound/core/adapter';
import { CERTBOUND_VERIFIER, CertboundAuth, CertboundGuard, CertboundModule, RequireRoles, RequireScopes } from '@certbound/nestjs';
import { readiness } from '@certbound-examples/shared/health';
import { identityOf } from '@certbound-examples/shared/identity';

type AppConfig = Pick<CertboundConfig, 'requiredScopes' | 'requiredRoles' | 'resourceMetadata'>;

@Controller()
class HealthController {
  constructor(@Inject(CERTBOUND_VERIFIER) private readonly verifier: Verifier) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  readyz(@Res({ passthrough: true }) res: Response) {
    const { status, body } = readiness(this.verifier);
    res.status(status);
    return body;
  }
}

/** `/whoami` for every method: CertboundGuard first, then the configured scope and role requirements. */
function whoamiController(config: AppConfig): new () => unknown {
  @Controller('whoami')
  @UseGuards(CertboundGuard)
  class WhoamiController {
    @Get()
    whoami(@CertboundAuth() auth: VerifySuccess) {
      return identityOf(auth);
    }

    // Other methods were authenticated (and authorized) by the guard like GET, then get 405.
    @All()
    otherMethods(@Res() res: Response) {
      res.set('Allow', 'GET, HEAD').sendStatus(405);
    }
  }
  // The requirements come from the configuration file, so they are applied here rather than written above the class.
  if (config.requiredScopes.length > 0) RequireScopes(...config.requiredScopes)(WhoamiController);
  if (config.requiredRoles.length > 0) RequireRoles(...config.requiredRoles)(WhoamiController);
  return WhoamiController;
}

/** RFC 9728 metadata at the well-known path (and its §3.1 path-suffixed form), answered before Nest's routes. */
function metadataMiddleware(options: NonNullable<AppConfig['resourceMetadata']>): RequestHandler {
  const metadata = resourceMetadata(options);
  return (req: Request, res: Response, next) => {
    const answer = metadataResponse(metadata, req.method, req.path);
    if (answer === null) return next();
    res.status(answer.status).set(answer.headers).end(answer.status === 200 ? answer.body : undefined);
  };
}

/**
 * The protected API as a NestJS application on the Express platform: `GET /healthz` (liveness) and `GET /readyz`
 * (keys loaded) are open; `/whoami` passes CertboundGuard and the configured scope and role requirements for every
 * method, then answers GET. Initialised but not listening: the shared listener serves its Express instance.
 */
export async function createApp(config: AppConfig, verifier: Verifier): Promise<INestApplication> {
  @Module({ imports: [CertboundModule.forRoot(verifier)], controllers: [HealthController, whoamiController(config)] })
  class AppModule {}

  const app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(), { logger: ['error', 'warn'] });
  app.disable('x-powered-by');
  if (config.resourceMetadata !== undefined) app.use(metadataMiddleware(config.resourceMetadata));
  return app.init();
}
