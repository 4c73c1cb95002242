import { CertboundClientError, TokenEndpointError, type TokenEndpointErrorDetails } from '../errors.js';
import type { ResultTokenType } from '../types.js';
import { parseRetryAfter, type HttpResponse } from './http.js';

/** What the request asked for: Entra `mtls_pop`, Entra bearer, or an RFC 8705 server (`Bearer` or `N_A`). */
export type ExpectedTokenType = 'mtls_pop' | 'bearer' | 'rfc8705' | 'generic-pop';

/** The checked fields of a successful token response. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: ResultTokenType;
  /** Seconds; undefined when the server sent none (the token is then not cached). */
  readonly expiresIn: number | undefined;
  /** Seconds; Entra's proactive-refresh hint. */
  readonly refreshIn: number | undefined;
  /** Granted scopes, when the server listed them. */
  readonly scopes: readonly string[] | undefined;
}

const MAX_DESCRIPTION = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Length of the pieces compared: shorter runs are too common to mean an echo, longer ones let a partial echo through. */
const ECHO_WINDOW = 16;
/** A run of characters that base64, base64url, hex, JWTs and percent-encoding are written in. */
const ENCODED_RUN = /[A-Za-z0-9+/=_.%~-]{16,}/g;

/** Every {@link ECHO_WINDOW}-character piece of each secret, in each encoding a server could echo it in. */
function secretPieces(secrets: readonly string[]): Set<string> {
  const pieces = new Set<string>();
  for (const secret of secrets) {
    const bytes = Buffer.from(secret, 'utf8');
    const hex = bytes.toString('hex');
    for (const form of [secret, encodeURIComponent(secret), bytes.toString('base64'), bytes.toString('base64url'), hex, hex.toUpperCase()]) {
      for (let i = 0; i + ECHO_WINDOW <= form.length; i++) pieces.add(form.slice(i, i + ECHO_WINDOW));
    }
  }
  return pieces;
}

/**
 * Text from the server for an error message: anything that shares a 16-character piece with a secret we sent
 * (assertion, client secret) in any common encoding is redacted, not only exact copies; control characters are
 * removed and the length capped.
 */
export function sanitiseServerText(text: string, secrets: readonly string[]): string {
  let clean = text;
  // A secret shorter than one piece can only be matched whole.
  for (const secret of secrets) if (secret.length >= 8 && secret.length < ECHO_WINDOW) clean = clean.replaceAll(secret, '[redacted]');
  const pieces = secretPieces(secrets);
  if (pieces.size > 0) {
    clean = clean.replace(ENCODED_RUN, (run) => {
      for (let i = 0; i + ECHO_WINDOW <= run.length; i++) if (pieces.has(run.slice(i, i + ECHO_WINDOW))) return '[redacted]';
      return run;
    });
  }
  // eslint-disable-next-line no-control-regex
  clean = clean.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length > MAX_DESCRIPTION ? `${clean.slice(0, MAX_DESCRIPTION)}...` : clean;
}

/**
 * The longest `expires_in` accepted, in seconds: one day, Entra's upper bound for a configurable access-token
 * lifetime (and the authority's). A larger value is a broken or hostile server: its date would not be representable
 * or its token would be served from cache for ever.
 */
export const MAX_EXPIRES_IN_SECONDS = 86_400;

/**
 * Whole seconds in 1..{@link MAX_EXPIRES_IN_SECONDS}, from a number or a digits-only string (Entra v1 sends
 * strings); undefined when absent, null when present but unusable (3.5, -1, 1e13, "abc").
 */
function seconds(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(number) && number >= 1 && number <= MAX_EXPIRES_IN_SECONDS ? number : null;
}

/** Turn a non-200 answer into `oauth_error` (RFC 6749 §5.2 body) or `http_error`. */
export function tokenEndpointError(response: HttpResponse, host: string, secrets: readonly string[], now: number): TokenEndpointError {
  const json = parseJson(response.body);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now);
  const details: TokenEndpointErrorDetails = { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (isRecord(json) && typeof json['error'] === 'string' && json['error'] !== '') {
    const error = sanitiseServerText(json['error'], secrets);
    details.error = error;
    if (typeof json['error_description'] === 'string') details.error_description = sanitiseServerText(json['error_description'], secrets);
    if (Array.isArray(json['error_codes'])) details.error_codes = json['error_codes'].filter((code): code is number => Number.isInteger(code));
    if (typeof json['correlation_id'] === 'string') details.correlation_id = sanitiseServerText(json['correlation_id'], secrets);
    if (typeof json['trace_id'] === 'string') details.trace_id = sanitiseServerText(json['trace_id'], secrets);
    const description = details.error_description === undefined ? '' : `: ${details.error_description}`;
    return new TokenEndpointError('ERR_CLIENT_OAUTH_ERROR', `Token endpoint ${host} answered ${response.status} ${error}${description}`, details);
  }
  return new TokenEndpointError('ERR_CLIENT_HTTP_ERROR', `Token endpoint ${host} answered HTTP ${response.status} without an OAuth error body`, details);
}

/**
 * Check a token endpoint response before anything uses it (docs/security.md rule 11): status, JSON shape,
 * `access_token`, `token_type` (docs/protocol.md §4: missing → `ERR_CLIENT_TOKEN_TYPE_MISSING`, other than requested
 * → `ERR_CLIENT_TOKEN_TYPE_MISMATCH`), `expires_in` and `refresh_in`.
 */
export function parseTokenResponse(response: HttpResponse, expected: ExpectedTokenType, host: string, secrets: readonly string[], now: number): TokenResponse {
  if (response.status !== 200) throw tokenEndpointError(response, host, secrets, now);
  const json = parseJson(response.body);
  if (!isRecord(json)) throw new CertboundClientError('ERR_CLIENT_RESPONSE_INVALID', `The token response from ${host} is not a JSON object`);
  const accessToken = json['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new CertboundClientError('ERR_CLIENT_RESPONSE_INVALID', `The token response from ${host} has no access_token`);
  }
  const rawType = json['token_type'];
  if (rawType === undefined || rawType === null || rawType === '') {
    throw new CertboundClientError('ERR_CLIENT_TOKEN_TYPE_MISSING', `The token response from ${host} has no token_type`);
  }
  const type = typeof rawType === 'string' ? rawType.toLowerCase() : undefined;
  let tokenType: ResultTokenType | undefined;
  // @see RFC 6749 §7.1 — token types are compared case-insensitively.
  if (expected === 'mtls_pop' && type === 'mtls_pop') tokenType = 'mtls_pop';
  else if (expected === 'bearer' && type === 'bearer') tokenType = 'Bearer';
  else if (expected === 'rfc8705' && type === 'bearer') tokenType = 'Bearer';
  else if (expected === 'rfc8705' && type === 'n_a') tokenType = 'N_A';
  // A generic or dSTS authority asked for token_type=mtls_pop answers as Entra does, or as RFC 8705 (Bearer, bound).
  else if (expected === 'generic-pop' && type === 'mtls_pop') tokenType = 'mtls_pop';
  else if (expected === 'generic-pop' && type === 'bearer') tokenType = 'Bearer';
  if (tokenType === undefined) {
    const shown = typeof rawType === 'string' ? JSON.stringify(sanitiseServerText(rawType, secrets).slice(0, 40)) : typeof rawType;
    const wanted = expected === 'mtls_pop' ? 'mtls_pop' : expected === 'bearer' ? 'Bearer' : expected === 'generic-pop' ? 'mtls_pop or Bearer' : 'Bearer or N_A';
    throw new CertboundClientError('ERR_CLIENT_TOKEN_TYPE_MISMATCH', `The token response from ${host} has token_type ${shown}, expected ${wanted}`);
  }
  const expiresIn = seconds(json['expires_in']);
  if (expiresIn === null) {
    throw new CertboundClientError('ERR_CLIENT_RESPONSE_INVALID', `The token response from ${host} has an invalid expires_in (whole seconds from 1 to ${MAX_EXPIRES_IN_SECONDS} expected)`);
  }
  const refreshIn = seconds(json['refresh_in']);
  // A refresh hint past the expiry (or without one) means the server's clock arithmetic cannot be trusted either.
  if (refreshIn === null || (refreshIn !== undefined && (expiresIn === undefined || refreshIn >= expiresIn))) {
    throw new CertboundClientError('ERR_CLIENT_RESPONSE_INVALID', `The token response from ${host} has an invalid refresh_in (whole seconds before expires_in expected)`);
  }
  const scope = json['scope'];
  const scopes = typeof scope === 'string' && scope.trim() !== '' ? scope.trim().split(/ +/) : undefined;
  return { accessToken, tokenType, expiresIn, refreshIn, scopes };
}
