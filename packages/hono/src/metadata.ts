import type { MiddlewareHandler } from 'hono';
import { resourceMetadata, type ResourceMetadataOptions } from '@certbound/core';
import { metadataResponse } from '@certbound/core/adapter';

/**
 * Serve the resource's RFC 9728 metadata at `/.well-known/oauth-protected-resource` (and the §3.1 path-suffixed
 * form): `app.use(protectedResourceMetadata({ resource, authorizationServers }))`. Other requests pass on.
 * Options are checked here (a ConfigurationError at startup).
 */
export function protectedResourceMetadata(options: ResourceMetadataOptions): MiddlewareHandler {
  const metadata = resourceMetadata(options);
  return async function certboundResourceMetadata(c, next) {
    const answer = metadataResponse(metadata, c.req.method, c.req.path);
    if (answer === null) return next();
    return answer.status === 200 ? c.body(answer.body, 200, answer.headers) : c.body(null, 405, answer.headers);
  };
}
