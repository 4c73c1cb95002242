import type { Middleware } from 'koa';
import { resourceMetadata, type ResourceMetadataOptions } from '@certbound/core';
import { metadataResponse } from '@certbound/core/adapter';

/**
 * Serve the resource's RFC 9728 metadata at `/.well-known/oauth-protected-resource` (and the §3.1 path-suffixed
 * form): `app.use(protectedResourceMetadata({ resource, authorizationServers }))`. Other requests pass on.
 * Options are checked here (a ConfigurationError at startup).
 */
export function protectedResourceMetadata(options: ResourceMetadataOptions): Middleware {
  const metadata = resourceMetadata(options);
  return async function certboundResourceMetadata(ctx, next) {
    const answer = metadataResponse(metadata, ctx.method, ctx.path);
    if (answer === null) return next();
    ctx.status = answer.status;
    ctx.set(answer.headers);
    ctx.body = answer.status === 200 ? answer.body : null;
    if (answer.status === 200) ctx.type = 'application/json';
  };
}
