import type { VerifySuccess } from '@certbound/core';

// Shared by the Koa, Express and Fastify example APIs: all three answer GET /whoami with the same shape.

/** What `GET /whoami` answers: the caller as the verified token and its TLS certificate describe it. */
export interface Identity {
  sub: string | null;
  /** `client_id` (RFC 9068), else Entra's `azp` (v2) or `appid` (v1). */
  client_id: string | null;
  /** `x5t#S256` of the certificate this request came with. */
  thumbprint: string | null;
  /** Delegated scopes (`scp`, else `scope`), split on spaces. */
  scopes: string[];
  /** App roles (Entra `roles`). */
  roles: string[];
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((word) => word.length > 0);
  return Array.isArray(value) ? value.filter((word): word is string => typeof word === 'string') : [];
}

export function identityOf(auth: VerifySuccess): Identity {
  const claims = auth.claims;
  return {
    sub: text(claims.sub),
    client_id: text(claims['client_id']) ?? text(claims['azp']) ?? text(claims['appid']),
    thumbprint: auth.thumbprint,
    scopes: words(claims['scp'] ?? claims['scope']),
    roles: words(claims['roles']),
  };
}
