// A small ES256 token issuer for the gateway's own tests (the cross-package suites use test/support's issuer).
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { Jwk } from '@certbound/core';

export const ISSUER = 'https://issuer.gateway.test';
export const AUDIENCE = 'api://gateway-test';
export const CLIENT_ID = 'c1d2e3f4-0000-4000-8000-00000000ab12';

export interface TestTokens {
  readonly jwks: { keys: Jwk[] };
  /** A valid token; `thumbprint` null = unbound. Claims are merged over the defaults (`undefined` removes one). */
  mint(thumbprint: string | null, claims?: Record<string, unknown>): string;
}

export function createTestTokens(): TestTokens {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'gw-es256';
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Jwk), kid, alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    mint(thumbprint, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: CLIENT_ID,
        client_id: CLIENT_ID,
        iat: now,
        nbf: now - 5,
        exp: now + 600,
        jti: randomUUID(),
        scp: 'orders.read orders.write',
        roles: ['Orders.Reader'],
        ...(thumbprint === null ? {} : { cnf: { 'x5t#S256': thumbprint } }),
      };
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete payload[name];
        else payload[name] = value;
      }
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${encode({ alg: 'ES256', kid, typ: 'at+jwt' })}.${encode(payload)}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      return `${input}.${signature}`;
    },
  };
}
