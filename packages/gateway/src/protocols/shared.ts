import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { VerifyFailure } from '@certbound/core';
import type { IdentityHeaderValues } from '../identity.js';
import type { Protocol } from '../metrics.js';

/** How one proxy protocol reads its authorization request and shapes the answer. */
export interface ProtocolAdapter {
  readonly name: Protocol;
  /**
   * Set for endpoints of requests the proxy itself rejected: `allow` (a 400 refusal) then answers everything but the
   * verifier's own 400 refusals, which `deny` passes on.
   */
  readonly refusesAll?: true;
  /** Path and query of the client's original request (for the verifier's query-token check). */
  originalUrl(req: IncomingMessage): string;
  /**
   * Answer "allowed", handing the identity headers to the proxy for the upstream request. `cacheSeconds` > 0: the
   * proxy may reuse this answer that long (only nginx's endpoint says so).
   */
  allow(res: ServerResponse, identity: IdentityHeaderValues, cacheSeconds?: number): void;
  /** Answer "refused" in the form the proxy passes back to the client. */
  deny(res: ServerResponse, failure: VerifyFailure): void;
}

/** JSON with every non-ASCII character escaped, so it can also travel in a header value. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: string): void {
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  res.writeHead(status, {
    // Decisions depend on the credentials of one request: no cache may keep them.
    'cache-control': 'no-store',
    ...(payload === undefined ? { 'content-length': 0 } : { 'content-type': 'application/json', 'content-length': payload.length }),
    ...headers,
  });
  res.end(payload);
}

const allowedMemo = new WeakMap<object, OutgoingHttpHeaders>();

/**
 * `send(res, 200, headers)` for an empty "allowed" answer. The complete header set is built once per frozen headers
 * object (the authorizer shares one per token and certificate) rather than on every request.
 */
export function sendAllowed(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
  let all = allowedMemo.get(headers);
  if (all === undefined) {
    all = { 'cache-control': 'no-store', 'content-length': 0, ...headers };
    if (Object.isFrozen(headers)) allowedMemo.set(headers, Object.freeze(all));
  }
  res.writeHead(200, all);
  res.end();
}

/** The first value of a header, or undefined. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A request target as the proxy reported it, or "/" when it is absent or not origin-form. */
export function originForm(value: string | undefined): string {
  return value !== undefined && value.startsWith('/') ? value : '/';
}

/** Only the identity headers that carry a value: an absent value means "unset", which each proxy turns into "removed". */
export function presentIdentityHeaders(identity: IdentityHeaderValues): Readonly<Record<string, string>> {
  let present = presentMemo.get(identity);
  if (present === undefined) {
    present = Object.fromEntries(Object.entries(identity).filter(([, value]) => value.length > 0));
    // The authorizer shares one frozen value object among the requests of a token; a mutable one is not memoised.
    if (Object.isFrozen(identity)) presentMemo.set(identity, Object.freeze(present));
  }
  return present;
}
const presentMemo = new WeakMap<IdentityHeaderValues, Readonly<Record<string, string>>>();

/** The standard RFC 6750 refusal: status, challenge and JSON body, as the adapters send it. */
export function denyDirectly(res: ServerResponse, failure: VerifyFailure): void {
  // @see RFC 6750 §3 — the challenge travels in WWW-Authenticate, the error also in the body
  // A 503 (keys unavailable) says when to come back. @see RFC 9110 §10.2.3
  const retry = failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
  send(res, failure.status, { 'www-authenticate': failure.challenge, ...retry }, asciiJson(failure.body));
}
