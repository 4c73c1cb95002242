import type { IncomingMessage } from 'node:http';
import type { Verifier, VerifyFailure, VerifyResult } from '@certbound/core';
import { verifyRequestNow } from '@certbound/core/adapter';

// The two Nest platforms, seen only through the members used here: this package imports neither Express nor Fastify.

/** What `switchToHttp().getRequest()` gives on @nestjs/platform-fastify: Fastify's request around the Node one. */
interface FastifyRequestLike {
  readonly raw: IncomingMessage;
}

/** What `switchToHttp().getRequest()` gives on @nestjs/platform-express: the Node request with Express's additions. */
interface ExpressRequestLike extends IncomingMessage {
  readonly originalUrl?: string;
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload: string): unknown;
}

interface ExpressResponseLike {
  status(status: number): ExpressResponseLike;
  set(name: string, value: string): ExpressResponseLike;
  send(body: string): unknown;
}

function isFastifyRequest(request: object): request is FastifyRequestLike {
  return 'raw' in request && typeof request.raw === 'object' && request.raw !== null;
}

function isFastifyReply(response: object): response is FastifyReplyLike {
  return 'raw' in response && typeof (response as Partial<FastifyReplyLike>).code === 'function';
}

/**
 * Verify the Node request behind the platform's request, with the URL the verifier should see (nothing allocated
 * on the way). Express routers rewrite `req.url` below a mount point; `originalUrl` keeps the query string.
 * Fastify leaves the raw URL alone.
 */
export function verifyPlatformRequest(verifier: Verifier, request: object): VerifyResult | Promise<VerifyResult> {
  if (isFastifyRequest(request)) return verifyRequestNow(verifier, request.raw);
  const express = request as ExpressRequestLike;
  return verifyRequestNow(verifier, express, express.originalUrl ?? express.url);
}

/**
 * Send core's refusal through the platform's own response, as @certbound/express and @certbound/fastify do: the
 * status, `WWW-Authenticate`, `Retry-After` and body all come from the verifier. The body is serialised here, not by
 * the platform, so an application's JSON settings (Express `json spaces`, a Fastify reply serializer) cannot change
 * a byte of it. @see RFC 6750 §3
 */
export function sendRefusal(response: object, failure: VerifyFailure): void {
  const body = JSON.stringify(failure.body);
  if (isFastifyReply(response)) {
    // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
    if (failure.retryAfter !== undefined) response.header('retry-after', String(failure.retryAfter));
    response.code(failure.status).header('www-authenticate', failure.challenge).header('content-type', 'application/json; charset=utf-8').send(body);
    return;
  }
  const express = response as ExpressResponseLike;
  if (failure.retryAfter !== undefined) express.set('Retry-After', String(failure.retryAfter));
  express.status(failure.status).set('WWW-Authenticate', failure.challenge).set('Content-Type', 'application/json; charset=utf-8').send(body);
}
