import { ConfigurationError, identityOf, type Identity as CoreIdentity, type JwtClaims } from '@certbound/core';

/** Names of the headers the gateway hands to the proxy on success, which the proxy then sets on the upstream request. */
export interface IdentityHeaderNames {
  /** The token's `sub`. Default "x-certbound-subject". */
  subject: string;
  /** The client id (`client_id`, else Entra's `azp` (v2) or `appid` (v1): core's `identityOf`). Default "x-certbound-client-id". */
  clientId: string;
  /** `x5t#S256` of the request's client certificate. Default "x-certbound-thumbprint". */
  thumbprint: string;
  /** Space-separated `scp` and `scope` values. Default "x-certbound-scopes". */
  scopes: string;
  /** Space-separated `roles` (Entra app-only tokens). Default "x-certbound-roles". */
  roles: string;
}

/** The identity header names used unless `gateway.identityHeaders` or `identityHeaders` rename them. */
export const DEFAULT_IDENTITY_HEADERS: Readonly<IdentityHeaderNames> = Object.freeze({
  subject: 'x-certbound-subject',
  clientId: 'x-certbound-client-id',
  thumbprint: 'x-certbound-thumbprint',
  scopes: 'x-certbound-scopes',
  roles: 'x-certbound-roles',
});

const IDENTITY_KEYS = ['subject', 'clientId', 'thumbprint', 'scopes', 'roles'] as const;
type IdentityKey = (typeof IDENTITY_KEYS)[number];

// RFC 9110 §5.1 field-name = token (tchar). Names are lower-cased so comparisons and nginx variables line up.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Validate header names at startup (a ConfigurationError naming the field), filling defaults.
 * Names must be distinct: two identity values written to one header would let one masquerade as the other.
 */
export function resolveIdentityHeaderNames(names: Partial<IdentityHeaderNames> | undefined, field = 'identityHeaders'): IdentityHeaderNames {
  if (names !== undefined && (typeof names !== 'object' || names === null || Array.isArray(names))) {
    throw new ConfigurationError(field, `${field} must be an object`);
  }
  const resolved = { ...DEFAULT_IDENTITY_HEADERS };
  for (const key of Object.keys(names ?? {})) {
    if (!(IDENTITY_KEYS as readonly string[]).includes(key)) throw new ConfigurationError(`${field}.${key}`, `${field}.${key} is not a known identity header (expected one of ${IDENTITY_KEYS.join(', ')})`);
    const value = (names as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !FIELD_NAME.test(value.toLowerCase())) throw new ConfigurationError(`${field}.${key}`, `${field}.${key} must be an HTTP header name`);
    resolved[key as IdentityKey] = value.toLowerCase();
  }
  const seen = new Set(Object.values(resolved));
  if (seen.size !== IDENTITY_KEYS.length) throw new ConfigurationError(field, `${field}: each identity header needs its own name`);
  return resolved;
}

/** Longest identity header value the gateway forwards (after encoding). */
export const MAX_IDENTITY_VALUE_LENGTH = 2048;

// Characters passed through unchanged: RFC 3986 unreserved plus the sub-delims and ":/@" that URIs and Entra
// identifiers use. Everything else (space, quotes, backslash, `%`, controls, non-ASCII) is percent-encoded as
// UTF-8, so a value can never break out of its header, and a reader can still decode it unambiguously.
const SAFE_CHAR = /[A-Za-z0-9\-._~:/@!$'()*+,;=]/;
const ALL_SAFE = /^[A-Za-z0-9\-._~:/@!$'()*+,;=]*$/;

/** Percent-encode everything outside the safe set. */
export function sanitiseIdentityValue(value: string): string {
  // Most values (GUIDs, scope names, thumbprints) need no encoding: one scan instead of one test per character.
  if (ALL_SAFE.test(value)) return value;
  let out = '';
  for (const char of value) {
    if (SAFE_CHAR.test(char)) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The verified identity in plain form (before encoding): core's identity of the claims plus the request's certificate. */
export interface Identity extends CoreIdentity {
  /** `x5t#S256` of the request's client certificate, or null. */
  readonly thumbprint: string | null;
}

/**
 * The identity of verified claims, exactly as core's events and guards see it (one client-id precedence:
 * `client_id`, `azp`, `appid`), plus the request's certificate thumbprint.
 */
export function identityFromClaims(claims: JwtClaims, thumbprint: string | null): Identity {
  return { ...identityOf(claims), thumbprint };
}

/** Header values for the upstream: every identity header is present, empty when the token has no such value. */
export type IdentityHeaderValues = Record<string, string>;

/**
 * Encode an identity as header values. Returns null when a value is too long to forward: truncating a subject could
 * make it name somebody else, so the caller refuses the request instead.
 */
export function encodeIdentity(identity: Identity, names: IdentityHeaderNames): IdentityHeaderValues | null {
  const encoded: Record<IdentityKey, string> = {
    subject: identity.subject === undefined ? '' : sanitiseIdentityValue(identity.subject),
    clientId: identity.clientId === undefined ? '' : sanitiseIdentityValue(identity.clientId),
    thumbprint: identity.thumbprint === null ? '' : sanitiseIdentityValue(identity.thumbprint),
    scopes: identity.scopes.map(sanitiseIdentityValue).join(' '),
    roles: identity.roles.map(sanitiseIdentityValue).join(' '),
  };
  const headers: IdentityHeaderValues = {};
  for (const key of IDENTITY_KEYS) {
    if (encoded[key].length > MAX_IDENTITY_VALUE_LENGTH) return null;
    headers[names[key]] = encoded[key];
  }
  return headers;
}

/** All configured identity header names, for stripping client-sent copies. */
export function identityHeaderList(names: IdentityHeaderNames): string[] {
  return IDENTITY_KEYS.map((key) => names[key]);
}
