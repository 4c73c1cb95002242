/**
 * Start from a resource URL (RFC 9728): read the protected resource's metadata, check it names this very resource
 * and at least one https authorization server, and hand back what the confidential client needs next
 * (`authority` for `authorityType: 'rfc8705'`, whose RFC 8414 discovery and token request follow).
 */
import { get } from 'node:https';
import { createConfidentialClient } from './create-confidential-client.js';
import { CertboundClientError } from './errors.js';
import type { ConfidentialClient, ConfidentialClientOptions } from './types.js';

/** A protected resource's metadata, checked. */
export interface ProtectedResourceInfo {
  /** The resource identifier, equal to the one asked about (RFC 9728 §3.3). */
  readonly resource: string;
  /** Issuer identifiers of the authorization servers, in the resource's order. */
  readonly authorizationServers: readonly string[];
  /** `tls_client_certificate_bound_access_tokens`: the resource requires certificate-bound tokens. */
  readonly certificateBoundTokens: boolean;
  /** The whole document as received (frozen). */
  readonly document: Readonly<Record<string, unknown>>;
}

/** Options of {@link readResourceMetadata}. */
export interface ReadResourceMetadataOptions {
  /** The metadata URL, e.g. a 401 challenge's `resource_metadata` (see {@link resourceMetadataUrlOf}). Default: §3.1's. */
  metadataUrl?: string;
  /** CA certificate(s), PEM, trusted for the resource's server certificate. Default: the system roots. */
  ca?: string | string[];
  /** Deadline of the request in ms. Default 10000. */
  timeoutMs?: number;
  /** Largest document accepted in bytes. Default 65536. */
  maxResponseBytes?: number;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

function invalid(message: string): CertboundClientError {
  return new CertboundClientError('ERR_CLIENT_METADATA_INVALID', `protected resource metadata: ${message}`);
}

function httpsUrl(value: unknown, what: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || url.hash !== '') throw invalid(`${what} must be an https URL without fragment`);
  return url;
}

/** @see RFC 9728 §3.1 — the well-known suffix goes between the host and the resource's path. */
function metadataUrlFor(resource: URL): string {
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  return `${resource.origin}${WELL_KNOWN}${path}${resource.search}`;
}

/**
 * The `resource_metadata` parameter of a `WWW-Authenticate` value (RFC 9728 §5.1), or undefined when absent.
 */
export function resourceMetadataUrlOf(wwwAuthenticate: string | undefined): string | undefined {
  const match = /(?:^|[\s,])resource_metadata="([^"\\]*)"/.exec(wwwAuthenticate ?? '');
  return match?.[1];
}

function fetchJson(url: string, options: ReadResourceMetadataOptions): Promise<Record<string, unknown>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limit = options.maxResponseBytes ?? 65_536;
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'application/json' }, ...(options.ca === undefined ? {} : { ca: options.ca }), timeout: timeoutMs }, (response) => {
      // @see RFC 9728 §3.2 — a 200 with a JSON object; redirects are not followed.
      if (response.statusCode !== 200) {
        response.resume();
        reject(invalid(`${url} answered HTTP ${response.statusCode ?? 0}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          request.destroy();
          reject(invalid(`the document exceeds ${limit} bytes`));
        } else {
          chunks.push(chunk);
        }
      });
      response.on('end', () => {
        try {
          const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not an object');
          resolve(value as Record<string, unknown>);
        } catch {
          reject(invalid('the document is not a JSON object'));
        }
      });
    });
    const deadline = setTimeout(() => {
      request.destroy();
      reject(new CertboundClientError('ERR_CLIENT_TIMEOUT', `protected resource metadata: no answer from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('close', () => clearTimeout(deadline));
    request.on('error', (error) => reject(new CertboundClientError('ERR_CLIENT_NETWORK', `protected resource metadata: ${url} unreachable`, { cause: error })));
  });
}

/**
 * Read and check a protected resource's metadata: `resource` must be identical to `resource` asked about, even when
 * the metadata URL came from a challenge (RFC 9728 §3.3, §7.3), `authorization_servers` a non-empty list of https
 * issuers, `bearer_methods_supported` (when present) must allow the header.
 * @example
 * ```ts
 * const info = await readResourceMetadata('https://api.example/orders');
 * const client = createConfidentialClient({ authority: info.authorizationServers[0], authorityType: 'rfc8705', … });
 * ```
 */
export async function readResourceMetadata(resource: string, options: ReadResourceMetadataOptions = {}): Promise<ProtectedResourceInfo> {
  const resourceUrl = httpsUrl(resource, 'the resource');
  const metadataUrl = httpsUrl(options.metadataUrl ?? metadataUrlFor(resourceUrl), 'the metadata URL').href;
  const document = await fetchJson(metadataUrl, options);
  // @see RFC 9728 §3.3 — a document for another resource must not be used (an impersonation attempt).
  if (document['resource'] !== resource) throw invalid(`the document describes ${JSON.stringify(String(document['resource']).slice(0, 200))}, not ${resource}`);
  const servers = document['authorization_servers'];
  if (!Array.isArray(servers) || servers.length === 0) throw invalid('authorization_servers must be a non-empty array');
  servers.forEach((server, index) => httpsUrl(server, `authorization_servers[${index}]`));
  const methods = document['bearer_methods_supported'];
  if (methods !== undefined && (!Array.isArray(methods) || !methods.includes('header'))) throw invalid('bearer_methods_supported does not include "header"');
  return Object.freeze({
    resource,
    authorizationServers: Object.freeze([...(servers as string[])]),
    certificateBoundTokens: document['tls_client_certificate_bound_access_tokens'] === true,
    document: Object.freeze(document),
  });
}

/** Options of {@link createClientForResource}: the confidential client's, less what the resource decides. */
export type ClientForResourceOptions = Omit<ConfidentialClientOptions, 'authority' | 'authorityType'> & {
  /** How to talk to the chosen authorization server (both use its RFC 8414 metadata). Default `'rfc8705'`. */
  authorityType?: 'rfc8705' | 'generic';
  /** How to read the resource's metadata. Default: the §3.1 URL, trusting `ca` when given. */
  metadata?: ReadResourceMetadataOptions;
  /**
   * Issuer identifiers of the authorization servers you trust with this client's credential. The resource's list is
   * only a proposal: a hostile resource could name its own server and collect the credential (RFC 9728 §7.6), so the
   * client uses the first server the resource lists that is also here, and refuses when there is none.
   */
  trustedAuthorizationServers: readonly string[];
};

/**
 * Start from a resource URL and end with a client for it (RFC 9728 §7): read and check the resource's metadata,
 * choose the first of its authorization servers that you trust, and create a confidential client whose first acquisition discovers that
 * server (RFC 8414) and requests tokens from it over mTLS.
 * @throws {@link CertboundClientError} `ERR_CLIENT_METADATA_INVALID` when the metadata cannot be used, or when none
 * of the servers it lists is in `trustedAuthorizationServers`.
 * @example
 * ```ts
 * const { client, resource } = await createClientForResource('https://orders.example/v1', {
 *   clientId: 'orders-client',
 *   credential: { certificate: '/etc/app/app.crt', privateKey: '/etc/app/app.key' },
 *   trustedAuthorizationServers: ['https://login.example/orders-tenant/v2.0'],
 * });
 * const token = await client.acquireTokenForClient({ scopes: ['orders.read'], mtlsProofOfPossession: resource.certificateBoundTokens });
 * ```
 */
export async function createClientForResource(resource: string, options: ClientForResourceOptions): Promise<{ client: ConfidentialClient; resource: ProtectedResourceInfo }> {
  const { metadata, trustedAuthorizationServers, authorityType, ...clientOptions } = options;
  if (!Array.isArray(trustedAuthorizationServers) || trustedAuthorizationServers.length === 0) {
    throw new TypeError('trustedAuthorizationServers must list the authorization servers this client may send its credential to');
  }
  const ca = clientOptions.ca;
  const readOptions: ReadResourceMetadataOptions = { ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? ca : [...ca] }), ...metadata };
  const info = await readResourceMetadata(resource, readOptions);
  // Both lists must agree: the resource names the server (no mix-up), the caller vouches for it (no credential leak).
  const chosen = info.authorizationServers.find((server) => trustedAuthorizationServers.includes(server));
  if (chosen === undefined) throw invalid('none of the authorization servers the resource lists is in trustedAuthorizationServers');
  const client = createConfidentialClient({ ...clientOptions, authority: chosen, authorityType: authorityType ?? 'rfc8705' });
  return { client, resource: info };
}
