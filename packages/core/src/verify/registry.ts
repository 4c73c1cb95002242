import type { ErrorCode, RequestInput, Verifier, VerifyResult, VerifySuccess } from '../types.js';

/** What adapters and guards need from a verifier beyond its public interface. */
export interface VerifierInternals {
  /** verifyRequest without the promise when the answer is known now (a repeated token): see verifyRequestNow. */
  verifyNow(input: RequestInput, url: string | undefined): VerifyResult | Promise<VerifyResult>;
  /** Emit a `rejected` event for an authorization decision taken after verification. */
  rejectAuthorization(success: VerifySuccess, code: ErrorCode): void;
}

// A symbol-keyed, non-enumerable property of the verifier object: the public Verifier interface stays free of
// internal members, and reading it on every request is a property load, not a WeakMap lookup.
const INTERNALS = Symbol('certbound verifier internals');
// Which verifier accepted a success, so a guard (a separate middleware) formats its refusal like that verifier.
const acceptedBy = new WeakMap<VerifySuccess, Verifier>();

export function registerVerifier(verifier: Verifier, verifierInternals: VerifierInternals): void {
  Object.defineProperty(verifier, INTERNALS, { value: verifierInternals });
}

export function internalsOf(verifier: Verifier): VerifierInternals | undefined {
  return (verifier as unknown as Record<symbol, VerifierInternals | undefined>)[INTERNALS];
}

/**
 * Record that `verifier` accepted `success`, for the guards that run later on the same request. Successes a verifier
 * returns are linked already; this is for a copy of one (e.g. one rebuilt from another process's answer).
 */
export function recordAcceptance(success: VerifySuccess, verifier: Verifier): void {
  acceptedBy.set(success, verifier);
}

// Set on the prototype of each verifier's own success class: no per-request bookkeeping.
const ACCEPTED_BY = Symbol('certbound accepted by');

/** Make every object with this prototype a success accepted by `verifier`. */
export function linkSuccesses(prototype: object, verifier: Verifier): void {
  Object.defineProperty(prototype, ACCEPTED_BY, { value: verifier });
}

/** The verifier that accepted `success`: the verifier that created it, or the one an adapter recorded. */
export function verifierOf(success: VerifySuccess): Verifier | undefined {
  return ((success as unknown as Record<symbol, Verifier | undefined>)[ACCEPTED_BY]) ?? acceptedBy.get(success);
}
