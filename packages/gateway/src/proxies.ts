import { ConfigurationError, type HeaderCertificateFormat } from '@certbound/core';
import type { Protocol } from './metrics.js';

/** The proxy types the gateway has an endpoint for. */
export const PROXY_TYPES: readonly Protocol[] = Object.freeze(['nginx', 'envoy', 'traefik', 'caddy', 'haproxy']);

interface ProxyCertificateRule {
  /** The certificate formats this proxy can produce (the format belongs to the proxy type). */
  readonly formats: readonly HeaderCertificateFormat[];
  /**
   * The one header name the proxy itself manages, when it has one (Envoy's XFCC, Traefik's passTLSClientCert): any
   * other name is a header that proxy passes through from the client untouched.
   */
  readonly fixedHeader?: string;
}

// nginx, Caddy and HAProxy set (and, configured as documented, strip) whichever header their configuration names;
// Envoy and Traefik manage exactly one header of their own and copy every other client header into the auth request.
const RULES: Readonly<Record<Protocol, ProxyCertificateRule>> = Object.freeze({
  nginx: { formats: ['nginx'] },
  envoy: { formats: ['xfcc'], fixedHeader: 'x-forwarded-client-cert' },
  traefik: { formats: ['traefik'], fixedHeader: 'x-forwarded-tls-client-cert' },
  caddy: { formats: ['rfc9440', 'base64-der'] },
  haproxy: { formats: ['rfc9440', 'base64-der'] },
});

export function isProxyType(value: unknown): value is Protocol {
  return typeof value === 'string' && (PROXY_TYPES as readonly string[]).includes(value);
}

/**
 * The proxy types whose endpoints one gateway serves: those that produce the configured certificate format under
 * the configured header name, narrowed to `proxy` when given. A proxy type that does not manage that header would
 * pass a client-sent copy through to the gateway, so its endpoint is never served (it answers 404). A format no
 * proxy endpoint produces, or a `proxy` that cannot produce it, is a startup error naming the field.
 * @see docs/security.md rule 7
 */
export function servedProxyTypes(format: HeaderCertificateFormat, header: string, proxy: Protocol | undefined): ReadonlySet<Protocol> {
  const candidates = proxy === undefined ? PROXY_TYPES : [proxy];
  const served = candidates.filter((type) => {
    const rule = RULES[type];
    return rule.formats.includes(format) && (rule.fixedHeader === undefined || rule.fixedHeader === header);
  });
  if (served.length > 0) return new Set(served);
  if (proxy !== undefined) {
    const rule = RULES[proxy];
    const expected = `format ${rule.formats.map((f) => `"${f}"`).join(' or ')}${rule.fixedHeader === undefined ? '' : ` with header "${rule.fixedHeader}"`}`;
    throw new ConfigurationError('gateway.proxy', `certbound gateway: gateway.proxy "${proxy}" needs certificateSource ${expected} (the header that proxy itself sets)`);
  }
  throw new ConfigurationError(
    'certificateSource.format',
    `certbound gateway: no proxy endpoint reads format "${format}" in header "${header}": use nginx, xfcc (x-forwarded-client-cert), traefik (x-forwarded-tls-client-cert), rfc9440 or base64-der`,
  );
}

/** Envoy's default header prefix (bootstrap `header_prefix` replaces it). */
export const DEFAULT_ENVOY_HEADER_PREFIX = 'x-envoy';
// A header-name token without the trailing "-", as Envoy's header_prefix is written.
const ENVOY_PREFIX = /^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$/;

/** Validate `gateway.envoyHeaderPrefix` (lower-cased), naming the field. */
export function resolveEnvoyHeaderPrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_ENVOY_HEADER_PREFIX;
  if (typeof value !== 'string' || value.length > 64 || !ENVOY_PREFIX.test(value.toLowerCase())) {
    throw new ConfigurationError('gateway.envoyHeaderPrefix', 'certbound config: gateway.envoyHeaderPrefix must be Envoy\'s header_prefix, e.g. "x-envoy" (letters, digits and inner "-")');
  }
  return value.toLowerCase();
}

/**
 * A check returning the first header of an auth request that is another spelling of an identity header
 * (`X_Certbound_Subject` for `x-certbound-subject`), or null. The proxies replace identity headers by exact name
 * only, while CGI, WSGI, Rack and PHP stacks map `_` and `-` to the same variable: such a header would reach the
 * upstream and be read as the identity.
 */
export function identitySpellingCheck(identityNames: readonly string[]): (rawHeaders: readonly string[]) => string | null {
  const exact = new Set(identityNames);
  const spellings = new Set(identityNames.map((name) => name.replaceAll('_', '-')));
  // With no `_` in the configured names, only a header name containing `_` can be another spelling: most requests
  // are cleared by one indexOf per header.
  const underscoresOnly = !identityNames.some((name) => name.includes('_'));
  return (rawHeaders) => {
    for (let i = 0; i < rawHeaders.length; i += 2) {
      if (underscoresOnly && !rawHeaders[i]!.includes('_')) continue;
      const name = rawHeaders[i]!.toLowerCase();
      if (!exact.has(name) && spellings.has(name.replaceAll('_', '-'))) return rawHeaders[i]!;
    }
    return null;
  };
}
