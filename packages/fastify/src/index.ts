// Public entry point of @certbound/fastify: re-exports only.
export { certbound, certbound as default } from './plugin.js';
export type { CertboundHook, CertboundPluginOptions } from './plugin.js';
export { requireScopes, requireRoles } from './guards.js';
