import type { SigningAlgorithm } from '../config.js';

export interface TenantEndpoints {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
}

/** Endpoints of a tenant under the authority's base URL (no trailing slash). */
export function tenantEndpoints(baseUrl: string, tenantId: string): TenantEndpoints {
  return {
    issuer: `${baseUrl}/${tenantId}/v2.0`,
    tokenEndpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/token`,
    jwksUri: `${baseUrl}/${tenantId}/discovery/v2.0/keys`,
    introspectionEndpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/introspect`,
    revocationEndpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/revoke`,
  };
}

/**
 * Discovery document, served both as OpenID configuration and as RFC 8414 authorization server metadata.
 * The token endpoint already requests client certificates, so the mTLS alias is the same URL.
 * @see RFC 8414 §2, RFC 8705 §3.3 (tls_client_certificate_bound_access_tokens) and §5 (mtls_endpoint_aliases)
 */
export function authorizationServerMetadata(baseUrl: string, tenantId: string, alg: SigningAlgorithm, introspection = false): Record<string, unknown> {
  const endpoints = tenantEndpoints(baseUrl, tenantId);
  return {
    // @see RFC 8414 §2 — introspection_endpoint and revocation_endpoint, when resource servers may call them.
    ...(introspection
      ? { introspection_endpoint: endpoints.introspectionEndpoint, revocation_endpoint: endpoints.revocationEndpoint, introspection_endpoint_auth_methods_supported: ['client_secret_basic'] }
      : {}),
    issuer: endpoints.issuer,
    token_endpoint: endpoints.tokenEndpoint,
    jwks_uri: endpoints.jwksUri,
    mtls_endpoint_aliases: { token_endpoint: endpoints.tokenEndpoint },
    tls_client_certificate_bound_access_tokens: true,
    token_endpoint_auth_methods_supported: ['tls_client_auth', 'self_signed_tls_client_auth', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    grant_types_supported: ['client_credentials'],
    // No authorization endpoint: this authority only issues app-only tokens.
    response_types_supported: [],
    // No ID tokens are issued; OIDC discovery requires the member, and some verifiers read it as the access-token alg.
    id_token_signing_alg_values_supported: [alg],
  };
}
