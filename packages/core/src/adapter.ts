// @certbound/core/adapter — what framework adapters and the gateway need: request translation, refusal building,
// guards and verifier resolution. Applications use the root entry point.
export { requestInputOf } from './http/request-input.js';
export { failure } from './http/failure.js';
export type { FailureOptions } from './http/failure.js';
export { resolveVerifier } from './verify/resolve-verifier.js';
export type { ResolvedVerifier } from './verify/resolve-verifier.js';
export { recordAcceptance } from './verify/registry.js';
export { verifyRequestNow } from './verify/verify-now.js';
export { scopeGuard, roleGuard } from './authorization/guards.js';
export type { Guard, GuardOptions } from './authorization/guards.js';
export { metadataResponse } from './metadata/metadata.js';
export type { MetadataResponse } from './metadata/metadata.js';
export { readConfigDocument } from './config/config.js';
export { readTlsThumbprint } from './certificates/tls.js';
export { thumbprintOfDer, thumbprintFromHex } from './binding/thumbprint.js';
