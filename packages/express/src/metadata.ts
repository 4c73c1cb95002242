import type { RequestHandler } from 'express';
import { resourceMetadata, type ResourceMetadataOptions } from '@certbound/core';
import { metadataResponse } from '@certbound/core/adapter';

/**
 * Serve the resource's RFC 9728 metadata at `/.well-known/oauth-protected-resource` (and the §3.1 path-suffixed
 * form): `app.use(protectedResourceMetadata({ resource, authorizationServers }))`. Other requests pass on.
 * Options are checked here (a ConfigurationError at startup).
 */
export function protectedResourceMetadata(options: ResourceMetadataOptions): RequestHandler {
  const metadata = resourceMetadata(options);
  return function certboundResourceMetadata(req, res, next) {
    const answer = metadataResponse(metadata, req.method, req.path);
    if (answer === null) return next();
    res.status(answer.status).set(answer.headers).end(answer.status === 200 ? answer.body : undefined);
  };
}
