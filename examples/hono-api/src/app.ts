import { Hono } from 'hono';
import type { CertboundConfig, Verifier } from '@certbound/core';
import { certbound, protectedResourceMetadata, requireRoles, requireScopes, type CertboundEnv } from '@certbound/hono';
import { readiness } from '@certbound-examples/shared/health';
import { identityOf } from '@certbound-examples/shared/identity';

/**
 * The protected API as a Hono application: `GET /healthz` (liveness) and `GET /readyz` (keys loaded) are open,
 * `/whoami` passes certbound and the configured scope and role guards (for every method, so no method slips past authentication), then answers GET.
 */
export function createApp(config: Pick<CertboundConfig, 'requiredScopes' | 'requiredRoles' | 'resourceMetadata'>, verifier: Verifier): Hono<CertboundEnv> {
  const app = new Hono<CertboundEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (config.resourceMetadata !== undefined) app.use(protectedResourceMetadata(config.resourceMetadata));
  app.get('/readyz', (c) => {
    const { status, body } = readiness(verifier);
    return c.json(body, status);
  });
  app.use('/whoami', certbound(verifier));
  if (config.requiredScopes.length > 0) app.use('/whoami', requireScopes(...config.requiredScopes));
  if (config.requiredRoles.length > 0) app.use('/whoami', requireRoles(...config.requiredRoles));
  // Hono answers HEAD with the GET route, without the body.
  app.get('/whoami', (c) => c.json(identityOf(c.get('certbound'))));
  app.all('/whoami', (c) => c.body(null, 405, { Allow: 'GET, HEAD' }));
  return app;
}
