import type { IncomingMessage } from 'node:http';
import { type RequestInput, type Verifier, type VerifySuccess } from '@certbound/core';
import { requestInputOf } from '@certbound/core/adapter';

export function requestInput(req: IncomingMessage & { originalUrl?: string }): RequestInput {
  // Routers rewrite req.url below their mount point; the query string is what matters, and originalUrl keeps it.
  return requestInputOf(req, req.originalUrl ?? req.url);
}

// Which verifier accepted a result, so guards can ask the same verifier to format their refusals.
const acceptedBy = new WeakMap<VerifySuccess, Verifier>();

export function remember(success: VerifySuccess, verifier: Verifier): void {
  acceptedBy.set(success, verifier);
}

export function verifierOf(success: VerifySuccess): Verifier | undefined {
  return acceptedBy.get(success);
}
