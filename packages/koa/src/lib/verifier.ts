import type { IncomingMessage } from 'node:http';
import { requestInputOf, type RequestInput, type Verifier, type VerifySuccess } from '@certbound/core';

export function requestInput(req: IncomingMessage): RequestInput {
  return requestInputOf(req);
}

// Which verifier accepted a result, so guards can ask the same verifier to format their refusals.
const acceptedBy = new WeakMap<VerifySuccess, Verifier>();

export function remember(success: VerifySuccess, verifier: Verifier): void {
  acceptedBy.set(success, verifier);
}

export function verifierOf(success: VerifySuccess): Verifier | undefined {
  return acceptedBy.get(success);
}
