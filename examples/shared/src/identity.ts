import { identityOf as coreIdentityOf, type VerifySuccess } from '@certbound/core';

// Shared by the example APIs (Koa, Express, Fastify, Hono): all answer GET /whoami with the same shape.

/** What `GET /whoami` answers: the caller as the verified token and its TLS certificate describe it. */
export interface Identity {
  sub: string | null;
  /** Core's client id: `client_id` (RFC 9068), else Entra's `azp` (v2) or `appid` (v1). */
  client_id: string | null;
  /** `x5t#S256` of the certificate this request came with. */
  thumbprint: string | null;
  /** Delegated scopes (`scp` and `scope`). */
  scopes: string[];
  /** App roles (Entra `roles`). */
  roles: string[];
}

/** The /whoami body: core's `identityOf` of the verified claims, in snake_case JSON, plus the request's thumbprint. */
export function identityOf(auth: VerifySuccess): Identity {
  const identity = coreIdentityOf(auth.claims);
  return {
    sub: identity.subject ?? null,
    client_id: identity.clientId ?? null,
    thumbprint: auth.thumbprint,
    scopes: [...identity.scopes],
    roles: [...identity.roles],
  };
}
