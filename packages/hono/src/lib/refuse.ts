import type { Context } from 'hono';
import type { VerifyFailure } from '@certbound/core';

/**
 * Core's refusal as a response: status, challenge and body all come from the verifier, serialised and labelled as
 * the other adapters send them, so every adapter answers a given request byte-for-byte alike. @see RFC 6750 §3
 */
export function refuse(c: Context, failure: VerifyFailure): Response {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'WWW-Authenticate': failure.challenge,
  };
  // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
  if (failure.retryAfter !== undefined) headers['Retry-After'] = String(failure.retryAfter);
  return c.body(JSON.stringify(failure.body), failure.status, headers);
}
