/**
 * A test token issuer: real keys, real signatures, and full control over every header and payload byte so hostile
 * tokens (alg tricks, odd claim types, broken encodings) can be built as easily as valid ones.
 */
import { constants, createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { CompactEncrypt, exportJWK, importJWK } from 'jose';
import type { Jwk } from '@certbound/core';

/** Algorithms the test issuer can sign with (HS256 only to forge "HMAC with the public key" tokens). */
export type TestAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA' | 'HS256';

export interface TestSigningKey {
  readonly alg: Exclude<TestAlgorithm, 'HS256'>;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: Jwk;
}

export interface MintOptions {
  /** `cnf["x5t#S256"]`; null = an unbound token (no `cnf`). */
  thumbprint: string | null;
  /** Claims merged over the defaults; a value of `undefined` removes that claim. */
  claims?: Record<string, unknown>;
  /** JOSE header members merged over `{ alg, kid, typ: "at+jwt" }`; `undefined` removes a member. */
  header?: Record<string, unknown>;
  /** Which published key signs. Default "ES256". */
  key?: Exclude<TestAlgorithm, 'HS256'>;
  /** Seconds until `exp`. Default 600. */
  lifetimeSeconds?: number;
}

export interface TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The keys in the published JWKS, by algorithm. */
  readonly keys: Readonly<Record<Exclude<TestAlgorithm, 'HS256'>, TestSigningKey>>;
  /** A key the JWKS never publishes (an attacker's, or one not rotated in yet). */
  readonly unpublished: TestSigningKey;
  /** The JWKS a resource server trusts: the public halves of `keys`. */
  readonly jwks: { keys: Jwk[] };
  /** The default claims of a valid token for `thumbprint`, with the clock at `now` seconds. */
  claims(thumbprint: string | null, now?: number): Record<string, unknown>;
  /** A valid signed JWT, with any changes asked for. */
  mint(options: MintOptions): string;
  /** Sign exactly these header and payload (objects are JSON-encoded; strings are used byte for byte). */
  signCompact(header: Record<string, unknown> | string, payload: Record<string, unknown> | string, key: TestSigningKey | { hmacSecret: Uint8Array | string }): string;
  /** A compact JWE (5 segments) encrypting a valid token's claims to the RSA key's public half. */
  encrypt(payload: Record<string, unknown>): Promise<string>;
}

export interface TestIssuerOptions {
  issuer: string;
  audience: string;
  /** `client_id`/`azp` of the default claims. Default "6f1c1d52-0000-4000-8000-00000000c11e". */
  clientId?: string;
  /** Scopes (`scp`) of the default claims, space-separated. Default "api.read". */
  scope?: string;
  /** App roles (`roles`) of the default claims. Default ["Api.Caller"]. */
  roles?: string[];
  /** Further default claims (e.g. Entra's `tid`, `ver`). Default {}. */
  extraClaims?: Record<string, unknown>;
}

const b64u = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

function generate(alg: Exclude<TestAlgorithm, 'HS256'>, kid: string): TestSigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk: Jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as { kty: string }), kid, alg, use: 'sig' };
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk };
}

function signature(alg: string, key: TestSigningKey, data: Buffer): Buffer {
  switch (key.alg) {
    case 'ES256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, key.privateKey);
    case 'PS256':
      return sign('sha256', data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'EdDSA':
      return sign(null, data, key.privateKey);
    default:
      throw new Error(`cannot sign ${alg}`);
  }
}

/** Create an issuer with fresh ES256, RS256, PS256 and EdDSA keys, plus one unpublished ES256 key. */
export function createTestIssuer(options: TestIssuerOptions): TestIssuer {
  const keys = {
    ES256: generate('ES256', 'es256-1'),
    RS256: generate('RS256', 'rs256-1'),
    PS256: generate('PS256', 'ps256-1'),
    EdDSA: generate('EdDSA', 'eddsa-1'),
  } as const;
  const unpublished = generate('ES256', 'es256-unpublished');
  const clientId = options.clientId ?? '6f1c1d52-0000-4000-8000-00000000c11e';

  const claims = (thumbprint: string | null, now = Math.floor(Date.now() / 1000)): Record<string, unknown> => ({
    iss: options.issuer,
    aud: options.audience,
    sub: clientId,
    client_id: clientId,
    iat: now,
    nbf: now - 5,
    exp: now + 600,
    jti: randomUUID(),
    scp: options.scope ?? 'api.read',
    roles: options.roles ?? ['Api.Caller'],
    ...options.extraClaims,
    ...(thumbprint === null ? {} : { cnf: { 'x5t#S256': thumbprint } }),
  });

  const signCompact: TestIssuer['signCompact'] = (header, payload, key) => {
    const headerText = typeof header === 'string' ? header : JSON.stringify(header);
    const payloadText = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const input = `${b64u(headerText)}.${b64u(payloadText)}`;
    const alg = typeof header === 'string' ? 'raw' : String(header['alg']);
    const sig = 'hmacSecret' in key ? createHmac('sha256', key.hmacSecret).update(input).digest() : signature(alg, key, Buffer.from(input));
    return `${input}.${b64u(sig)}`;
  };

  const merge = (base: Record<string, unknown>, changes: Record<string, unknown> | undefined) => {
    const merged = { ...base };
    for (const [name, value] of Object.entries(changes ?? {})) {
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
    return merged;
  };

  return {
    issuer: options.issuer,
    audience: options.audience,
    keys,
    unpublished,
    jwks: { keys: Object.values(keys).map((k) => k.publicJwk) },
    claims,
    mint(mintOptions) {
      const key = keys[mintOptions.key ?? 'ES256'];
      const now = Math.floor(Date.now() / 1000);
      const base = claims(mintOptions.thumbprint, now);
      if (mintOptions.lifetimeSeconds !== undefined) base['exp'] = now + mintOptions.lifetimeSeconds;
      const header = merge({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, mintOptions.header);
      return signCompact(header, merge(base, mintOptions.claims), key);
    },
    signCompact,
    async encrypt(payload) {
      const publicKey = await exportJWK(keys.RS256.publicKey);
      const encryptionKey = await importJWK({ ...publicKey, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
      return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: keys.RS256.kid, typ: 'at+jwt', cty: 'JWT' })
        .encrypt(encryptionKey);
    },
  };
}
