import express, { type Express, type Request, type Response } from 'express';
import type { CertboundConfig, Verifier } from '@certbound/core';
import { certbound, protectedResourceMetadata, requireRoles, requireScopes } from '@certbound/express';
import { readiness } from '@certbound-examples/shared/health';
import { identityOf } from '@certbound-examples/shared/identity';

/**
 * The protected API as an Express application: `GET /healthz` (liveness) and `GET /readyz` (keys loaded) are open,
 * `/whoami` passes certbound and the configured scope and role guards (for every method, so no method slips past authentication), then answers GET.
 */
export function createApp(config: Pick<CertboundConfig, 'requiredScopes' | 'requiredRoles' | 'resourceMetadata'>, verifier: Verifier): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  if (config.resourceMetadata !== undefined) app.use(protectedResourceMetadata(config.resourceMetadata));
  app.get('/readyz', (_req: Request, res: Response) => {
    const { status, body } = readiness(verifier);
    res.status(status).json(body);
  });
  const guards = [
    ...(config.requiredScopes.length > 0 ? [requireScopes(...config.requiredScopes)] : []),
    ...(config.requiredRoles.length > 0 ? [requireRoles(...config.requiredRoles)] : []),
  ];
  app.all('/whoami', certbound(verifier), ...guards);
  app.get('/whoami', (req: Request, res: Response) => {
    // certbound() ran for this route, so req.auth is set; the check keeps the types honest.
    if (req.auth === undefined) throw new Error('unreachable: /whoami without req.auth');
    res.json(identityOf(req.auth));
  });
  app.all('/whoami', (_req: Request, res: Response) => {
    res.set('Allow', 'GET, HEAD').sendStatus(405);
  });
  return app;
}
