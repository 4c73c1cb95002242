import { X509Certificate, type KeyObject } from 'node:crypto';
import type { AccessTokenType, AuthorityConfig, CertificateAuthMethod, SigningAlgorithm } from '../config.js';
import { AuthorityConfigError } from '../errors.js';
import { x5tS256, x5tSha1 } from './certificate-thumbprints.js';
import { parseNodeSubject, parseRfc4514, type Rdn } from './distinguished-name.js';
import { TOKEN_EXCHANGE_AUDIENCE } from './constants.js';

/** A registered certificate, prepared for matching. */
export interface RegisteredCertificate {
  readonly authMethod: CertificateAuthMethod;
  /** `x5t#S256` to match exactly (self_signed_tls_client_auth), or of `pem` (for private_key_jwt lookup). */
  readonly thumbprint: string | null;
  /** SHA-1 `x5t` of `pem`, for private_key_jwt headers that only carry `x5t`. */
  readonly sha1Thumbprint: string | null;
  /** Subject DN to match (tls_client_auth). */
  readonly subject: readonly Rdn[] | null;
  /** The certificate itself when registered as PEM: its key verifies private_key_jwt assertions. */
  readonly certificate: X509Certificate | null;
  readonly publicKey: KeyObject | null;
}

export interface RegisteredFederatedCredential {
  /** `"self"` or an exact issuer URL. */
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
}

export interface RegisteredApp {
  readonly clientId: string;
  readonly tenantId: string;
  readonly objectId: string;
  readonly certificates: readonly RegisteredCertificate[];
  readonly grants: ReadonlyMap<string, readonly string[]>;
  readonly federatedCredentials: readonly RegisteredFederatedCredential[];
  readonly boundTokens: 'on-request' | 'always';
  readonly tokenFormat: 'jwt' | 'opaque';
}

export interface Registry {
  /** Tenant ids, lower case. */
  readonly tenants: ReadonlySet<string>;
  readonly apps: ReadonlyMap<string, RegisteredApp>;
  /** Resource identifier → its app roles. */
  readonly resources: ReadonlyMap<string, readonly string[]>;
  readonly alg: SigningAlgorithm;
  readonly typ: AccessTokenType;
  readonly lifetimeSeconds: number;
  readonly refreshInSeconds: number | false;
  /** Introspection client id → secret. */
  readonly introspectionClients: ReadonlyMap<string, string>;
}

/**
 * Turn a validated config into lookup structures. `hasTrustedClientCas` tells whether `tls_client_auth` can ever
 * succeed: registering it without a trusted CA is a configuration error, caught at startup.
 */
export function compileRegistry(config: AuthorityConfig, hasTrustedClientCas: boolean): Registry {
  const apps = new Map<string, RegisteredApp>();
  (config.apps ?? []).forEach((app, appIndex) => {
    const certificates = (app.certificates ?? []).map((registration, certIndex): RegisteredCertificate => {
      const certificate = registration.pem === undefined ? null : new X509Certificate(registration.pem);
      if (registration.authMethod === 'tls_client_auth' && !hasTrustedClientCas) {
        throw new AuthorityConfigError(`apps[${appIndex}].certificates[${certIndex}]`, 'tls_client_auth needs trustedClientCas to verify the chain');
      }
      let subject: readonly Rdn[] | null = null;
      if (registration.authMethod === 'tls_client_auth') {
        subject = registration.subject !== undefined ? parseRfc4514(registration.subject) : certificate ? parseNodeSubject(certificate.subject) : null;
        if (subject === null) throw new AuthorityConfigError(`apps[${appIndex}].certificates[${certIndex}].subject`, 'is not a supported DN');
      }
      return {
        authMethod: registration.authMethod,
        thumbprint: registration.thumbprint ?? (certificate ? x5tS256(certificate.raw) : null),
        sha1Thumbprint: certificate ? x5tSha1(certificate.raw) : null,
        subject,
        certificate,
        publicKey: certificate?.publicKey ?? null,
      };
    });
    apps.set(app.clientId, {
      clientId: app.clientId,
      tenantId: app.tenant.toLowerCase(),
      objectId: app.objectId.toLowerCase(),
      certificates,
      grants: new Map(Object.entries(app.grants ?? {})),
      federatedCredentials: (app.federatedCredentials ?? []).map((fic) => ({ issuer: fic.issuer, subject: fic.subject, audience: fic.audience ?? TOKEN_EXCHANGE_AUDIENCE })),
      boundTokens: app.boundTokens ?? 'on-request',
      tokenFormat: app.tokenFormat ?? 'jwt',
    });
  });
  const lifetimeSeconds = config.tokenLifetimeSeconds ?? 3600;
  return {
    tenants: new Set(config.tenants.map((tenant) => tenant.id.toLowerCase())),
    apps,
    resources: new Map((config.resources ?? []).map((resource) => [resource.identifier, resource.appRoles ?? []])),
    alg: config.signing?.alg ?? 'RS256',
    typ: config.signing?.typ ?? 'JWT',
    lifetimeSeconds,
    refreshInSeconds: config.refreshInSeconds ?? Math.floor(lifetimeSeconds / 2),
    introspectionClients: new Map((config.introspectionClients ?? []).map((client) => [client.clientId, client.clientSecret])),
  };
}
