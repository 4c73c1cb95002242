// A throw-away token issuer for trying the example by hand: one ES256 key, an inline JWKS for the gateway config,
// and certificate-bound tokens for the dev PKI's clients. Tests bring their own issuer instead.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export interface DemoIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { keys: Record<string, unknown>[] };
  /** A token bound (`cnf["x5t#S256"]`) to the certificate with this thumbprint, valid for `lifetimeSeconds`. */
  mintToken(thumbprint: string, options?: { subject?: string; scope?: string; lifetimeSeconds?: number }): string;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function createDemoIssuer(issuer = 'https://issuer.certbound.test', audience = 'api://certbound-nginx-example'): DemoIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'ES256', use: 'sig' };
  const key: KeyObject = privateKey;
  return {
    issuer,
    audience,
    jwks: { keys: [jwk] },
    mintToken(thumbprint, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = base64url({ alg: 'ES256', typ: 'at+jwt', kid });
      const payload = base64url({
        iss: issuer,
        aud: audience,
        sub: options.subject ?? 'demo-client',
        client_id: options.subject ?? 'demo-client',
        scope: options.scope ?? 'orders.read',
        iat: now,
        nbf: now,
        exp: now + (options.lifetimeSeconds ?? 3600),
        jti: randomUUID(),
        // @see RFC 8705 §3.1 — the token is bound to the client certificate's SHA-256 thumbprint
        cnf: { 'x5t#S256': thumbprint },
      });
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
  };
}
