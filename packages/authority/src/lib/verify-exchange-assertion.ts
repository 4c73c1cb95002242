import { jwtVerify, type JWTPayload } from 'jose';
import { constantTimeEqual } from './certificate-thumbprints.js';
import type { PresentedCertificate } from './client-certificate.js';
import type { UnverifiedJwt } from './compact-jwt.js';
import { TOKEN_EXCHANGE_AUDIENCE } from './constants.js';
import { refusalForJoseError } from './jose-errors.js';
import type { KeyRing } from './key-ring.js';
import { OAuthError } from './oauth-error.js';
import type { Registry, RegisteredApp } from './registry.js';

export interface ExchangeAssertionInput {
  readonly assertion: string;
  readonly unverified: UnverifiedJwt;
  /** The app asking for a token with this assertion (the Leg-2 app). */
  readonly app: RegisteredApp;
  readonly registry: Registry;
  readonly keyRing: KeyRing;
  /** `https://HOST/{tenant}/v2.0` for a tenant id. */
  readonly issuerFor: (tenantId: string) => string;
  readonly presented: PresentedCertificate | null;
  /** `jwt-pop`: the assertion must be bound to the presented certificate. `jwt-bearer`: unbound, or bound and presented. */
  readonly assertionType: 'jwt-pop' | 'jwt-bearer';
  readonly nowMs: number;
}

export interface VerifiedExchangeAssertion {
  readonly claims: JWTPayload;
  /** The `x5t#S256` the assertion is bound to (equal to the presented certificate's), or null if unbound. */
  readonly boundThumbprint: string | null;
  /** The assertion's `exp`, in ms: the token issued for it may not outlive it. */
  readonly expiresAt: number;
}

/** `cnf["x5t#S256"]` of verified claims: undefined when there is no `cnf`, null when `cnf` is present but unusable. */
function confirmationThumbprint(claims: JWTPayload): string | null | undefined {
  const cnf = claims['cnf'];
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return null;
  const value = (cnf as Record<string, unknown>)['x5t#S256'];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * Verify an exchange token (a Leg-1 token of this authority) presented as a client assertion — FIC two-leg flow,
 * Leg 2 — and match it to a federated credential of the requesting app.
 *
 * docs/security.md rule 12: signed by a live key of this authority (the current one, or a retired one whose tokens
 * have not all expired), issued by this authority for one of its tenants, audience `api://AzureADTokenExchange`,
 * unexpired (no leeway: it is our own clock), and — for `jwt-pop` — bound to the very certificate on this TLS
 * connection. The presented certificate's validity period is checked before this, on every flow.
 */
export async function verifyExchangeAssertion(input: ExchangeAssertionInput): Promise<VerifiedExchangeAssertion> {
  const { header } = input.unverified;
  const kid = header['kid'];
  if (typeof kid !== 'string') throw new OAuthError('assertionSignature');
  const key = input.keyRing.find(kid, input.nowMs);
  // @see RFC 8725 §3.1 — one algorithm per key; the header cannot choose another.
  if (key === undefined || header['alg'] !== key.alg) throw new OAuthError('assertionSignature');

  const trustedIssuers = [...input.registry.tenants].map((tenantId) => input.issuerFor(tenantId));
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(input.assertion, key.publicKey, {
      algorithms: [key.alg],
      typ: input.registry.typ,
      issuer: trustedIssuers,
      audience: TOKEN_EXCHANGE_AUDIENCE,
      currentDate: new Date(input.nowMs),
      clockTolerance: 0,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    }));
  } catch (error) {
    throw refusalForJoseError(error, 'assertionAudience', 'assertionIssuer');
  }
  if (typeof claims.iat !== 'number' || claims.iat * 1000 > input.nowMs) throw new OAuthError('assertionExpired');

  // Binding (RFC 8705 §3 applied to the assertion): compare with the certificate of *this* connection.
  const bound = confirmationThumbprint(claims);
  if (bound === null) throw new OAuthError('assertionMalformed');
  if (input.assertionType === 'jwt-pop') {
    if (bound === undefined) throw new OAuthError('assertionNotBound');
    if (input.presented === null) throw new OAuthError('assertionNoCertificate');
    if (!constantTimeEqual(bound, input.presented.thumbprint)) throw new OAuthError('assertionBindingMismatch');
  } else if (bound !== undefined) {
    // A bound exchange token is only as good as its certificate: without it (or with another one) it is refused.
    if (input.presented === null || !constantTimeEqual(bound, input.presented.thumbprint)) throw new OAuthError('assertionNeedsCertificate');
  }

  // Federated identity credential of the requesting app: exact issuer, subject and audience.
  const issuer = claims.iss as string;
  const subject = claims.sub as string;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const resolved = input.app.federatedCredentials.map((fic) => ({ ...fic, issuer: fic.issuer === 'self' ? input.issuerFor(input.app.tenantId) : fic.issuer }));
  const sameIssuer = resolved.filter((fic) => fic.issuer === issuer);
  if (sameIssuer.length === 0) throw new OAuthError('federatedIssuerMismatch');
  const sameSubject = sameIssuer.filter((fic) => fic.subject === subject);
  if (sameSubject.length === 0) throw new OAuthError('federatedSubjectMismatch');
  if (!sameSubject.some((fic) => audiences.includes(fic.audience))) throw new OAuthError('federatedNoMatch');

  return { claims, boundThumbprint: bound ?? null, expiresAt: (claims.exp as number) * 1000 };
}
