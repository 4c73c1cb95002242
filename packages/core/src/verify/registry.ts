import type { ErrorCode, Verifier, VerifySuccess } from '../types.js';

/** What the authorization helpers (`requireScopes`, `requireRoles`) need from the verifier that produced a success. */
export interface VerifierInternals {
  /** Emit a `rejected` event for an authorization decision taken after verification. */
  rejectAuthorization(success: VerifySuccess, code: ErrorCode): void;
}

// Keyed by the verifier object itself, so the public Verifier interface stays free of internal members.
const registry = new WeakMap<Verifier, VerifierInternals>();

export function registerVerifier(verifier: Verifier, internals: VerifierInternals): void {
  registry.set(verifier, internals);
}

export function internalsOf(verifier: Verifier): VerifierInternals | undefined {
  return registry.get(verifier);
}
