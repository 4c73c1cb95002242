import { CertboundClientError } from './errors.js';

/** A parsed Entra authority: `https://{host}/{tenant}`. */
export interface EntraAuthority {
  /** Lower-case host of the authority, e.g. `login.microsoftonline.com`. */
  readonly host: string;
  /** Tenant id or domain as written in the authority. */
  readonly tenant: string;
}

/** Hosts of the public cloud; MSAL routes all of them to the same mTLS host. */
const PUBLIC_CLOUD_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net']);

/** Legacy sovereign aliases that have no mTLS endpoint (MSAL refuses them explicitly). */
const MTLS_UNSUPPORTED_HOSTS = new Set(['login.usgovcloudapi.net', 'login.chinacloudapi.cn']);

/** Legacy sovereign aliases and the host MSAL sends their (non-mTLS) requests to. */
const PREFERRED_NETWORK_HOST: ReadonlyMap<string, string> = new Map([
  ['login.usgovcloudapi.net', 'login.microsoftonline.us'],
  ['login.chinacloudapi.cn', 'login.partner.microsoftonline.cn'],
]);

/** Tenants that are not a tenant: client credentials need one directory. */
const NON_TENANTS = new Set(['common', 'organizations', 'consumers']);

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,253}$/;
const REGION = /^[A-Za-z0-9]+$/;

/**
 * Parse `https://{host}/{tenant}` (a trailing `/` or `/v2.0` is allowed). Throws `TypeError` for a malformed
 * authority; a missing or non-tenant (`common`, `organizations`, `consumers`) tenant is left to
 * {@link entraTokenEndpoint}, which raises `ERR_CLIENT_TENANT_REQUIRED` (MSAL's `missing_tenanted_authority`).
 */
export function parseEntraAuthority(authority: string): EntraAuthority {
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    throw new TypeError('authority must be an absolute https URL such as https://login.microsoftonline.com/{tenant}');
  }
  if (url.protocol !== 'https:') throw new TypeError('authority must use https');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError('authority must not carry credentials, a query or a fragment');
  }
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const [tenant = '', ...rest] = segments;
  if (rest.length > 1 || (rest.length === 1 && rest[0]?.toLowerCase() !== 'v2.0')) {
    throw new TypeError('authority must be https://{host}/{tenant}');
  }
  if (tenant !== '' && !TENANT.test(tenant)) throw new TypeError('authority tenant contains characters a tenant id or domain cannot have');
  return { host: url.host.toLowerCase(), tenant };
}

/**
 * MSAL's region rule: ASCII letters and digits only, so a region can never change which host the request goes to
 * (`attacker.com/x` is not a region). Anything else is ignored and the global host is used.
 */
export function validRegion(region: string | undefined): string | undefined {
  if (region === undefined) return undefined;
  return REGION.test(region) ? region.toLowerCase() : undefined;
}

/** `REGION_NAME` as MSAL reads it: spaces removed, lower-cased. */
export function regionFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env['REGION_NAME'];
  if (value === undefined) return undefined;
  const compact = value.replaceAll(' ', '').toLowerCase();
  return compact === '' ? undefined : compact;
}

/** MSAL's `ConfidentialClientApplication.AttemptRegionDiscovery`. */
export const TRY_AUTO_DETECT_REGION = 'TryAutoDetect';
/** MSAL's opt-out of `MSAL_FORCE_REGION` for one application. */
const DISABLE_FORCE_REGION = 'disablemsalforceregion';

/**
 * The region MSAL.NET would use (ConfidentialClientApplicationBuilder's region rules, read once at creation):
 * a non-empty `MSAL_DISABLE_REGION` turns regions off; `DisableMsalForceRegion` (or `false`) means none; an unset
 * option takes `MSAL_FORCE_REGION`; `TryAutoDetect` reads `REGION_NAME` (MSAL would then ask IMDS; certbound does
 * not). Nothing configured means the global host: `REGION_NAME` alone never moves a request.
 */
export function resolveRegion(option: string | false | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env['MSAL_DISABLE_REGION'] ?? '') !== '') return undefined;
  if (option === false || (typeof option === 'string' && option.toLowerCase() === DISABLE_FORCE_REGION)) return undefined;
  const configured = option ?? env['MSAL_FORCE_REGION'];
  if (configured === undefined || configured === '') return undefined;
  return validRegion(configured === TRY_AUTO_DETECT_REGION ? regionFromEnvironment(env) : configured);
}

/** Throws `ERR_CLIENT_TENANT_REQUIRED` when the authority names no single tenant. */
export function assertTenanted(authority: EntraAuthority): void {
  if (authority.tenant === '' || NON_TENANTS.has(authority.tenant.toLowerCase())) {
    throw new CertboundClientError(
      'ERR_CLIENT_TENANT_REQUIRED',
      `Client credentials need a tenanted authority; "/${authority.tenant}" on ${authority.host} names no single tenant`,
    );
  }
}

/** Throws `ERR_CLIENT_MTLS_NOT_SUPPORTED` for clouds without an mTLS token endpoint. */
export function assertMtlsEnvironment(authority: EntraAuthority): void {
  if (MTLS_UNSUPPORTED_HOSTS.has(authority.host)) {
    throw new CertboundClientError(
      'ERR_CLIENT_MTLS_NOT_SUPPORTED',
      `mTLS proof of possession is not supported for ${authority.host}; use the cloud's login.* host instead`,
    );
  }
  if (!authority.host.startsWith('login.')) {
    throw new CertboundClientError(
      'ERR_CLIENT_MTLS_NOT_SUPPORTED',
      `mTLS proof of possession requires an authority host starting with "login." (got ${authority.host})`,
    );
  }
}

/**
 * The host a request for this authority goes to (docs/protocol.md §4 host table).
 *
 * mTLS (vanilla flow and Leg 2 with a binding certificate): public cloud → `mtlsauth.microsoft.com`, other
 * clouds → `login.X` becomes `mtlsauth.X`; with a valid region → `{region}.` prefixed.
 * Without mTLS: the authority host, or with a valid region `{region}.login.microsoft.com` (public cloud) /
 * `{region}.{host}` (other clouds), as MSAL regionalises client-credential requests.
 */
export function entraTokenHost(authority: EntraAuthority, options: { mtls: boolean; region?: string | undefined }): string {
  const region = validRegion(options.region);
  const host = authority.host;
  if (options.mtls) {
    assertMtlsEnvironment(authority);
    const mtlsHost = PUBLIC_CLOUD_HOSTS.has(host) ? 'mtlsauth.microsoft.com' : `mtlsauth${host.slice('login'.length)}`;
    return region === undefined ? mtlsHost : `${region}.${mtlsHost}`;
  }
  if (region === undefined) return host;
  if (PUBLIC_CLOUD_HOSTS.has(host)) return `${region}.login.microsoft.com`;
  return `${region}.${PREFERRED_NETWORK_HOST.get(host) ?? host}`;
}

/**
 * The token endpoint URL MSAL.NET would call for `authority` (pure; no network). Raises the pre-network errors
 * `ERR_CLIENT_TENANT_REQUIRED` and, when `mtls` is true, `ERR_CLIENT_MTLS_NOT_SUPPORTED`.
 *
 * @example entraTokenEndpoint('https://login.microsoftonline.com/contoso.com', { mtls: true, region: 'westus3' })
 *   // 'https://westus3.mtlsauth.microsoft.com/contoso.com/oauth2/v2.0/token'
 */
export function entraTokenEndpoint(authority: string, options: { mtls: boolean; region?: string | undefined }): string {
  const parsed = parseEntraAuthority(authority);
  assertTenanted(parsed);
  return `https://${entraTokenHost(parsed, options)}/${parsed.tenant}/oauth2/v2.0/token`;
}
