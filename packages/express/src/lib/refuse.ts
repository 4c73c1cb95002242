import type { Response } from 'express';
import type { VerifyFailure } from '@certbound/core';

/**
 * Send core's refusal as it is: status, challenge and body all come from the verifier, so every adapter answers a
 * given request byte-for-byte alike. @see RFC 6750 §3
 */
export function refuse(res: Response, failure: VerifyFailure): void {
  // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
  if (failure.retryAfter !== undefined) res.set('Retry-After', String(failure.retryAfter));
  res.status(failure.status).set('WWW-Authenticate', failure.challenge).json(failure.body);
}
