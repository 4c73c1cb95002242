import type { ErrorCode, RequestInput } from '../types.js';

/** A token taken from the Authorization header; `token` is not yet checked against the token68 syntax. */
export interface ExtractedCredentials {
  readonly scheme: string;
  readonly token: string;
}

export type Extraction = ExtractedCredentials | ErrorCode;

/** @see RFC 9110 §11.2 token68; RFC 6750 §2.1 b64token (the same character set). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** @see RFC 9110 §5.6.2 — the auth-scheme is a token. */
const SCHEME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const AUTHORIZATION = 'authorization';

/** True when the token has the token68 syntax. Checked only for tokens that fail to parse as a compact JWS. */
export function isToken68(token: string): boolean {
  return TOKEN68.test(token);
}

/** Decode a query parameter name; a malformed escape is kept as is (it cannot spell `access_token` then). */
function parameterName(raw: string): string {
  const plus = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/**
 * Whether the URL's query carries an `access_token` parameter (also percent-encoded, any case): such requests are
 * refused instead of ignoring the parameter, so a client that leaks tokens into URLs learns it at once.
 * @see RFC 6750 §2.3, §5.3; docs/security.md rule 8
 */
export function hasQueryToken(url: string | undefined): boolean {
  if (typeof url !== 'string') return false;
  const question = url.indexOf('?');
  if (question < 0) return false;
  const hash = url.indexOf('#', question);
  const query = url.slice(question + 1, hash < 0 ? undefined : hash);
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const name = parameterName(equals < 0 ? pair : pair.slice(0, equals));
    if (name.toLowerCase() === 'access_token') return true;
  }
  return false;
}

/** What {@link readAuthorization} answers for a request with more than one Authorization field. */
export const DUPLICATE_AUTHORIZATION: unique symbol = Symbol('duplicate Authorization');

/**
 * The request's one Authorization value: `undefined` when there is none, {@link DUPLICATE_AUTHORIZATION} when there
 * are several. Node keeps only the first of duplicated Authorization headers in `headers`, so `rawHeaders` is the
 * only place a duplicate is visible. No allocation: this runs on every request.
 * @see docs/security.md rule 8
 */
export function readAuthorization(input: RequestInput): unknown {
  let count = 0;
  let rawValue: unknown;
  const raw = input.rawHeaders;
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) {
      const name: unknown = raw[i];
      // The two usual spellings first: lower-casing allocates a string, and this runs on every request.
      if (typeof name === 'string' && name.length === AUTHORIZATION.length && (name === 'Authorization' || name === AUTHORIZATION || name.toLowerCase() === AUTHORIZATION)) {
        count++;
        rawValue = raw[i + 1];
      }
    }
  }
  const folded: unknown = input.headers?.authorization;
  if (Array.isArray(folded)) return Math.max(count, folded.length) > 1 ? DUPLICATE_AUTHORIZATION : folded[0];
  if (folded !== undefined) return count > 1 ? DUPLICATE_AUTHORIZATION : folded;
  return count > 1 ? DUPLICATE_AUTHORIZATION : rawValue;
}

export interface ExtractorOptions {
  readonly schemes: readonly string[];
  readonly maxTokenLength: number;
}

/**
 * Take the access token from exactly one `Authorization: <scheme> <token68>` header. Schemes compare
 * case-insensitively and come back in the configured spelling. Query-string tokens are refused, cookies and bodies
 * are never read.
 * @see RFC 6750 §2.1, §3.1; RFC 9110 §11.4 (credentials = auth-scheme 1*SP token68); docs/security.md rule 8
 */
export function createExtractor(options: ExtractorOptions): (authorization: unknown, url: string | undefined) => Extraction {
  const byLowerCase = new Map(options.schemes.map((scheme) => [scheme.toLowerCase(), scheme]));
  const { maxTokenLength } = options;
  // Longest acceptable header value: the longest scheme, the separating spaces, the longest token.
  const maxValueLength = Math.max(...options.schemes.map((scheme) => scheme.length)) + 16 + maxTokenLength;

  /** `value`: what readAuthorization found; `url`: the request target, for the query-token check. */
  return (value, url) => {
    const inQuery = hasQueryToken(url);
    if (value === undefined) return inQuery ? 'ERR_QUERY_TOKEN' : 'ERR_NO_CREDENTIALS';
    if (value === DUPLICATE_AUTHORIZATION) return 'ERR_AUTHORIZATION_DUPLICATE';
    if (inQuery) return 'ERR_MULTIPLE_METHODS';
    if (typeof value !== 'string' || value.length === 0) return 'ERR_AUTHORIZATION_MALFORMED';
    if (value.length > maxValueLength) return 'ERR_TOKEN_TOO_LONG';
    const space = value.indexOf(' ');
    const schemePart = space < 0 ? value : value.slice(0, space);
    const scheme = byLowerCase.get(schemePart.toLowerCase());
    if (scheme === undefined) {
      // Another scheme (Basic, DPoP, …) is not an error in this request's credentials: RFC 6750 §3.1 asks for a
      // challenge without an error code. A field that is not even a scheme is malformed.
      return SCHEME_TOKEN.test(schemePart) ? 'ERR_UNSUPPORTED_SCHEME' : 'ERR_AUTHORIZATION_MALFORMED';
    }
    if (space < 0) return 'ERR_AUTHORIZATION_MALFORMED';
    let start = space + 1;
    while (start < value.length && value.charCodeAt(start) === 0x20) start++;
    const token = value.slice(start);
    if (token.length === 0) return 'ERR_AUTHORIZATION_MALFORMED';
    if (token.length > maxTokenLength) return 'ERR_TOKEN_TOO_LONG';
    return { scheme, token };
  };
}
