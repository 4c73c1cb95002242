// Public entry point of @certbound/express: re-exports only.
export { certbound } from './certbound.js';
export type { CertboundHandler } from './certbound.js';
export { requireScopes, requireRoles } from './guards.js';
