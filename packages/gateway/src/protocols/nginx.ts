import type { ServerResponse } from 'node:http';
import type { VerifyFailure } from '@certbound/core';
import type { IdentityHeaderValues } from '../identity.js';
import { asciiJson, denyDirectly, headerValue, originForm, send, sendAllowed, type ProtocolAdapter } from './shared.js';

/** Header nginx sets on the subrequest with `proxy_set_header X-Original-URI $request_uri;`. */
export const NGINX_ORIGINAL_URI_HEADER = 'x-original-uri';
/** The status the client should get; nginx reads it with `auth_request_set`. */
export const NGINX_STATUS_HEADER = 'x-certbound-status';
/** How long nginx may cache an accepted decision (gateway.authCacheSeconds, bounded by the token's exp). */
export const NGINX_CACHE_HEADER = 'x-accel-expires';
/** The JSON error body; nginx cannot pass the subrequest's body on, so it travels as a header. */
export const NGINX_BODY_HEADER = 'x-certbound-body';

/**
 * nginx `auth_request`: 2xx allows, 401 and 403 deny, and anything else becomes a 500 from nginx. A 400
 * (`invalid_request`) or 503 (`temporarily_unavailable`) refusal therefore goes back as 401 with the intended status
 * in `x-certbound-status`; the example config's `error_page 401 403 = @certbound_denied` location returns that
 * status, the challenge and the body.
 */
export const nginxProtocol: ProtocolAdapter = {
  name: 'nginx',
  originalUrl(req) {
    return originForm(headerValue(req, NGINX_ORIGINAL_URI_HEADER));
  },
  allow(res: ServerResponse, identity: IdentityHeaderValues, cacheSeconds = 0) {
    // Every identity header, empty when absent: `auth_request_set` then reads "" and `proxy_set_header` drops it.
    if (cacheSeconds <= 0) return sendAllowed(res, identity);
    // nginx's own cache lifetime header; the example's auth location ignores Cache-Control so that this one counts.
    send(res, 200, { ...identity, [NGINX_CACHE_HEADER]: String(cacheSeconds) });
  },
  deny(res: ServerResponse, failure: VerifyFailure) {
    const body = asciiJson(failure.body);
    const status = failure.status === 403 ? 403 : 401;
    send(res, status, { 'www-authenticate': failure.challenge, [NGINX_STATUS_HEADER]: String(failure.status), [NGINX_BODY_HEADER]: body }, body);
  },
};

/**
 * Requests nginx itself refused as malformed (`error_page 400 494 = @certbound_malformed`): a second Authorization
 * header is one, a header line over its buffers another. nginx's own answer would be an HTML page without a challenge; the example config sends such requests
 * here instead, and the client gets what an application would answer: the verifier's 400 refusal as it is (400
 * invalid_request for the duplicate header), else a generic 400 invalid_request. Never an "allowed" answer and never
 * another status — nginx has already refused the request, and may have dropped the headers after the bad one.
 */
export const nginxMalformedProtocol: ProtocolAdapter = {
  name: 'nginx',
  refusesAll: true,
  originalUrl: nginxProtocol.originalUrl,
  allow(res: ServerResponse) {
    send(res, 400, {}, asciiJson({ error: 'invalid_request', error_description: 'The request is malformed' }));
  },
  deny: denyDirectly,
};
