import type { ServerResponse } from 'node:http';
import type { IdentityHeaderValues } from '../identity.js';
import { denyDirectly, originForm, presentIdentityHeaders, sendAllowed, type ProtocolAdapter } from './shared.js';

/** Path prefix of the Envoy endpoint: `http_service.path_prefix`; Envoy appends the original path. */
export const ENVOY_PATH_PREFIX = '/auth/envoy';

/**
 * Envoy `ext_authz` with an `http_service`: the check request carries the original method, the original path
 * behind the prefix, and the allowed headers. 200 allows (headers matched by `allowed_upstream_headers` are set on
 * the upstream request); any other status is sent to the client with its body and headers — except 5xx, which
 * Envoy turns into `status_on_error` (403 unless configured). `headerPrefix` is Envoy's bootstrap `header_prefix`
 * ("x-envoy" unless changed), which also renames the `x-envoy-auth-headers-to-remove` header Envoy reads.
 */
export function createEnvoyProtocol(headerPrefix: string): ProtocolAdapter {
  // On a 200, Envoy removes the headers listed here from the upstream request.
  const headersToRemove = `${headerPrefix}-auth-headers-to-remove`;
  const allowMemo = new WeakMap<IdentityHeaderValues, Readonly<Record<string, string>>>();

  function allowHeaders(identity: IdentityHeaderValues): Readonly<Record<string, string>> {
    const memo = allowMemo.get(identity);
    if (memo !== undefined) return memo;
    const present = presentIdentityHeaders(identity);
    // allowed_upstream_headers only overwrites what the answer contains: identity headers this token has no value
    // for are removed explicitly, so a client-sent copy cannot reach the upstream.
    const absent = Object.keys(identity).filter((name) => !Object.hasOwn(present, name));
    const headers = absent.length > 0 ? Object.freeze({ ...present, [headersToRemove]: absent.join(',') }) : present;
    // Memoised only for the authorizer's frozen (shared, unchangeable) value objects.
    if (Object.isFrozen(identity)) allowMemo.set(identity, headers);
    return headers;
  }

  return {
    name: 'envoy',
    originalUrl(req) {
      const rest = (req.url ?? '').slice(ENVOY_PATH_PREFIX.length);
      return rest.startsWith('?') ? `/${rest}` : originForm(rest);
    },
    allow(res: ServerResponse, identity: IdentityHeaderValues) {
      sendAllowed(res, allowHeaders(identity));
    },
    deny: denyDirectly,
  };
}
