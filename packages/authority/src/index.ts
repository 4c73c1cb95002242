// Public entry point of @certbound/authority: re-exports only.
export { startAuthority } from './start-authority.js';
export type { AuthorityOptions, RunningAuthority } from './start-authority.js';
export { loadAuthorityConfig } from './load-config.js';
export { validateAuthorityConfig } from './validate-config.js';
export type {
  AccessTokenType,
  AppConfig,
  AuthorityConfig,
  AuthorityFileConfig,
  AuthorityServerFileConfig,
  CertificateAuthMethod,
  CertificateRegistration,
  FederatedCredentialConfig,
  ResourceConfig,
  SigningAlgorithm,
  SigningConfig,
  TenantConfig,
} from './config.js';
export { AuthorityConfigError, AuthorityError, AuthorityOptionsError } from './errors.js';
export type { AuthorityErrorCode } from './errors.js';
export { JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE, MTLS_POP_TOKEN_TYPE, TOKEN_EXCHANGE_AUDIENCE } from './lib/constants.js';
