import type { FastifyReply } from 'fastify';
import type { VerifyFailure } from '@certbound/core';

/**
 * Send core's refusal as it is: status, challenge and body all come from the verifier, so every adapter answers a
 * given request byte-for-byte alike. Returns the reply, which an async hook (the guards) must return once it has sent one.
 * @see RFC 6750 §3
 */
export function refuse(reply: FastifyReply, failure: VerifyFailure): FastifyReply {
  // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  return reply.code(failure.status).header('www-authenticate', failure.challenge).send(failure.body);
}
