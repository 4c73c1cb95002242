import type { FastifyInstance } from 'fastify';
import { resourceMetadata, type ResourceMetadataOptions } from '@certbound/core';
import { metadataResponse } from '@certbound/core/adapter';

/**
 * Serve the resource's RFC 9728 metadata at `/.well-known/oauth-protected-resource` (and the §3.1 path-suffixed
 * form) as GET routes (Fastify answers HEAD for them): `protectedResourceMetadata(fastify, { resource,
 * authorizationServers })`. Options are checked here (a ConfigurationError at startup).
 */
export function protectedResourceMetadata(fastify: FastifyInstance, options: ResourceMetadataOptions): void {
  const metadata = resourceMetadata(options);
  for (const path of metadata.paths) {
    fastify.get(path, (_request, reply) => {
      const answer = metadataResponse(metadata, 'GET', path)!;
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  }
}
