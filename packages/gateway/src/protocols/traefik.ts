import type { ServerResponse } from 'node:http';
import type { IdentityHeaderValues } from '../identity.js';
import { denyDirectly, headerValue, originForm, presentIdentityHeaders, sendAllowed, type ProtocolAdapter } from './shared.js';

/**
 * Traefik ForwardAuth: a GET carrying the client's headers plus `X-Forwarded-Method/Proto/Host/Uri/For`. 2xx allows
 * and copies the `authResponseHeaders` to the upstream request (Traefik deletes client-sent copies of those names
 * first, so an absent identity value arrives as no header); any other answer goes to the client as it is.
 */
export const traefikProtocol: ProtocolAdapter = {
  name: 'traefik',
  originalUrl(req) {
    return originForm(headerValue(req, 'x-forwarded-uri'));
  },
  allow(res: ServerResponse, identity: IdentityHeaderValues) {
    sendAllowed(res, presentIdentityHeaders(identity));
  },
  deny: denyDirectly,
};
