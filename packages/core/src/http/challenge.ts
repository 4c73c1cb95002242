/**
 * `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9110 §11.6.1). Every quoted value placed in a challenge must be
 * free of `"` and `\` (so no escaping is ever needed) and of control characters (no header injection).
 */

/** @see RFC 6750 §3 — error_description: %x20-21 / %x23-5B / %x5D-7E. */
const DESCRIPTION_CHARSET = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** @see RFC 6750 §3 — scope-token: %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** @see RFC 9110 §5.6.2 — token, used for auth-scheme. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isDescriptionText(value: string): boolean {
  return DESCRIPTION_CHARSET.test(value);
}

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

export function isHttpToken(value: string): boolean {
  return TOKEN.test(value);
}

export interface ChallengeParameters {
  realm?: string | undefined;
  error?: string | undefined;
  description?: string | undefined;
  scope?: string | undefined;
  /** RFC 9728 §5.1: the URL of the resource's metadata. */
  resourceMetadata?: string | undefined;
}

/**
 * One challenge per accepted scheme, comma-separated: `Bearer realm="api", error="invalid_token", …, mtls_pop …`.
 * Callers guarantee every value passed the charset checks above (fixed texts, validated options).
 * @see RFC 6750 §3 — no `error` when the request carried no credentials.
 */
export function buildChallenge(schemes: readonly string[], parameters: ChallengeParameters): string {
  const parts: string[] = [];
  if (parameters.realm !== undefined) parts.push(`realm="${parameters.realm}"`);
  if (parameters.error !== undefined) parts.push(`error="${parameters.error}"`);
  if (parameters.description !== undefined && parameters.error !== undefined) parts.push(`error_description="${parameters.description}"`);
  if (parameters.scope !== undefined) parts.push(`scope="${parameters.scope}"`);
  if (parameters.resourceMetadata !== undefined) parts.push(`resource_metadata="${parameters.resourceMetadata}"`);
  const suffix = parts.length === 0 ? '' : ` ${parts.join(', ')}`;
  return schemes.map((scheme) => `${scheme}${suffix}`).join(', ');
}
