import type { ErrorCode, Verifier, VerifySuccess } from '../types.js';

/** What the guards need from the verifier that produced a success. */
export interface VerifierInternals {
  /** Emit a `rejected` event for an authorization decision taken after verification. */
  rejectAuthorization(success: VerifySuccess, code: ErrorCode): void;
}

// Keyed by the verifier object itself, so the public Verifier interface stays free of internal members.
const internals = new WeakMap<Verifier, VerifierInternals>();
// Which verifier accepted a success, so a guard (a separate middleware) formats its refusal like that verifier.
const acceptedBy = new WeakMap<VerifySuccess, Verifier>();

export function registerVerifier(verifier: Verifier, verifierInternals: VerifierInternals): void {
  internals.set(verifier, verifierInternals);
}

export function internalsOf(verifier: Verifier): VerifierInternals | undefined {
  return internals.get(verifier);
}

/**
 * Record that `verifier` accepted `success`, for the guards that run later on the same request. Adapters call it
 * once per accepted request, after `verifyRequest`; the entry goes when the success object does.
 */
export function recordAcceptance(success: VerifySuccess, verifier: Verifier): void {
  acceptedBy.set(success, verifier);
}

/** The verifier that accepted `success`, if an adapter recorded it. */
export function verifierOf(success: VerifySuccess): Verifier | undefined {
  return acceptedBy.get(success);
}
