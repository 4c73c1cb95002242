// Public entry point of @certbound/hono: re-exports only.
export { certbound } from './certbound.js';
export type { CertboundEnv, CertboundMiddleware, CertboundVariables } from './certbound.js';
export { requireScopes, requireRoles } from './guards.js';
// The errors this package throws are core's: one vocabulary, `error.code` and (for options) `error.field`.
export { CertboundError, ConfigurationError } from '@certbound/core';
export type { CertboundErrorCode } from '@certbound/core';
export { protectedResourceMetadata } from './metadata.js';
