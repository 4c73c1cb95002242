// Public entry point of @certbound/core: re-exports only.
export type * from './types.js';
export { createVerifier } from './verify/verifier.js';
export { resolveVerifier } from './verify/resolve-verifier.js';
export type { ResolvedVerifier } from './verify/resolve-verifier.js';
export { createTlsCertificateSource, readTlsThumbprint } from './certificates/tls.js';
export { createHeaderCertificateSource } from './certificates/header.js';
export { thumbprintOfDer, thumbprintFromHex } from './binding/thumbprint.js';
export { ERROR_TABLE, failure, requireScopes, requireRoles } from './http/failure.js';
export { loadConfig, parseConfig, verifierOptionsFromConfig } from './config/config.js';
export type { CertboundConfig, CertboundListenConfig, CertboundTlsConfig, ParseConfigOptions } from './config/config.js';
export { requestInputOf } from './http/request-input.js';
