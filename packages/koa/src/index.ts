// Public entry point of @certbound/koa: re-exports only.
export { certbound } from './certbound.js';
export type { CertboundMiddleware, CertboundState } from './certbound.js';
export { requireScopes, requireRoles } from './guards.js';
