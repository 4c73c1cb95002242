// @certbound/core — the application API. Adapter plumbing lives in `@certbound/core/adapter`.
export type * from './types.js';
export { createVerifier } from './verify/verifier.js';
export { staticKeys } from './keys/static-keys.js';
export type { StaticKeys } from './keys/static-keys.js';
export { remoteKeys } from './keys/remote-keys.js';
export type { RemoteKeys, RemoteKeysOptions } from './keys/remote-keys.js';
export type { KeyFailure, KeySource, KeyStore, KeyStoreContext, VerificationKey } from './keys/key-store.js';
export { tlsSource } from './certificates/tls.js';
export { headerSource } from './certificates/header.js';
export type { HeaderCertificateSource } from './certificates/header.js';
export { identityOf } from './claims/identity.js';
export type { Identity } from './claims/identity.js';
export { ERROR_TABLE } from './http/failure.js';
export type { ErrorTableRow } from './http/failure.js';
export { CertboundError, ConfigurationError } from './errors.js';
export type { CertboundErrorCode } from './errors.js';
export { loadConfig, parseConfig, verifierOptionsFromConfig } from './config/config.js';
export type { CertboundConfig, CertboundListenConfig, CertboundTlsConfig, CertificateSourceConfig, ParseConfigOptions } from './config/config.js';
