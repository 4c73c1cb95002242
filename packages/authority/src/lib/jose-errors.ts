import { errors } from 'jose';
import { OAuthError, type RefusalName } from './oauth-error.js';

/**
 * Translate a `jose.jwtVerify` failure into a refusal. `audienceRefusal` differs between exchange assertions (aud
 * must be the exchange audience) and private_key_jwt (aud must be the token endpoint). Anything unexpected is a
 * malformed assertion: never a 500.
 */
export function refusalForJoseError(error: unknown, audienceRefusal: RefusalName, issuerRefusal: RefusalName): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof errors.JWTExpired) return new OAuthError('assertionExpired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return new OAuthError(audienceRefusal);
      case 'iss':
        return new OAuthError(issuerRefusal);
      case 'sub':
        return new OAuthError(issuerRefusal);
      case 'nbf':
      case 'iat':
      case 'exp':
        return new OAuthError('assertionExpired');
      case 'typ':
        return new OAuthError('assertionType');
      default:
        return new OAuthError('assertionMalformed');
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) return new OAuthError('assertionSignature');
  return new OAuthError('assertionMalformed');
}
