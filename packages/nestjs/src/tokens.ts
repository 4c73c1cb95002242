/**
 * Injection token of the Verifier the module uses: `constructor(@Inject(CERTBOUND_VERIFIER) verifier: Verifier)`,
 * e.g. for a readiness probe (`verifier.state().ready`) or `verifier.verifyToken` outside HTTP.
 */
export const CERTBOUND_VERIFIER: unique symbol = Symbol('@certbound/nestjs verifier');

/** The resolved verifier and whether the module owns it (created it from options, so closes it). */
export const CERTBOUND_RESOLVED: unique symbol = Symbol('@certbound/nestjs resolved verifier');
