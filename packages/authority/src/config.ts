// The registry an authority serves: tenants, apps, resources, signing and token lifetimes.
// The same shape is the JSON configuration file the CLI reads (which adds the server-only fields below).

/** RFC 8705 §2 client authentication methods that use the TLS client certificate. */
export type CertificateAuthMethod = 'self_signed_tls_client_auth' | 'tls_client_auth';

/** JWS algorithms the authority signs access tokens with. */
export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** JOSE `typ` header of issued access tokens. */
export type AccessTokenType = 'JWT' | 'at+jwt';

/** A tenant (directory). Tokens are issued under `https://HOST/{id}/v2.0`. */
export interface TenantConfig {
  /** GUID-like tenant id, e.g. `11111111-2222-4333-8444-555555555555`. Compared case-insensitively, served lower case. */
  id: string;
  /** Free text for logs and humans. Default: none. */
  displayName?: string;
}

/**
 * A certificate registered for an app.
 *
 * - `self_signed_tls_client_auth` (RFC 8705 §2.2): the TLS client certificate must be exactly this certificate,
 *   given as `thumbprint` (its `x5t#S256`: base64url SHA-256 of the DER, or the same digest as 64 hex digits) or as
 *   `pem`. No chain is checked.
 * - `tls_client_auth` (RFC 8705 §2.1): the TLS client certificate's chain must verify to one of the authority's
 *   `trustedClientCas` and its subject DN must equal `subject` (RFC 4514 string, e.g. `CN=client-a,O=Example`).
 *   When `subject` is absent, the subject of `pem` is used. `thumbprint` is not allowed here.
 *
 * A registration with `pem` also provides the public key for `private_key_jwt` client assertions, found by the
 * assertion header's `x5t#S256` (or SHA-1 `x5t`).
 */
export interface CertificateRegistration {
  /** How a TLS client certificate is matched against this registration. Required. */
  authMethod: CertificateAuthMethod;
  /** `x5t#S256` of the certificate (`self_signed_tls_client_auth` only). Default: none. */
  thumbprint?: string;
  /** PEM of the certificate. Default: none. */
  pem?: string;
  /** RFC 4514 subject DN (`tls_client_auth` only). Default: the subject of `pem`. */
  subject?: string;
  /** Free text for logs and humans. Default: none. */
  description?: string;
}

/**
 * A federated identity credential: the app accepts, as its client assertion, an exchange token (a Leg-1 token)
 * whose `iss` and `sub` are these and whose `aud` contains `audience`.
 */
export interface FederatedCredentialConfig {
  /**
   * The exchange token's issuer. The literal `"self"` means this authority's own issuer for the app's tenant
   * (`https://HOST/{tenant}/v2.0`), which is handy because the port is chosen at startup. Required.
   */
  issuer: string;
  /** The exchange token's `sub`: for a Leg-1 token of this authority, the `objectId` of the Leg-1 app. Required. */
  subject: string;
  /** The exchange token's audience. Default and only accepted value: `api://AzureADTokenExchange`. */
  audience?: string;
  /** Free text for logs and humans. Default: none. */
  name?: string;
}

/** An application registration (with its service principal in `tenant`). */
export interface AppConfig {
  /** The app's client id (`azp`/`appid` of its tokens). A GUID is customary; `[A-Za-z0-9._:-]`, up to 128 chars. Required, unique. */
  clientId: string;
  /** Id of the tenant the app lives in; token requests for it go to that tenant's endpoints. Required. */
  tenant: string;
  /** GUID-like object id of the app's service principal: the `oid` and `sub` of its tokens. Required, unique. */
  objectId: string;
  /** Free text for logs and humans. Default: none. */
  displayName?: string;
  /** Certificates the app authenticates with. Default: none (the app can then only use federated credentials). */
  certificates?: CertificateRegistration[];
  /** App roles granted per resource identifier, e.g. `{ "api://my-api": ["Data.Read"] }`. Default: none. */
  grants?: Record<string, string[]>;
  /** Federated credentials trusting exchange tokens (FIC two-leg flow, Leg 2). Default: none. */
  federatedCredentials?: FederatedCredentialConfig[];
  /**
   * `on-request` (Entra): a token is certificate-bound when the request says `token_type=mtls_pop`.
   * `always` (generic RFC 8705 server): every token is bound to the verified TLS client certificate, and requests
   * that could only yield an unbound token (`jwt-bearer` assertions) are refused. Default `on-request`.
   */
  boundTokens?: 'on-request' | 'always';
  /**
   * `jwt` (Entra): signed access tokens. `opaque`: random tokens whose claims (including `cnf`) resource servers
   * read from the introspection endpoint (RFC 7662, RFC 8705 §3.2); needs `introspectionClients`. Leg 1 exchange
   * tokens stay JWTs. Default `jwt`.
   */
  tokenFormat?: 'jwt' | 'opaque';
}

/** A resource server allowed to call the introspection and revocation endpoints (client_secret_basic). */
export interface IntrospectionClientConfig {
  clientId: string;
  /** At least 32 characters. */
  clientSecret: string;
}

/** A resource (API) that tokens can be requested for with scope `{identifier}/.default`. */
export interface ResourceConfig {
  /** Identifier URI, e.g. `api://my-api`; it is the `aud` of tokens for this resource. Required, unique. */
  identifier: string;
  /** App roles the resource defines; grants must name these. Default: none. */
  appRoles?: string[];
}

/** How access tokens are signed. */
export interface SigningConfig {
  /** Default `RS256` (like Entra). */
  alg?: SigningAlgorithm;
  /** JOSE `typ` header. Default `JWT` (like Entra); `at+jwt` for RFC 9068. */
  typ?: AccessTokenType;
}

/** The registry: what `startAuthority({ config })` takes and what the JSON configuration file holds. */
export interface AuthorityConfig {
  /** Tenants. At least one. */
  tenants: TenantConfig[];
  /** App registrations. Default: none. */
  apps?: AppConfig[];
  /** Resources. `api://AzureADTokenExchange` is built in and must not be listed. Default: none. */
  resources?: ResourceConfig[];
  /** Default `{ alg: 'RS256', typ: 'JWT' }`. */
  signing?: SigningConfig;
  /** Lifetime of issued access tokens, 60…86400 seconds. Default 3600. */
  tokenLifetimeSeconds?: number;
  /**
   * `refresh_in` sent in token responses: when the client should renew. A number below the lifetime, or `false` to
   * leave it out. Default: half the lifetime (Entra sends half the lifetime for long-lived tokens).
   */
  refreshInSeconds?: number | false;
  /**
   * Resource servers that may introspect (`POST /{tenant}/oauth2/v2.0/introspect`, RFC 7662) and revoke
   * (`POST /{tenant}/oauth2/v2.0/revoke`, RFC 7009) tokens. Default: none (both endpoints then answer 404).
   */
  introspectionClients?: IntrospectionClientConfig[];
}

/**
 * Fields of the configuration file read by the CLI only; `startAuthority` takes the same things as options.
 * Paths are relative to the configuration file.
 */
export interface AuthorityServerFileConfig {
  /** Default `{ host: '127.0.0.1', port: 0 }`. */
  listen?: { host?: string; port?: number };
  /** Server certificate and key, PEM files. Required by the CLI. */
  tls?: { cert: string; key: string };
  /** PEM files of CAs trusted for `tls_client_auth`. Default: none. */
  trustedClientCas?: string[];
  /** pino level for the CLI's logs on stderr. Default `info`. */
  log?: { level?: string };
  /** Token for `POST /admin/rotate-signing-key` (at least 32 characters). Default: generated and printed on stderr. */
  admin?: { token?: string };
}

/** The whole configuration file: the registry plus the server-only fields. */
export type AuthorityFileConfig = AuthorityConfig & AuthorityServerFileConfig;
