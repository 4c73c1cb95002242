// Public entry point of @certbound/nestjs: re-exports only.
export { CertboundModule } from './module.js';
export type { CertboundModuleAsyncOptions } from './module.js';
export { CertboundGuard, authOf } from './guard.js';
export { CertboundAuth, Public, RequireRoles, RequireScopes } from './decorators.js';
export type { CertboundAuthProperty, CertboundDecorator } from './decorators.js';
export { CERTBOUND_VERIFIER } from './tokens.js';
// The errors this package throws are core's: one vocabulary, `error.code` and (for options) `error.field`.
export { CertboundError, ConfigurationError } from '@certbound/core';
export type { CertboundErrorCode, VerifySuccess } from '@certbound/core';
