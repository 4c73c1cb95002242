import type { Verifier, VerifierOptions } from '../types.js';
import { ConfigurationError } from '../errors.js';
import { createVerifier } from './verifier.js';

/** What {@link resolveVerifier} hands back to a framework adapter. */
export interface ResolvedVerifier {
  /** The verifier to call on every request. */
  readonly verifier: Verifier;
  /**
   * True when the verifier was created here from options, so the adapter owns it and closes it on shutdown;
   * false when the caller passed a Verifier it keeps owning.
   */
  readonly owned: boolean;
}

// Duck-typed on purpose: a Verifier built by another copy of this package (a second install) still counts.
function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && typeof (value as Verifier).verifyRequest === 'function';
}

/**
 * A ready verifier from an adapter factory's argument: either verifier options or a Verifier from `createVerifier()`.
 * Options are validated by `createVerifier` now, at startup, so a misconfiguration throws a ConfigurationError here and never
 * on the first request. `field` names the argument in that error (e.g. `certbound()`).
 */
export function resolveVerifier(optionsOrVerifier: VerifierOptions | Verifier, field: string): ResolvedVerifier {
  if (typeof optionsOrVerifier !== 'object' || optionsOrVerifier === null || Array.isArray(optionsOrVerifier)) {
    throw new ConfigurationError(field, `${field} expects verifier options or a Verifier from createVerifier()`);
  }
  if (isVerifier(optionsOrVerifier)) return { verifier: optionsOrVerifier, owned: false };
  return { verifier: createVerifier(optionsOrVerifier), owned: true };
}
