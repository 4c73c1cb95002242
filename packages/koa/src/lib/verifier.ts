import type { IncomingMessage } from 'node:http';
import { type RequestInput, type Verifier, type VerifySuccess } from '@certbound/core';
import { requestInputOf } from '@certbound/core/adapter';

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
