import type { JwtClaims } from '../types.js';

/** Who a verified token speaks for, read once from its claims: what events log, guards check and the gateway forwards. */
export interface Identity {
  /** `sub`: the user, or for app-only tokens the client's service principal. */
  readonly subject: string | undefined;
  /** The client (application) the token was issued to; see {@link identityOf} for the claim precedence. */
  readonly clientId: string | undefined;
  /** Delegated scopes: `scp` (Entra, space-separated) and `scope` (RFC 9068), each once, in token order. */
  readonly scopes: readonly string[];
  /** App roles: `roles` (Entra app-only tokens; RFC 9068 §2.2.3.1). */
  readonly roles: readonly string[];
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function stringList(value: unknown, separated: boolean): string[] {
  if (typeof value === 'string') return separated ? value.split(' ').filter((item) => item.length > 0) : value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item.length > 0);
  return [];
}

/** The token's `sub`, when it is a non-empty string. */
export function subjectOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  return nonEmptyString(claims['sub']);
}

/**
 * The client id of a token: `client_id`, else `azp`, else `appid`. Each issuer sets exactly one of them for its
 * own format — RFC 9068 §2.2 access tokens `client_id`, Entra v2 tokens `azp`, Entra v1 tokens `appid` — so the
 * order matters only for a token carrying several; then the standard claim wins, because RFC 9068 defines it
 * as the client id while `azp` (OpenID Connect) names the authorized party of an ID token. Only string values count.
 * @see RFC 9068 §2.2; OpenID Connect Core §2 (azp)
 */
export function clientIdOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  return nonEmptyString(claims['client_id']) ?? nonEmptyString(claims['azp']) ?? nonEmptyString(claims['appid']);
}

/** Granted scopes: `scp` (Entra) and `scope` (RFC 9068 / RFC 8693), space-separated strings or arrays. */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  return [...new Set([...stringList(claims['scp'], true), ...stringList(claims['scope'], true)])];
}

/** Granted app roles: the `roles` array (a lone string counts as one role). */
export function rolesOf(claims: Readonly<Record<string, unknown>>): string[] {
  return stringList(claims['roles'], false);
}

/**
 * The identity of verified claims: subject, client id, scopes and roles. Only string-typed values are used; a
 * claim of another type is left out, never coerced. Call it on claims the verifier accepted — never on a token
 * you have not verified.
 * @example
 * ```ts
 * const result = await verifier.verifyRequest(requestInput);
 * if (result.ok) logger.info(identityOf(result.claims), 'accepted');
 * ```
 */
export function identityOf(claims: JwtClaims): Identity {
  return { subject: subjectOf(claims), clientId: clientIdOf(claims), scopes: scopesOf(claims), roles: rolesOf(claims) };
}
