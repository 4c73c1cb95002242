import type { IncomingMessage } from 'node:http';
import { MAX_FORM_BODY_BYTES, TOKEN_REQUEST_PARAMETERS, type TokenRequestParameter } from './constants.js';
import { duplicateParameter, OAuthError } from './oauth-error.js';

/** Token request parameters, each present at most once. */
export type FormParameters = ReadonlyMap<string, string>;

function knownName(name: string): TokenRequestParameter | null {
  return (TOKEN_REQUEST_PARAMETERS as readonly string[]).includes(name) ? (name as TokenRequestParameter) : null;
}

/** @see RFC 6749 §4.4.2 — the token request is `application/x-www-form-urlencoded` with UTF-8. */
function checkContentType(request: IncomingMessage): void {
  const header = request.headers['content-type'];
  if (typeof header !== 'string') throw new OAuthError('unsupportedContentType');
  const [mediaType, ...parameters] = header.split(';');
  if (mediaType?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') throw new OAuthError('unsupportedContentType');
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=');
    if (name?.trim().toLowerCase() === 'charset' && value?.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') {
      throw new OAuthError('unsupportedContentType');
    }
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') throw new OAuthError('unsupportedContentEncoding');
}

async function readBounded(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw new OAuthError('bodyTooLarge');
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > limit) throw new OAuthError('bodyTooLarge');
      chunks.push(buffer);
    }
  } catch (error) {
    // An aborted or broken upload is the client's doing: a refusal, not a server error.
    throw error instanceof OAuthError ? error : new OAuthError('malformedBody');
  }
  return Buffer.concat(chunks, total);
}

/** Parse form-encoded text; a repeated parameter is an error (RFC 6749 §3.2). */
export function parseForm(text: string): FormParameters {
  const parameters = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (parameters.has(name)) throw duplicateParameter(knownName(name));
    parameters.set(name, value);
  }
  return parameters;
}

/**
 * Read and parse the token request body: right media type, no content coding, at most `limit` bytes (checked against
 * Content-Length first, then while streaming), valid UTF-8, no repeated parameter.
 */
export async function readFormBody(request: IncomingMessage, limit = MAX_FORM_BODY_BYTES): Promise<FormParameters> {
  checkContentType(request);
  const body = await readBounded(request, limit);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new OAuthError('malformedBody');
  }
  return parseForm(text);
}

/** OAuth parameters sent in the query string of a token request (they must be in the body). */
export function oauthParametersInQuery(search: string): boolean {
  if (search === '' || search === '?') return false;
  const query = new URLSearchParams(search);
  return TOKEN_REQUEST_PARAMETERS.some((name) => query.has(name));
}
