// Public entry point of @certbound/core: re-exports only.
export type * from './types.js';
export { createVerifier } from './verifier.js';
export { resolveVerifier } from './resolve-verifier.js';
export type { ResolvedVerifier } from './resolve-verifier.js';
export { createTlsCertificateSource, readTlsThumbprint } from './sources/tls.js';
export { createHeaderCertificateSource } from './sources/header.js';
export { thumbprintOfDer, thumbprintFromHex } from './lib/thumbprint.js';
export { ERROR_TABLE, failure, requireScopes, requireRoles } from './errors.js';
export { loadConfig, parseConfig, verifierOptionsFromConfig } from './config.js';
export type { CertboundConfig, CertboundListenConfig, CertboundTlsConfig, ParseConfigOptions } from './config.js';
export { requestInputOf } from './request-input.js';
