/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document a resource publishes at
 * `/.well-known/oauth-protected-resource` so clients learn which authorization servers issue its tokens and that
 * it requires certificate-bound ones, and the URL its 401 challenges point at (`resource_metadata`, §5.1).
 */
import { invalidOption } from '../errors.js';
import { isDescriptionText } from '../http/challenge.js';

/** What the resource says about itself; the same fields as the configuration file's `resourceMetadata`. */
export interface ResourceMetadataOptions {
  /** The resource identifier: an https URL without fragment (RFC 9728 §1.2). */
  resource: string;
  /** Issuer identifiers of the authorization servers whose tokens the resource accepts. */
  authorizationServers: string[];
  /** Scopes the resource uses in authorization requests. */
  scopesSupported?: string[];
  /** Human-readable name. */
  resourceName?: string;
  /** URL of developer documentation. */
  resourceDocumentation?: string;
  /** URL of the resource's data-use policy. */
  resourcePolicyUri?: string;
  /** URL of the resource's terms of service. */
  resourceTosUri?: string;
}

/** A validated metadata document, ready to serve. */
export interface ResourceMetadata {
  /** The RFC 9728 §2 document (frozen). */
  readonly document: Readonly<Record<string, unknown>>;
  /** The document as JSON, what is served. */
  readonly json: string;
  /** Where it is served: `/.well-known/oauth-protected-resource`, plus the §3.1 path-suffixed form when the resource has a path. */
  readonly paths: readonly string[];
  /** The absolute metadata URL (§3.1), for `resource_metadata` in challenges. */
  readonly url: string;
}

/** @see RFC 9728 §3 — the well-known URI suffix. */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';
const FIELD = 'resourceMetadata';
const KNOWN = new Set(['resource', 'authorizationServers', 'scopesSupported', 'resourceName', 'resourceDocumentation', 'resourcePolicyUri', 'resourceTosUri']);

function httpsUrl(value: unknown, field: string, allowQuery: boolean): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:') return invalidOption(field, 'must be an absolute https URL');
  if (url.hash !== '' || (value as string).includes('#')) invalidOption(field, 'must not contain a fragment');
  if (url.username !== '' || url.password !== '') invalidOption(field, 'must not contain credentials');
  if (!allowQuery && url.search !== '') invalidOption(field, 'must not contain a query');
  // It is quoted in WWW-Authenticate: no quote, backslash or control character may reach the header.
  if (!isDescriptionText(value as string)) invalidOption(field, 'must not contain quotes, backslashes or control characters');
  return url;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) invalidOption(field, 'must be an array of non-empty strings');
  return [...(value as string[])];
}

/**
 * The §3.1 metadata URL of a resource: the well-known suffix goes between the host and the resource's path, so
 * `https://api.example/orders` publishes at `https://api.example/.well-known/oauth-protected-resource/orders`.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN_PATH}${path}${url.search}`;
}

/**
 * Build and check a protected resource metadata document. Always states `bearer_methods_supported: ["header"]`
 * (tokens in the query or body are refused, RFC 6750 §2) and `tls_client_certificate_bound_access_tokens: true`
 * (RFC 8705 §3.4 via RFC 9728 §2). Throws a ConfigurationError naming the field.
 * @see RFC 9728 §2, §3.1
 */
export function resourceMetadata(options: ResourceMetadataOptions): ResourceMetadata {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalidOption(FIELD, 'must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) invalidOption(`${FIELD}.${key}`, 'is not a known field');
  const resource = httpsUrl(options.resource, `${FIELD}.resource`, true);
  const servers = strings(options.authorizationServers, `${FIELD}.authorizationServers`);
  if (servers.length === 0) invalidOption(`${FIELD}.authorizationServers`, 'must name at least one authorization server');
  servers.forEach((server, index) => httpsUrl(server, `${FIELD}.authorizationServers[${index}]`, false));
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: servers,
    bearer_methods_supported: ['header'],
    tls_client_certificate_bound_access_tokens: true,
  };
  if (options.scopesSupported !== undefined) document['scopes_supported'] = strings(options.scopesSupported, `${FIELD}.scopesSupported`);
  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string' || options.resourceName.length === 0) invalidOption(`${FIELD}.resourceName`, 'must be a non-empty string');
    document['resource_name'] = options.resourceName;
  }
  const links = [['resourceDocumentation', 'resource_documentation'], ['resourcePolicyUri', 'resource_policy_uri'], ['resourceTosUri', 'resource_tos_uri']] as const;
  for (const [option, member] of links) {
    const value = options[option];
    if (value !== undefined) document[member] = httpsUrl(value, `${FIELD}.${option}`, true).href;
  }
  const url = resourceMetadataUrl(resource.href);
  const suffixed = new URL(url).pathname;
  return Object.freeze({
    document: Object.freeze(document),
    json: JSON.stringify(document),
    paths: Object.freeze(suffixed === WELL_KNOWN_PATH ? [WELL_KNOWN_PATH] : [WELL_KNOWN_PATH, suffixed]),
    url,
  });
}

/** What an adapter sends for one request, or null when the request is not for the metadata. */
export interface MetadataResponse {
  readonly status: 200 | 405;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The answer to `method path` if it asks for the metadata: 200 with the JSON for GET and HEAD (§3.2), 405 for
 * other methods; null for any other path (the adapter passes the request on).
 */
export function metadataResponse(metadata: ResourceMetadata, method: string, path: string): MetadataResponse | null {
  const bare = path.split('?')[0]!;
  if (!metadata.paths.includes(bare)) return null;
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' }, body: '' };
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' }, body: metadata.json };
}
