import { readFileSync } from 'node:fs';
import { parseEntraAuthority, resolveRegion } from './entra-token-endpoint.js';
import { ConfidentialClientImpl, type ClientConfig } from './lib/client.js';
import { CredentialLoader } from './lib/credential.js';
import { assertKnownKeys } from './lib/known-options.js';
import { AgentPool, httpSettings } from './lib/http.js';
import { checkTelemetryOption, openClientTelemetry } from './telemetry.js';
import { TokenCache } from './token-cache.js';
import type { ConfidentialClient, ConfidentialClientOptions } from './types.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every option, listed once: the Record type fails to compile until a new option of the type is listed here. */
const OPTIONS: Record<keyof ConfidentialClientOptions, true> = {
  clientId: true,
  authority: true,
  authorityType: true,
  credential: true,
  azureRegion: true,
  hostOverrides: true,
  ca: true,
  tokenEndpointAuthMethod: true,
  sendX5C: true,
  tokenCache: true,
  http: true,
  now: true,
  logger: true,
  telemetry: true,
};
const OPTION_NAMES = Object.keys(OPTIONS);

function readCas(ca: ConfidentialClientOptions['ca']): string[] {
  if (ca === undefined) return [];
  const entries = typeof ca === 'string' ? [ca] : Array.isArray(ca) ? ca : undefined;
  if (entries === undefined) throw new TypeError('ca must be a PEM string, a file path, or an array of them');
  const pems: string[] = [];
  for (const [index, entry] of (entries as readonly unknown[]).entries()) {
    const option = typeof ca === 'string' ? 'ca' : `ca[${index}]`;
    if (typeof entry !== 'string') throw new TypeError('ca entries must be strings');
    let text = entry;
    if (!entry.includes('-----BEGIN')) {
      try {
        text = readFileSync(entry, 'utf8');
      } catch (error) {
        // Named by the option, as every credential-like input is: the value is not repeated.
        const code = (error as { code?: unknown }).code;
        throw new TypeError(`${option} is neither PEM text nor a readable file${typeof code === 'string' ? ` (${code})` : ''}`);
      }
    }
    const blocks = text.match(CERTIFICATE_BLOCK);
    if (blocks === null) throw new TypeError(`${option} holds no PEM CERTIFICATE block`);
    pems.push(...blocks);
  }
  return pems;
}

function readHostOverrides(overrides: ConfidentialClientOptions['hostOverrides']): Map<string, URL> {
  const map = new Map<string, URL>();
  if (overrides === undefined) return map;
  if (typeof overrides !== 'object' || overrides === null) throw new TypeError('hostOverrides must map host names to https origins');
  for (const [host, origin] of Object.entries(overrides)) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new TypeError(`hostOverrides[${JSON.stringify(host)}] must be an https origin such as https://127.0.0.1:8443`);
    }
    // TLS is never weakened by an override: only https targets, verified like any other server.
    if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new TypeError(`hostOverrides[${JSON.stringify(host)}] must be an https origin (no path, query or credentials)`);
    }
    map.set(host.toLowerCase(), new URL(url.origin));
  }
  return map;
}

function readIssuer(authority: string): URL {
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    throw new TypeError('authority must be the issuer identifier, an absolute https URL');
  }
  // @see RFC 8414 §2 — an issuer is https with no query or fragment.
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError('authority (issuer) must be an https URL without query, fragment or credentials');
  }
  return url;
}

/**
 * Create a confidential client: the TypeScript counterpart of MSAL.NET's `ConfidentialClientApplicationBuilder`
 * for client credentials, with `acquireTokenForClient({ scopes, mtlsProofOfPossession: true })` standing for
 * `AcquireTokenForClient(scopes).WithMtlsProofOfPossession()`.
 *
 * Options are checked here (a `TypeError` at startup, not on the first request); credential files are read on the
 * first acquisition, and provider/assertion callbacks on every acquisition.
 *
 * @example The vanilla flow: a token bound to the client certificate, then a call to the API over mTLS with it.
 * ```ts
 * const client = createConfidentialClient({
 *   clientId: '00000000-0000-0000-0000-000000000001',
 *   authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com',
 *   credential: { certificate: '/etc/app/app.crt', privateKey: '/etc/app/app.key' },
 * });
 * const request = { scopes: ['api://orders/.default'], mtlsProofOfPossession: true };
 * const result = await client.acquireTokenForClient(request); // result.tokenType === 'mtls_pop'
 * const response = await client.fetch('https://orders.contoso.com/orders', request);
 * ```
 */
export function createConfidentialClient(options: ConfidentialClientOptions): ConfidentialClient {
  if (typeof options !== 'object' || options === null) throw new TypeError('createConfidentialClient needs an options object');
  assertKnownKeys(options, OPTION_NAMES, 'createConfidentialClient option');
  const { clientId, authority } = options;
  if (typeof clientId !== 'string' || clientId.trim() === '') throw new TypeError('clientId must be a non-empty string');
  if (typeof authority !== 'string') throw new TypeError('authority must be a string');
  const kind = options.authorityType ?? 'entra';
  if (kind !== 'entra' && kind !== 'rfc8705' && kind !== 'generic') throw new TypeError("authorityType must be 'entra', 'rfc8705' or 'generic'");
  const credentials = new CredentialLoader(options.credential);
  if (kind !== 'entra' && !credentials.isCertificateBased) {
    throw new TypeError('An RFC 8705 authority authenticates the client by its TLS certificate: use a certificate credential');
  }
  const method = options.tokenEndpointAuthMethod ?? 'tls_client_auth';
  if (method !== 'tls_client_auth' && method !== 'self_signed_tls_client_auth') {
    throw new TypeError("tokenEndpointAuthMethod must be 'tls_client_auth' or 'self_signed_tls_client_auth'");
  }
  const azureRegion = options.azureRegion;
  if (azureRegion !== undefined && azureRegion !== false && typeof azureRegion !== 'string') throw new TypeError('azureRegion must be a string or false');
  // A malformed region is ignored (global host), never put in front of a trusted host name.
  const region = resolveRegion(azureRegion);
  if (options.logger !== undefined && typeof options.logger !== 'function') throw new TypeError('logger must be a function receiving client events');
  if (options.tokenCache !== undefined && !(options.tokenCache instanceof TokenCache)) throw new TypeError('tokenCache must be a TokenCache');
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function returning epoch milliseconds');
  if (options.sendX5C !== undefined && typeof options.sendX5C !== 'boolean') throw new TypeError('sendX5C must be a boolean');
  const http = httpSettings(options.http);
  checkTelemetryOption(options.telemetry);

  const config: ClientConfig = {
    clientId,
    authority,
    kind: kind === 'entra' ? 'entra' : 'rfc8705',
    mtlsPopParameter: kind === 'generic',
    entra: kind === 'entra' ? parseEntraAuthority(authority) : undefined,
    issuer: kind === 'entra' ? undefined : readIssuer(authority),
    region,
    hostOverrides: readHostOverrides(options.hostOverrides),
    tokenEndpointAuthMethod: method,
    sendX5C: options.sendX5C ?? false,
    credentials,
    cache: options.tokenCache ?? new TokenCache(),
    pool: new AgentPool(http, readCas(options.ca)),
    http,
    now: options.now ?? Date.now,
    logger: options.logger,
    telemetry: openClientTelemetry(options.telemetry),
  };
  return new ConfidentialClientImpl(config);
}
