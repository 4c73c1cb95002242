import type { VerifyFailure } from '@certbound/core';

/**
 * Send core's refusal as it is: status, challenge and body all come from the verifier, so every adapter answers a
 * given request byte-for-byte alike. @see RFC 6750 §3
 */
export function refuse(ctx: { status: number; body: unknown; set(field: string, value: string): void }, failure: VerifyFailure): void {
  ctx.status = failure.status;
  ctx.set('WWW-Authenticate', failure.challenge);
  ctx.body = failure.body;
}
