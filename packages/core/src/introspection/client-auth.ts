import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { invalidOption } from '../errors.js';

/** How the resource authenticates to the introspection endpoint. @see RFC 7662 §2.1 */
export type IntrospectionClientAuth = 'client_secret_basic' | 'private_key_jwt' | 'tls_client_auth';

export const CLIENT_AUTH_METHODS: readonly IntrospectionClientAuth[] = Object.freeze(['client_secret_basic', 'private_key_jwt', 'tls_client_auth']);

/** What one introspection request carries to authenticate: extra headers and extra form parameters. */
export interface ClientCredentials {
  readonly headers: Record<string, string>;
  form(): string;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** The JWS algorithm a private key signs assertions with (RFC 7518 §3.1; RFC 8037 §3.1). */
function algorithmOf(key: KeyObject, field: string): { alg: string; digest: string | null; dsaEncoding?: 'ieee-p1363' } {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { alg: 'RS256', digest: 'sha256' };
  if (type === 'ed25519') return { alg: 'EdDSA', digest: null };
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { alg: 'ES256', digest: 'sha256', dsaEncoding: 'ieee-p1363' };
    if (curve === 'secp384r1') return { alg: 'ES384', digest: 'sha384', dsaEncoding: 'ieee-p1363' };
  }
  return invalidOption(field, 'must be an RSA, P-256, P-384 or Ed25519 private key');
}

export interface ClientAuthSettings {
  readonly method: IntrospectionClientAuth;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly privateKey: string | KeyObject | undefined;
  /** `aud` of private_key_jwt assertions: the endpoint itself. */
  readonly audience: string;
  readonly clock: () => number;
}

/**
 * Build the credentials for one method, checked once: client_secret_basic sends an Authorization header,
 * private_key_jwt a fresh signed assertion per request (RFC 7523 §2.2), tls_client_auth only `client_id`
 * (the certificate is the agent's, RFC 8705 §2).
 */
export function clientCredentials(settings: ClientAuthSettings, field: string): ClientCredentials {
  const id = `client_id=${encodeURIComponent(settings.clientId)}`;
  if (settings.method === 'client_secret_basic') {
    if (typeof settings.clientSecret !== 'string' || settings.clientSecret.length === 0) invalidOption(`${field}.clientSecret`, 'is required for client_secret_basic');
    const basic = Buffer.from(`${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`, 'utf8').toString('base64');
    return { headers: { authorization: `Basic ${basic}` }, form: () => '' };
  }
  if (settings.method === 'tls_client_auth') return { headers: {}, form: () => id };
  if (settings.privateKey === undefined) invalidOption(`${field}.privateKey`, 'is required for private_key_jwt');
  let key: KeyObject;
  try {
    key = typeof settings.privateKey === 'string' ? createPrivateKey(settings.privateKey) : settings.privateKey;
  } catch (error) {
    return invalidOption(`${field}.privateKey`, 'must be a PEM private key', error);
  }
  if (key.type !== 'private') invalidOption(`${field}.privateKey`, 'must be a private key');
  const { alg, digest, dsaEncoding } = algorithmOf(key, `${field}.privateKey`);
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
  return {
    headers: {},
    form() {
      const now = Math.floor(settings.clock() / 1000);
      const claims = { iss: settings.clientId, sub: settings.clientId, aud: settings.audience, jti: randomUUID(), iat: now, exp: now + 60 };
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const signature = sign(digest, Buffer.from(input), dsaEncoding === undefined ? key : { key, dsaEncoding });
      const assertion = `${input}.${signature.toString('base64url')}`;
      return `${id}&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=${assertion}`;
    },
  };
}
