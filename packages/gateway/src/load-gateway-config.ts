import { ConfigurationError, parseConfig, type CertboundConfig } from '@certbound/core';
import { readConfigDocument } from '@certbound/core/adapter';
import { resolveIdentityHeaderNames, type IdentityHeaderNames } from './identity.js';
import type { Protocol } from './metrics.js';
import { isProxyType, PROXY_TYPES, resolveEnvoyHeaderPrefix } from './proxies.js';

/** The gateway's own settings: the optional `"gateway"` member of the docs/configuration.md file (an extension of the format). */
export interface GatewaySettings {
  /** Names of the identity headers handed to the proxy. Default: `x-certbound-subject`, `x-certbound-client-id`, … */
  identityHeaders?: Partial<IdentityHeaderNames>;
  /**
   * Let nginx cache an accepted decision for up to this many seconds, never past the token's `exp` (the /auth/nginx
   * answer then carries `X-Accel-Expires`). 0–3600; default 0: no decision is cached.
   */
  authCacheSeconds?: number;
  /**
   * The one proxy type this gateway answers (`nginx`, `envoy`, `traefik`, `caddy`, `haproxy`). Default: every proxy
   * type that produces `certificateSource.format` in `certificateSource.header`; the other endpoints answer 404.
   */
  proxy?: Protocol;
  /** Envoy's bootstrap `header_prefix` (default "x-envoy"): the gateway answers `<prefix>-auth-headers-to-remove`. */
  envoyHeaderPrefix?: string;
  /** How long SIGTERM answers /readyz 503 before the listener closes, in ms (0–60000). Default 2000. */
  drainMs?: number;
}

/** A docs/configuration.md file as the gateway reads it. */
export type GatewayConfig = CertboundConfig & { gateway?: GatewaySettings };

const SETTINGS = new Set(['identityHeaders', 'authCacheSeconds', 'proxy', 'envoyHeaderPrefix', 'drainMs']);

/** Validate the `"gateway"` member; a ConfigurationError names the field. */
export function parseGatewaySettings(value: unknown): GatewaySettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigurationError('gateway', 'certbound config: gateway must be an object');
  for (const key of Object.keys(value)) {
    if (!SETTINGS.has(key)) throw new ConfigurationError(`gateway.${key}`, `certbound config: unknown field gateway.${key}`);
  }
  const settings: GatewaySettings = {};
  const identityHeaders = (value as Record<string, unknown>)['identityHeaders'];
  if (identityHeaders !== undefined) {
    try {
      settings.identityHeaders = resolveIdentityHeaderNames(identityHeaders as Partial<IdentityHeaderNames>, 'gateway.identityHeaders');
    } catch (error) {
      // Same field, the file named as every other config error names it.
      if (error instanceof ConfigurationError) throw new ConfigurationError(error.field, `certbound config: ${error.message}`, { cause: error });
      throw error;
    }
  }
  const cacheSeconds = (value as Record<string, unknown>)['authCacheSeconds'];
  if (cacheSeconds !== undefined) {
    if (typeof cacheSeconds !== 'number' || !Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > 3600) {
      throw new ConfigurationError('gateway.authCacheSeconds', 'certbound config: gateway.authCacheSeconds must be an integer from 0 to 3600');
    }
    settings.authCacheSeconds = cacheSeconds;
  }
  const proxy = (value as Record<string, unknown>)['proxy'];
  if (proxy !== undefined) {
    if (!isProxyType(proxy)) throw new ConfigurationError('gateway.proxy', `certbound config: gateway.proxy must be one of ${PROXY_TYPES.join(', ')}`);
    settings.proxy = proxy;
  }
  const prefix = (value as Record<string, unknown>)['envoyHeaderPrefix'];
  if (prefix !== undefined) settings.envoyHeaderPrefix = resolveEnvoyHeaderPrefix(prefix);
  const drainMs = (value as Record<string, unknown>)['drainMs'];
  if (drainMs !== undefined) {
    if (typeof drainMs !== 'number' || !Number.isSafeInteger(drainMs) || drainMs < 0 || drainMs > 60_000) {
      throw new ConfigurationError('gateway.drainMs', 'certbound config: gateway.drainMs must be an integer from 0 to 60000');
    }
    settings.drainMs = drainMs;
  }
  return settings;
}

/**
 * Parse a docs/configuration.md document for the gateway (relative paths resolve against `baseDir`): the shared fields through
 * core's `parseConfig`, plus the gateway's own `"gateway"` member.
 */
export function parseGatewayConfig(json: unknown, baseDir: string): GatewayConfig {
  const config: GatewayConfig = parseConfig(json, baseDir, { allowFields: ['gateway'] });
  const settings = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['gateway'] : undefined;
  if (settings !== undefined) config.gateway = parseGatewaySettings(settings);
  return config;
}

/** Read and validate the configuration file at `path` (what `--config` and `CERTBOUND_CONFIG` name). */
export async function loadGatewayConfig(path: string): Promise<GatewayConfig> {
  const { document, baseDir } = await readConfigDocument(path);
  return parseGatewayConfig(document, baseDir);
}
