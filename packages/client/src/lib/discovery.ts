import * as oauth from 'oauth4webapi';
import type { Dispatcher } from 'undici';
import { CertboundClientError } from '../errors.js';
import { sendWithRetry, type HttpSettings } from './http.js';

/** What the client needs from RFC 8414 metadata. */
export interface Rfc8705Metadata {
  readonly issuer: string;
  /** `mtls_endpoint_aliases.token_endpoint` when advertised, else `token_endpoint`. @see RFC 8705 §5 */
  readonly tokenEndpoint: URL;
  /** `tls_client_certificate_bound_access_tokens`. @see RFC 8705 §3.3 */
  readonly boundAccessTokens: boolean;
  /** `token_endpoint_auth_methods_supported`, when listed. */
  readonly authMethods: readonly string[] | undefined;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

function invalid(message: string, cause?: unknown): CertboundClientError {
  return new CertboundClientError('ERR_CLIENT_METADATA_INVALID', message, cause === undefined ? undefined : { cause });
}

/**
 * Fetch and check the issuer's metadata: `/.well-known/openid-configuration`, then (if that is not a 200)
 * `/.well-known/oauth-authorization-server`. oauth4webapi builds the well-known URLs and enforces that the
 * document's `issuer` is exactly the configured one (@see RFC 8414 §3.3); bytes travel through our undici
 * dispatcher with the same timeouts, size cap and retries as token requests.
 */
export async function discoverRfc8705(issuer: URL, dispatcher: Dispatcher, settings: HttpSettings, now: () => number): Promise<Rfc8705Metadata> {
  const customFetch = async (url: string, init: { method?: string; headers?: Record<string, string> }): Promise<Response> => {
    const response = await sendWithRetry({ url: new URL(url), method: 'GET', headers: { ...(init.headers ?? {}) } }, dispatcher, settings, now);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    }
    return new Response(NULL_BODY_STATUS.has(response.status) ? null : response.body, { status: response.status, headers });
  };
  let metadata: oauth.AuthorizationServer | undefined;
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    let response: Response;
    try {
      response = await oauth.discoveryRequest(issuer, { algorithm, [oauth.customFetch]: customFetch });
    } catch (cause) {
      if (cause instanceof CertboundClientError) throw cause;
      throw invalid(`Discovery for ${issuer.href} could not be requested`, cause);
    }
    if (response.status !== 200 && algorithm === 'oidc') continue;
    try {
      metadata = await oauth.processDiscoveryResponse(issuer, response);
    } catch (cause) {
      throw invalid(`The metadata of ${issuer.href} is not usable (HTTP ${response.status}, or issuer mismatch / malformed JSON)`, cause);
    }
    break;
  }
  if (metadata === undefined) throw invalid(`No metadata found for ${issuer.href}`);
  const alias = (metadata.mtls_endpoint_aliases as Record<string, unknown> | undefined)?.['token_endpoint'];
  const endpoint = typeof alias === 'string' ? alias : metadata.token_endpoint;
  let tokenEndpoint: URL;
  try {
    tokenEndpoint = new URL(String(endpoint));
  } catch {
    throw invalid(`The metadata of ${issuer.href} has no usable token endpoint`);
  }
  if (tokenEndpoint.protocol !== 'https:') throw invalid(`The token endpoint of ${issuer.href} is not https`);
  const methods = metadata.token_endpoint_auth_methods_supported;
  return {
    issuer: metadata.issuer,
    tokenEndpoint,
    boundAccessTokens: metadata.tls_client_certificate_bound_access_tokens === true,
    authMethods: Array.isArray(methods) ? methods.filter((method): method is string => typeof method === 'string') : undefined,
  };
}
