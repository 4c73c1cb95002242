// Public entry point of @certbound/gateway: re-exports only.
export { startGateway } from './start-gateway.js';
export type { Gateway, StartGatewayOptions } from './start-gateway.js';
export { loadGatewayConfig, parseGatewayConfig } from './load-gateway-config.js';
export type { GatewayConfig, GatewaySettings } from './load-gateway-config.js';
export { DEFAULT_IDENTITY_HEADERS, sanitiseIdentityValue } from './identity.js';
export type { IdentityHeaderNames } from './identity.js';
export { NGINX_BODY_HEADER, NGINX_ORIGINAL_URI_HEADER, NGINX_STATUS_HEADER } from './protocols/nginx.js';
export { ENVOY_PATH_PREFIX } from './protocols/envoy.js';
export { CADDY_PATH, HAPROXY_PATH, NGINX_PATH, TRAEFIK_PATH } from './router.js';
// The errors this package throws are core's: one vocabulary, `error.code` and (for options) `error.field`.
export { CertboundError, ConfigurationError } from '@certbound/core';
export type { CertboundErrorCode } from '@certbound/core';
