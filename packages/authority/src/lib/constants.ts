/** The built-in resource whose tokens are exchange tokens (Leg 1 of the FIC two-leg flow). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** Entra's client assertion type for a certificate-bound assertion presented over mTLS (FIC Leg 2 with a certificate). */
export const JWT_POP_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-pop';

/** @see RFC 7523 §2.2 — a JWT used for client authentication. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The access token type Entra returns for certificate-bound tokens. */
export const MTLS_POP_TOKEN_TYPE = 'mtls_pop';

/** Largest accepted token request body. Assertions are a few kilobytes; 32 KiB leaves room without inviting floods. */
export const MAX_FORM_BODY_BYTES = 32 * 1024;

/** Largest accepted client assertion (characters). */
export const MAX_ASSERTION_LENGTH = 16 * 1024;

/** Longest lifetime of a private_key_jwt client assertion (Entra: 10 minutes). */
export const MAX_CLIENT_ASSERTION_LIFETIME_SECONDS = 600;

/** Clock leeway for client-made assertions (private_key_jwt), whose clock is not ours. Our own tokens get none. */
export const CLIENT_ASSERTION_LEEWAY_SECONDS = 60;

/** Parameter names of token requests; only these names are ever quoted back in error descriptions. */
export const TOKEN_REQUEST_PARAMETERS = [
  'grant_type',
  'client_id',
  'scope',
  'token_type',
  'client_assertion',
  'client_assertion_type',
  'client_secret',
  'claims',
] as const;

export type TokenRequestParameter = (typeof TOKEN_REQUEST_PARAMETERS)[number];

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
