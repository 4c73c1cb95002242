import type { KeyObject } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import type { UnverifiedJwt } from './compact-jwt.js';
import { CLIENT_ASSERTION_LEEWAY_SECONDS, MAX_CLIENT_ASSERTION_LIFETIME_SECONDS } from './constants.js';
import { refusalForJoseError } from './jose-errors.js';
import { OAuthError } from './oauth-error.js';
import type { RegisteredApp, RegisteredCertificate } from './registry.js';
import type { ReplayCache } from './replay-cache.js';

export interface ClientAssertionInput {
  readonly assertion: string;
  readonly unverified: UnverifiedJwt;
  readonly app: RegisteredApp;
  /** This tenant's token endpoint: the only accepted `aud`. */
  readonly tokenEndpoint: string;
  readonly replayCache: ReplayCache;
  readonly nowMs: number;
}

/** Algorithms a key may be used with: decided by the key, never by the token header (docs/security.md rule 1). */
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'PS256'];
    case 'rsa-pss':
      return ['PS256'];
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? ['ES256'] : [];
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

/** The registered certificate named by the header's `x5t#S256` (or SHA-1 `x5t`); only registrations with a PEM. */
function registeredSigner(app: RegisteredApp, header: Record<string, unknown>): RegisteredCertificate | undefined {
  const s256 = header['x5t#S256'];
  const sha1 = header['x5t'];
  return app.certificates.find(
    (registration) =>
      registration.publicKey !== null &&
      ((typeof s256 === 'string' && registration.thumbprint === s256) || (typeof s256 !== 'string' && typeof sha1 === 'string' && registration.sha1Thumbprint === sha1)),
  );
}

/**
 * Verify a private_key_jwt client assertion (RFC 7523 §2.2/§3, Entra's certificate credential): signed by the key of
 * a certificate registered for the app (named by `x5t#S256` or `x5t`; `x5c`, `jwk`, `jku` are never used to find
 * keys), `iss` = `sub` = client_id, `aud` = the token endpoint, expiring within 10 minutes, `jti` not seen before.
 */
export async function verifyClientAssertion(input: ClientAssertionInput): Promise<JWTPayload> {
  const registration = registeredSigner(input.app, input.unverified.header);
  if (registration === undefined || registration.publicKey === null || registration.certificate === null) {
    throw new OAuthError('clientAssertionKeyNotRegistered');
  }
  const notBefore = Date.parse(registration.certificate.validFrom);
  const notAfter = Date.parse(registration.certificate.validTo);
  if (!(notBefore <= input.nowMs && input.nowMs <= notAfter)) throw new OAuthError('certificateNotValidNow');
  const algorithms = algorithmsFor(registration.publicKey);
  if (!algorithms.includes(input.unverified.header['alg'] as string)) throw new OAuthError('assertionSignature');

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(input.assertion, registration.publicKey, {
      algorithms,
      issuer: input.app.clientId,
      subject: input.app.clientId,
      audience: input.tokenEndpoint,
      currentDate: new Date(input.nowMs),
      clockTolerance: CLIENT_ASSERTION_LEEWAY_SECONDS,
      requiredClaims: ['iss', 'sub', 'aud', 'exp'],
    }));
  } catch (error) {
    throw refusalForJoseError(error, 'clientAssertionAudience', 'clientAssertionIdentity');
  }
  const exp = claims.exp as number;
  // Entra refuses client assertions valid for longer than 10 minutes from now.
  if (exp * 1000 - input.nowMs > (MAX_CLIENT_ASSERTION_LIFETIME_SECONDS + CLIENT_ASSERTION_LEEWAY_SECONDS) * 1000) throw new OAuthError('clientAssertionLifetime');
  if (typeof claims.iat === 'number' && claims.iat * 1000 > input.nowMs + CLIENT_ASSERTION_LEEWAY_SECONDS * 1000) throw new OAuthError('assertionExpired');
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new OAuthError('clientAssertionJti');
  const expiresAt = (exp + CLIENT_ASSERTION_LEEWAY_SECONDS) * 1000;
  switch (input.replayCache.remember(input.app.clientId, jti, expiresAt, input.nowMs)) {
    case 'replayed':
      throw new OAuthError('clientAssertionReplayed');
    case 'full':
      throw new OAuthError('replayCacheFull');
    default:
      return claims;
  }
}
