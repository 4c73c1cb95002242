import type { VerifyFailure } from '@certbound/core';

/**
 * Send core's refusal as it is: status, challenge and body all come from the verifier, so every adapter answers a
 * given request byte-for-byte alike. @see RFC 6750 §3
 */
export function refuse(ctx: { status: number; body: unknown; set(field: string, value: string): void }, failure: VerifyFailure): void {
  ctx.status = failure.status;
  ctx.set('WWW-Authenticate', failure.challenge);
  // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
  if (failure.retryAfter !== undefined) ctx.set('Retry-After', String(failure.retryAfter));
  ctx.body = failure.body;
}
