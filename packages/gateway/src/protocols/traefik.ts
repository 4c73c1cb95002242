import type { ServerResponse } from 'node:http';
import type { IdentityHeaderValues } from '../identity.js';
import { denyDirectly, headerValue, originForm, sendAllowed, type ProtocolAdapter } from './shared.js';

/**
 * Traefik ForwardAuth: a GET carrying the client's headers plus `X-Forwarded-Method/Proto/Host/Uri/For`. 2xx allows
 * and copies the `authResponseHeaders` to the upstream request; any other answer goes to the client as it is.
 * Every identity header is answered, empty when the token lacks the value, so the proxy always has a value of the
 * gateway's to set and never forwards a client-sent copy or its own placeholder text.
 */
export const traefikProtocol: ProtocolAdapter = {
  name: 'traefik',
  originalUrl(req) {
    return originForm(headerValue(req, 'x-forwarded-uri'));
  },
  allow(res: ServerResponse, identity: IdentityHeaderValues) {
    sendAllowed(res, identity);
  },
  deny: denyDirectly,
};

/**
 * Caddy `forward_auth`: the same exchange as Traefik's (Caddy sends `X-Forwarded-Method` and `X-Forwarded-Uri`; a
 * non-2xx answer goes to the client with its status, headers and body; `copy_headers` copies the identity headers).
 */
export const caddyProtocol: ProtocolAdapter = { ...traefikProtocol, name: 'caddy' };

/**
 * HAProxy with examples/haproxy/certbound-auth.lua: the same exchange (the script sends `X-Forwarded-Method` and
 * `X-Forwarded-Uri`; haproxy.cfg returns a refusal's status, challenge and body and sets the identity headers).
 */
export const haproxyProtocol: ProtocolAdapter = { ...traefikProtocol, name: 'haproxy' };
