import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeyRing } from './key-ring.js';
import type { OpaqueTokenStore } from './opaque-tokens.js';
import type { Registry, RegisteredApp } from './registry.js';

export interface AccessTokenRequest {
  readonly app: RegisteredApp;
  /** The resource identifier: the token's `aud`. */
  readonly audience: string;
  /** App roles granted to the app for that resource; the `roles` claim is left out when empty. */
  readonly roles: readonly string[];
  /** `x5t#S256` to bind the token to (RFC 8705 §3.1), or null for an unbound token. */
  readonly thumbprint: string | null;
  /** `https://HOST/{tenant}/v2.0`. */
  readonly issuer: string;
  readonly nowMs: number;
  /** Latest expiry allowed (ms), below the configured lifetime: Leg 1's expiry, the bound certificate's notAfter. */
  readonly notAfterMs?: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly kid: string;
  readonly expiresIn: number;
  readonly tokenId: string;
}

/**
 * Sign an access token in Entra's v2 app-only shape: `aud`, `iss`, `iat`, `nbf`, `exp`, `azp`, `azpacr` ("2":
 * certificate or assertion credential), `appid`, `idtyp` "app", `oid`, `sub` (= `oid`), `roles`, `tid`, `uti`, `ver`
 * "2.0", plus `jti` (RFC 9068 §2.2) and `cnf` when bound.
 */
export async function issueAccessToken(request: AccessTokenRequest, registry: Registry, keyRing: KeyRing, opaque?: OpaqueTokenStore): Promise<IssuedAccessToken> {
  const iat = Math.floor(request.nowMs / 1000);
  const cap = request.notAfterMs === undefined || !Number.isFinite(request.notAfterMs) ? Number.POSITIVE_INFINITY : Math.floor(request.notAfterMs / 1000);
  const exp = Math.min(iat + registry.lifetimeSeconds, cap);
  // Callers check the limits are in the future; a token with no lifetime left is a bug, never issued.
  if (exp <= iat) throw new Error('access token would expire when issued');
  const tokenId = randomBytes(16).toString('base64url');
  if (opaque !== undefined) {
    // The same claims, kept here instead of signed: introspection hands them out (RFC 8705 §3.2).
    const claims = claimsOf(request, iat, exp, tokenId);
    return { token: opaque.issue(claims, exp * 1000, request.nowMs), kid: 'opaque', expiresIn: exp - iat, tokenId };
  }
  const key = keyRing.current();
  // Recorded before signing: a rotation racing this request keeps the key served until this token expires.
  keyRing.noteIssued(key, exp * 1000);
  const token = await new SignJWT(claimsOf(request, iat, exp, tokenId)).setProtectedHeader({ alg: key.alg, typ: registry.typ, kid: key.kid }).sign(key.privateKey);
  return { token, kid: key.kid, expiresIn: exp - iat, tokenId };
}

function claimsOf(request: AccessTokenRequest, iat: number, exp: number, tokenId: string): Record<string, unknown> {
  return {
    aud: request.audience,
    iss: request.issuer,
    iat,
    nbf: iat,
    exp,
    azp: request.app.clientId,
    azpacr: '2',
    appid: request.app.clientId,
    idtyp: 'app',
    oid: request.app.objectId,
    ...(request.roles.length > 0 ? { roles: [...request.roles] } : {}),
    sub: request.app.objectId,
    tid: request.app.tenantId,
    uti: tokenId,
    ver: '2.0',
    jti: tokenId,
    // @see RFC 8705 §3.1 — the confirmation claim binding the token to the client certificate.
    ...(request.thumbprint === null ? {} : { cnf: { 'x5t#S256': request.thumbprint } }),
  };
}
