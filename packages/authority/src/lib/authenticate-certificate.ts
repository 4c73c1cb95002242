import { constantTimeEqual } from './certificate-thumbprints.js';
import { validAt, type PresentedCertificate } from './client-certificate.js';
import { sameDistinguishedName } from './distinguished-name.js';
import { OAuthError } from './oauth-error.js';
import type { RegisteredApp } from './registry.js';

/**
 * Authenticate an app by the certificate on this TLS connection (RFC 8705 §2): the certificate must match one of the
 * app's registrations. Returns the authentication method that matched; throws an {@link OAuthError} otherwise.
 * docs/security.md rule 12: this is the only way a vanilla-flow token (bound or not) is ever issued.
 */
export function authenticateByCertificate(app: RegisteredApp, presented: PresentedCertificate | null, nowMs: number): 'self_signed_tls_client_auth' | 'tls_client_auth' {
  if (presented === null) throw new OAuthError('noClientCertificate');
  let subjectMatchedUntrusted = false;
  for (const registration of app.certificates) {
    if (registration.authMethod === 'self_signed_tls_client_auth') {
      // @see RFC 8705 §2.2 — the registered certificate itself, no PKI.
      if (registration.thumbprint !== null && constantTimeEqual(registration.thumbprint, presented.thumbprint)) {
        if (!validAt(presented, nowMs)) throw new OAuthError('certificateNotValidNow');
        return 'self_signed_tls_client_auth';
      }
      continue;
    }
    // @see RFC 8705 §2.1 — PKI: the chain verifies to a trusted CA and the subject DN is the registered one.
    if (registration.subject === null || presented.subject === null || !sameDistinguishedName(registration.subject, presented.subject)) continue;
    if (!presented.chainVerified) {
      subjectMatchedUntrusted = true;
      continue;
    }
    if (!validAt(presented, nowMs)) throw new OAuthError('certificateNotValidNow');
    return 'tls_client_auth';
  }
  throw new OAuthError(subjectMatchedUntrusted ? 'certificateChainUntrusted' : 'certificateNotRegistered');
}
