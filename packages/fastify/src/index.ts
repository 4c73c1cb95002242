// Public entry point of @certbound/fastify: re-exports only.
export { certbound, certbound as default } from './plugin.js';
export type { CertboundHook, CertboundPluginOptions } from './plugin.js';
export { requireScopes, requireRoles } from './guards.js';
// The errors this package throws are core's: one vocabulary, `error.code` and (for options) `error.field`.
export { CertboundError, ConfigurationError } from '@certbound/core';
export type { CertboundErrorCode } from '@certbound/core';
export { protectedResourceMetadata } from './metadata.js';
