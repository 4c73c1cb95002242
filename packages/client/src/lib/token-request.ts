/** The client-credentials request bodies of docs/protocol.md §4–6 (pure: no I/O, testable alone). */

/** @see RFC 7523 §2.2 — assertion signed by the client, sent without a client certificate. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra's assertion type for a bound (PoP) assertion presented over mTLS: Leg 2 of the FIC two-leg flow. */
export const JWT_POP = 'urn:ietf:params:oauth:client-assertion-type:jwt-pop';

/** How the client authenticates in one token request. */
export type ClientAuthentication =
  /** The TLS client certificate is the credential: Entra vanilla flow, RFC 8705 `tls_client_auth`. */
  | { readonly kind: 'tls' }
  /** Leg 2: the Leg 1 token as `client_assertion`, type `jwt-pop`, over mTLS with its binding certificate. */
  | { readonly kind: 'jwt-pop'; readonly assertion: string }
  /** An assertion without a certificate on the connection (callback assertion or a signed private_key_jwt). */
  | { readonly kind: 'jwt-bearer'; readonly assertion: string }
  /** `client_secret_post`. */
  | { readonly kind: 'secret'; readonly secret: string };

export interface TokenRequestParameters {
  readonly clientId: string;
  /** Space-separated scopes. */
  readonly scope: string;
  /** Send `token_type=mtls_pop` (Entra PoP). */
  readonly mtlsPop: boolean;
  /** Claims challenge JSON. */
  readonly claims?: string | undefined;
}

/**
 * The form body of a client-credentials request.
 * Vanilla flow: `client_id, grant_type, scope, token_type=mtls_pop` and no `client_assertion*` (the TLS certificate
 * is the credential). Leg 2: the same plus `client_assertion` and `client_assertion_type=…:jwt-pop`.
 */
export function tokenRequestBody(auth: ClientAuthentication, parameters: TokenRequestParameters): URLSearchParams {
  const body = new URLSearchParams();
  body.set('client_id', parameters.clientId);
  body.set('grant_type', 'client_credentials'); // @see RFC 6749 §4.4.2
  body.set('scope', parameters.scope);
  if (parameters.mtlsPop) body.set('token_type', 'mtls_pop');
  switch (auth.kind) {
    case 'tls':
      break;
    case 'jwt-pop':
      body.set('client_assertion_type', JWT_POP);
      body.set('client_assertion', auth.assertion);
      break;
    case 'jwt-bearer':
      body.set('client_assertion_type', JWT_BEARER); // @see RFC 7523 §2.2
      body.set('client_assertion', auth.assertion);
      break;
    case 'secret':
      body.set('client_secret', auth.secret); // @see RFC 6749 §2.3.1
      break;
  }
  if (parameters.claims !== undefined) body.set('claims', parameters.claims);
  return body;
}
