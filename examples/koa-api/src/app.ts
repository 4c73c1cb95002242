import Koa from 'koa';
import type { Middleware } from 'koa';
import type { CertboundConfig, Verifier } from '@certbound/core';
import { certbound, protectedResourceMetadata, requireRoles, requireScopes, type CertboundState } from '@certbound/koa';
import { readiness } from '@certbound-examples/shared/health';
import { identityOf } from '@certbound-examples/shared/identity';

/** Run `middleware` only for requests to `path`; other requests go straight on. */
function at(path: string, middleware: Middleware<CertboundState>): Middleware<CertboundState> {
  return function onPath(ctx, next) {
    return ctx.path === path ? middleware(ctx, next) : next();
  };
}

/**
 * The protected API as a Koa application: `GET /healthz` (liveness) and `GET /readyz` (keys loaded) are open, `/whoami` passes certbound and the configured
 * scope and role guards (for every method, so no method slips past authentication), then answers GET.
 */
export function createApp(config: Pick<CertboundConfig, 'requiredScopes' | 'requiredRoles' | 'resourceMetadata'>, verifier: Verifier): Koa<CertboundState> {
  const app = new Koa<CertboundState>();
  app.use(async function healthz(ctx, next) {
    if (ctx.path !== '/healthz') return next();
    ctx.body = { status: 'ok' };
  });
  if (config.resourceMetadata !== undefined) app.use(protectedResourceMetadata(config.resourceMetadata));
  app.use(async function readyz(ctx, next) {
    if (ctx.path !== '/readyz') return next();
    const { status, body } = readiness(verifier);
    ctx.status = status;
    ctx.body = body;
  });
  app.use(at('/whoami', certbound(verifier)));
  if (config.requiredScopes.length > 0) app.use(at('/whoami', requireScopes(...config.requiredScopes)));
  if (config.requiredRoles.length > 0) app.use(at('/whoami', requireRoles(...config.requiredRoles)));
  app.use(
    at('/whoami', async function whoami(ctx) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        ctx.set('Allow', 'GET, HEAD');
        ctx.status = 405;
        return;
      }
      ctx.body = identityOf(ctx.state.auth);
    }),
  );
  return app;
}
