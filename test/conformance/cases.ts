/**
 * The conformance cases: one list, run unchanged against every protected server (Koa, Express, Fastify, Hono example
 * APIs, and the gateway behind nginx). Nothing here knows how a target is started or configured; a target only
 * has to protect `protectedPath` with the fixture's issuer, audience, JWKS, TLS certificate binding and guards
 * (REQUIRED_SCOPE, REQUIRED_ROLE), and leave `publicPath` open.
 *
 * Each case names the rule it proves (docs/security.md rule N as "SECURITY N", docs/protocol.md §N as
 * "PROTOCOL N", or an RFC) and its class of hostile input.
 */
import { createHash, randomUUID, sign } from 'node:crypto';
import type { ClientName } from '../support/fixture.js';
import { CLIENT_ID, ISSUER, REQUIRED_ROLE, REQUIRED_SCOPE, TENANT_ID, type AuthFixture } from '../support/fixture.js';
import type { MintOptions } from '../support/tokens.js';

/** The classes of hostile input in docs/security.md ("Classes of hostile input"), plus the happy paths. */
export type CaseClass =
  | 'happy path'
  | 'binding mismatches and encodings'
  | 'certificate headers'
  | 'JOSE header tricks'
  | 'claim types and edge values'
  | 'HTTP framing'
  | 'JWKS outages and floods'
  | 'malformed encodings'
  | 'resource exhaustion'
  | 'scope and role guards';

/**
 * What a case may need from a target beyond "protects protectedPath":
 * - `identity`: the protected path answers 200 with the example APIs' whoami JSON;
 * - `method-routing`: other methods than GET on the protected path are authenticated, then answered 405;
 * - `jwks-control`: the target fetches its keys from the fixture's JWKS server (outages can be simulated);
 * - `node-http-limits`: requests reach a Node HTTP server directly (its 64 KiB header limit applies, as the gateway's).
 */
export type Capability = 'identity' | 'method-routing' | 'jwks-control' | 'node-http-limits';

/** One request, described independently of the target. */
export interface CaseRequest {
  /** Default "GET". */
  method?: string;
  /** Default "protected". */
  route?: 'protected' | 'public';
  /** Appended to the path, without the `?`. */
  query?: string;
  /** Header lines in order; duplicates are sent as separate lines (raw over TLS). */
  headers?: Array<[string, string]>;
  body?: string;
  /** Which certificate the TLS connection presents. Default "client-a". */
  client?: ClientName;
}

/** What a response must look like. */
export interface Expectation {
  status: number;
  /**
   * The `WWW-Authenticate` challenge: null = must be absent; `error: null` = present without an `error` parameter
   * (RFC 6750 §3.1, no credentials); `scope` = the parameter must be present and contain this value.
   */
  challenge: null | { error: null | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable'; scope?: string };
  /** For 200 on the protected path: the whoami identity expected (needs `identity`). */
  identity?: { client: Exclude<ClientName, 'none'>; clientId: string };
}

/** A response as the runner saw it. */
export interface Observation {
  status: number;
  /** All `WWW-Authenticate` values. */
  challenges: string[];
  contentType: string | null;
  body: string;
}

/** Sends one request to the target and returns what came back. */
export type Send = (request: CaseRequest) => Promise<Observation>;

export interface CaseContext {
  readonly fixture: AuthFixture;
  /** A valid token bound to `client` (default client-a), with any changes. */
  token(changes?: Partial<MintOptions> & { client?: Exclude<ClientName, 'none'> }): string;
  /** DER of a client's certificate. */
  der(client: Exclude<ClientName, 'none'>): Buffer;
  /** Current time in seconds. */
  now(): number;
}

export interface ConformanceCase {
  /** Stable identifier (used to compare targets). */
  id: string;
  title: string;
  /** The rule the case proves, e.g. "SECURITY 5", "RFC 6750 §3.1". */
  rule: string;
  class: CaseClass;
  needs?: Capability[];
  /** One request... */
  request?: (ctx: CaseContext) => CaseRequest | Promise<CaseRequest>;
  /** ...or a scripted exchange whose final observation is judged; extra checks throw. */
  script?: (ctx: CaseContext, send: Send) => Promise<Observation>;
  /** One expectation, or several acceptable ones (SECURITY 9: "503 or 401, never 200"). */
  expect: Expectation | Expectation[];
}

/** Appears in hostile inputs; must never come back in a response (SECURITY 9: no reflection). */
export const REFLECTION_MARKER = 'CERTBOUND-REFLECT';

const ok = (client: Exclude<ClientName, 'none'> = 'client-a', clientId = CLIENT_ID): Expectation => ({ status: 200, challenge: null, identity: { client, clientId } });
const invalidToken: Expectation = { status: 401, challenge: { error: 'invalid_token' } };
const invalidRequest: Expectation = { status: 400, challenge: { error: 'invalid_request' } };
const noCredentials: Expectation = { status: 401, challenge: { error: null } };
const insufficient = (scope: string): Expectation => ({ status: 403, challenge: { error: 'insufficient_scope', scope } });

const bearer = (token: string): Array<[string, string]> => [['Authorization', `Bearer ${token}`]];
const b64u = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest();

/** Replace one dot-separated segment of a compact JWS. */
function withSegment(token: string, index: number, value: string): string {
  const parts = token.split('.');
  parts[index] = value;
  return parts.join('.');
}

/** A token signed by the fixture's ES256 key from raw header/payload text. */
function rawToken(ctx: CaseContext, header: Record<string, unknown> | string, payload: Record<string, unknown> | string): string {
  return ctx.fixture.issuer.signCompact(header, payload, ctx.fixture.issuer.keys.ES256);
}

const es256Header = (ctx: CaseContext) => ({ alg: 'ES256', kid: ctx.fixture.issuer.keys.ES256.kid, typ: 'at+jwt' });
const boundClaims = (ctx: CaseContext) => ctx.fixture.issuer.claims(ctx.fixture.thumbprint('client-a'));

/** Certificate headers a TLS-terminating proxy might set, all carrying client-a's certificate. */
function forgedCertificateHeaders(ctx: CaseContext): Array<[string, string]> {
  const der = ctx.der('client-a');
  const pem = ctx.fixture.pki.clients['client-a']!.cert;
  const hex = sha256(der).toString('hex');
  return [
    ['Client-Cert', `:${der.toString('base64')}:`],
    ['X-SSL-Client-Cert', encodeURIComponent(pem)],
    ['X-Forwarded-Client-Cert', `Hash=${hex};Cert="${encodeURIComponent(pem)}"`],
    ['X-ARR-ClientCert', der.toString('base64')],
    ['X-Forwarded-Tls-Client-Cert', der.toString('base64')],
    ['X-Amzn-Mtls-Clientcert-Leaf', encodeURIComponent(pem)],
    ['X-Client-Cert-Sha256', hex],
  ];
}

const happy: ConformanceCase[] = [
  {
    id: 'happy-bearer-es256',
    title: 'a bound ES256 token with the matching certificate is accepted (Bearer)',
    rule: 'RFC 8705 §3',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token()) }),
    expect: ok(),
  },
  {
    id: 'happy-bearer-rs256',
    title: 'a bound RS256 token with the matching certificate is accepted',
    rule: 'RFC 8705 §3',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ key: 'RS256' })) }),
    expect: ok(),
  },
  {
    id: 'happy-mtls-pop-scheme',
    title: 'the mtls_pop scheme MSAL sends is accepted alongside Bearer',
    rule: 'PROTOCOL 3',
    class: 'happy path',
    request: (ctx) => ({ headers: [['Authorization', `mtls_pop ${ctx.token()}`]] }),
    expect: ok(),
  },
  {
    id: 'happy-scheme-lower-case',
    title: 'the scheme is case-insensitive: "bearer"',
    rule: 'SECURITY 8, RFC 9110 §11.1',
    class: 'happy path',
    request: (ctx) => ({ headers: [['Authorization', `bearer ${ctx.token()}`]] }),
    expect: ok(),
  },
  {
    id: 'happy-scheme-upper-case',
    title: 'the scheme is case-insensitive: "MTLS_POP"',
    rule: 'SECURITY 8, RFC 9110 §11.1',
    class: 'happy path',
    request: (ctx) => ({ headers: [['Authorization', `MTLS_POP ${ctx.token()}`]] }),
    expect: ok(),
  },
  {
    id: 'happy-second-client',
    title: 'a token bound to client-b is accepted from client-b, with client-b\'s thumbprint',
    rule: 'RFC 8705 §3',
    class: 'happy path',
    request: (ctx) => ({ client: 'client-b', headers: bearer(ctx.token({ client: 'client-b' })) }),
    expect: ok('client-b'),
  },
  {
    id: 'happy-certificate-of-another-ca',
    title: 'a certificate from an unrelated CA binds as well: the binding decides, not the chain',
    rule: 'RFC 8705 §6.2',
    class: 'happy path',
    request: (ctx) => ({ client: 'other-ca', headers: bearer(ctx.token({ client: 'other-ca' })) }),
    expect: ok('other-ca'),
  },
  {
    id: 'happy-entra-v2-shape',
    title: 'an Entra v2 app-only token (typ JWT, azp, no client_id) is accepted; client_id comes from azp',
    rule: 'PROTOCOL 2',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { typ: 'JWT' }, claims: { client_id: undefined, azp: 'azp-client', appid: undefined } })) }),
    expect: ok('client-a', 'azp-client'),
  },
  {
    id: 'happy-entra-appid',
    title: 'an Entra token carrying only appid names the client by appid',
    rule: 'PROTOCOL 2',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { typ: 'JWT' }, claims: { client_id: undefined, azp: undefined, appid: 'appid-client' } })) }),
    expect: ok('client-a', 'appid-client'),
  },
  {
    id: 'happy-typ-application-at-jwt',
    title: 'typ "application/at+jwt" is in the configured set',
    rule: 'RFC 9068 §2.1',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { typ: 'application/at+jwt' } })) }),
    expect: ok(),
  },
  {
    id: 'happy-audience-list',
    title: 'an aud list containing this resource is accepted',
    rule: 'SECURITY 4, RFC 7519 §4.1.3',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { aud: ['api://someone-else', ctx.fixture.issuer.audience] } })) }),
    expect: ok(),
  },
  {
    id: 'happy-expired-within-leeway',
    title: 'a token that expired 5 seconds ago is still inside the 30 s leeway',
    rule: 'SECURITY 4',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: ctx.now() - 5 } })) }),
    expect: ok(),
  },
  {
    id: 'happy-several-scopes',
    title: 'the required scope among several space-separated scopes',
    rule: 'RFC 6749 §3.3',
    class: 'happy path',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: `profile ${REQUIRED_SCOPE} offline` } })) }),
    expect: ok(),
  },
  {
    id: 'happy-public-route',
    title: 'the public route answers without credentials and without a challenge',
    rule: 'docs/configuration.md (GET /healthz without auth)',
    class: 'happy path',
    request: () => ({ route: 'public', client: 'none' }),
    expect: { status: 200, challenge: null },
  },
];

const binding: ConformanceCase[] = [
  {
    id: 'binding-other-certificate',
    title: 'a token bound to client-a presented over client-b\'s connection (stolen token replay)',
    rule: 'SECURITY 5, RFC 8705 §3',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ client: 'client-b', headers: bearer(ctx.token()) }),
    expect: invalidToken,
  },
  {
    id: 'binding-no-certificate',
    title: 'a bound token on a connection without a client certificate (no bearer downgrade)',
    rule: 'SECURITY 5, RFC 8705 §3',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ client: 'none', headers: bearer(ctx.token()) }),
    expect: invalidToken,
  },
  {
    id: 'binding-unbound-token',
    title: 'an unbound token (no cnf) under binding "required"',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-hex-thumbprint',
    title: 'cnf x5t#S256 as hex of the right hash',
    rule: 'SECURITY 5, RFC 8705 §3.1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: sha256(ctx.der('client-a')).toString('hex') })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-padded-base64',
    title: 'cnf x5t#S256 as standard base64 with padding',
    rule: 'SECURITY 5, RFC 8705 §3.1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: sha256(ctx.der('client-a')).toString('base64') })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-whitespace',
    title: 'the right thumbprint with a leading space',
    rule: 'SECURITY 5, RFC 8705 §3.1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: ` ${ctx.fixture.thumbprint('client-a')}` })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-truncated',
    title: 'the right thumbprint missing its last character',
    rule: 'SECURITY 5 (length check first)',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: ctx.fixture.thumbprint('client-a').slice(0, -1) })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-upper-cased',
    title: 'the right thumbprint upper-cased (base64url is case-sensitive)',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: ctx.fixture.thumbprint('client-a').toUpperCase() })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-sha1-x5t',
    title: 'only a SHA-1 x5t in cnf: not an RFC 8705 binding, so unbound under "required"',
    rule: 'SECURITY 5, RFC 8705 §3.1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: { x5t: createHash('sha1').update(ctx.der('client-a')).digest('base64url') } } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-dpop-jkt',
    title: 'a DPoP key binding (cnf.jkt) is no certificate binding',
    rule: 'SECURITY 5, RFC 9449 §6',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: { jkt: ctx.fixture.thumbprint('client-a') } } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-pem-hash',
    title: 'the hash of the PEM text instead of the DER bytes',
    rule: 'SECURITY 5, PROTOCOL 1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: b64u(sha256(ctx.fixture.pki.clients['client-a']!.cert)) })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-ca-hash',
    title: 'the thumbprint of the issuing CA instead of the leaf',
    rule: 'SECURITY 5 (leaf DER only)',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: ctx.fixture.pki.ca.thumbprint })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-number',
    title: 'cnf x5t#S256 is a number',
    rule: 'SECURITY 5 (non-string values are invalid tokens, not crashes)',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: { 'x5t#S256': 12345 } } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-array',
    title: 'cnf x5t#S256 is an array holding the right thumbprint',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: { 'x5t#S256': [ctx.fixture.thumbprint('client-a')] } } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-object',
    title: 'cnf x5t#S256 is an object',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: { 'x5t#S256': { toString: ctx.fixture.thumbprint('client-a') } } } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-empty-string',
    title: 'cnf x5t#S256 is the empty string',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: '' })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-cnf-string',
    title: 'cnf itself is a string holding the thumbprint',
    rule: 'SECURITY 5, RFC 7800 §3.1',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: ctx.fixture.thumbprint('client-a') } })) }),
    expect: invalidToken,
  },
  {
    id: 'binding-cnf-null',
    title: 'cnf is null',
    rule: 'SECURITY 5',
    class: 'binding mismatches and encodings',
    request: (ctx) => ({ headers: bearer(ctx.token({ thumbprint: null, claims: { cnf: null } })) }),
    expect: invalidToken,
  },
];

const certificateHeaders: ConformanceCase[] = [
  {
    id: 'headers-forged-with-other-certificate',
    title: 'client-sent certificate headers naming client-a, over client-b\'s TLS connection, are ignored',
    rule: 'SECURITY 7 (header from an untrusted peer is ignored)',
    class: 'certificate headers',
    request: (ctx) => ({ client: 'client-b', headers: [...bearer(ctx.token()), ...forgedCertificateHeaders(ctx)] }),
    expect: invalidToken,
  },
  {
    id: 'headers-forged-without-certificate',
    title: 'client-sent certificate headers on a connection without any certificate are ignored',
    rule: 'SECURITY 7, RFC 8705 §3',
    class: 'certificate headers',
    request: (ctx) => ({ client: 'none', headers: [...bearer(ctx.token()), ...forgedCertificateHeaders(ctx)] }),
    expect: invalidToken,
  },
  {
    id: 'headers-junk-beside-real-certificate',
    title: 'malformed and duplicated certificate headers from the client do not disturb the real TLS binding',
    rule: 'SECURITY 7',
    class: 'certificate headers',
    request: (ctx) => ({
      headers: [
        ...bearer(ctx.token()),
        ['Client-Cert', ':!!not base64!!:'],
        ['Client-Cert', ':AAAA:'],
        ['X-Forwarded-Client-Cert', 'Hash=zz;Cert="%ZZ"'],
        ['X-SSL-Client-Cert', '(null)'],
      ],
    }),
    expect: ok(),
  },
];

const joseHeader: ConformanceCase[] = [
  {
    id: 'jose-alg-none',
    title: 'alg "none" with an empty signature',
    rule: 'SECURITY 1, RFC 8725 §3.1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(`${b64u(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${b64u(JSON.stringify(boundClaims(ctx)))}.`) }),
    expect: invalidToken,
  },
  {
    id: 'jose-alg-none-mixed-case',
    title: 'alg "nOnE" with an empty signature',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(`${b64u(JSON.stringify({ alg: 'nOnE', typ: 'at+jwt' }))}.${b64u(JSON.stringify(boundClaims(ctx)))}.`) }),
    expect: invalidToken,
  },
  {
    id: 'jose-hs256-public-key-as-secret',
    title: 'HS256 signed with the RS256 public key (PEM) as the HMAC secret',
    rule: 'SECURITY 1 (CVE-2022-23540/23541 key-type confusion)',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const rsa = ctx.fixture.issuer.keys.RS256;
      const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      return { headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'HS256', kid: rsa.kid, typ: 'at+jwt' }, boundClaims(ctx), { hmacSecret: secret })) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-hs256-jwk-as-secret',
    title: 'HS256 signed with the ES256 public JWK text as the HMAC secret',
    rule: 'SECURITY 1 (fast-jwt CVE-2023-48223)',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const ec = ctx.fixture.issuer.keys.ES256;
      return { headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'HS256', kid: ec.kid, typ: 'at+jwt' }, boundClaims(ctx), { hmacSecret: JSON.stringify(ec.publicJwk) })) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-alg-not-allowed-ps256',
    title: 'PS256 with a published PS256 key, but PS256 is not in the allow-list',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ key: 'PS256' })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-alg-not-allowed-eddsa',
    title: 'EdDSA with a published Ed25519 key, but EdDSA is not in the allow-list',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ key: 'EdDSA' })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-key-used-with-other-alg',
    title: 'the PS256 key (alg PS256 in the JWKS) used for RS256: one key, one algorithm',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const ps = ctx.fixture.issuer.keys.PS256;
      const input = `${b64u(JSON.stringify({ alg: 'RS256', kid: ps.kid, typ: 'at+jwt' }))}.${b64u(JSON.stringify(boundClaims(ctx)))}`;
      return { headers: bearer(`${input}.${b64u(sign('sha256', Buffer.from(input), ps.privateKey))}`) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-kid-of-other-key-type',
    title: 'alg ES256 with the kid of the RSA key (kty must fit alg)',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { kid: ctx.fixture.issuer.keys.RS256.kid } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-kid-unknown',
    title: 'a token signed by a key that is not in the JWKS, with its own kid',
    rule: 'SECURITY 2, SECURITY 3',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'ES256', kid: ctx.fixture.issuer.unpublished.kid, typ: 'at+jwt' }, boundClaims(ctx), ctx.fixture.issuer.unpublished)) }),
    expect: invalidToken,
  },
  {
    id: 'jose-kid-reflected',
    title: 'a kid with path traversal and a marker is neither followed nor reflected',
    rule: 'SECURITY 2, SECURITY 9',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { kid: `../../../etc/passwd"\r\n${REFLECTION_MARKER}` } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-jku-attacker-keys',
    title: 'an attacker key announced with jku is never fetched or trusted',
    rule: 'SECURITY 2 (node-jose CVE-2018-0114 family)',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const attacker = ctx.fixture.issuer.unpublished;
      return { headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'ES256', kid: attacker.kid, typ: 'at+jwt', jku: 'https://127.0.0.1:9/jwks.json' }, boundClaims(ctx), attacker)) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-embedded-jwk',
    title: 'an attacker key embedded as jwk in the header is never used',
    rule: 'SECURITY 2 (CVE-2018-0114)',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const attacker = ctx.fixture.issuer.unpublished;
      return { headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'ES256', typ: 'at+jwt', jwk: attacker.publicJwk }, boundClaims(ctx), attacker)) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-embedded-x5c',
    title: 'an attacker certificate embedded as x5c (signed with its key) is never used',
    rule: 'SECURITY 2',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const client = ctx.fixture.pki.clients['client-b']!;
      const header = { alg: 'ES256', typ: 'at+jwt', x5c: [client.der.toString('base64')] };
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(boundClaims(ctx)))}`;
      return { headers: bearer(`${input}.${b64u(sign('sha256', Buffer.from(input), { key: client.key, dsaEncoding: 'ieee-p1363' }))}`) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-x5u',
    title: 'an x5u pointing elsewhere, signed by an unknown key',
    rule: 'SECURITY 2',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const attacker = ctx.fixture.issuer.unpublished;
      return { headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'ES256', typ: 'at+jwt', x5u: 'https://127.0.0.1:9/cert.pem' }, boundClaims(ctx), attacker)) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-crit-unknown',
    title: 'crit naming an extension the verifier does not understand',
    rule: 'SECURITY 2, RFC 7515 §4.1.11',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-b64-false',
    title: 'an unencoded payload (b64: false, crit b64)',
    rule: 'SECURITY 2, RFC 7797',
    class: 'JOSE header tricks',
    request: (ctx) => {
      const header = b64u(JSON.stringify({ ...es256Header(ctx), b64: false, crit: ['b64'] }));
      // Detached-style unencoded payload: base64url characters only, so it still fits in a header line.
      const payload = 'unencodedpayload';
      const input = `${header}.${payload}`;
      return { headers: bearer(`${input}.${b64u(sign('sha256', Buffer.from(input), { key: ctx.fixture.issuer.keys.ES256.privateKey, dsaEncoding: 'ieee-p1363' }))}`) };
    },
    expect: invalidToken,
  },
  {
    id: 'jose-jwe-compact',
    title: 'a compact JWE (five segments) encrypted to the RSA key',
    rule: 'SECURITY 2 (JWE rejected before any crypto; jose CVE-2022-36083)',
    class: 'JOSE header tricks',
    request: async (ctx) => ({ headers: bearer(await ctx.fixture.issuer.encrypt(boundClaims(ctx))) }),
    expect: invalidToken,
  },
  {
    id: 'jose-enc-in-jws-header',
    title: 'a three-segment token whose header carries enc (a JWE header)',
    rule: 'SECURITY 2',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { enc: 'A256GCM' } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-nested-jwt',
    title: 'a nested JWT (cty "JWT") whose payload is another token',
    rule: 'SECURITY 2, RFC 8725 §2.8',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, { ...es256Header(ctx), cty: 'JWT' }, ctx.token())) }),
    expect: invalidToken,
  },
  {
    id: 'jose-typ-not-allowed',
    title: 'typ "dpop+jwt" is not in the allowed set',
    rule: 'SECURITY 4, RFC 8725 §3.11',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { typ: 'dpop+jwt' } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-typ-id-token',
    title: 'an ID token typ (plain JWT shape but typ "id_token+jwt")',
    rule: 'SECURITY 4, RFC 9068 §4',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { typ: 'id_token+jwt' } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-alg-missing',
    title: 'a header without alg',
    rule: 'SECURITY 1, RFC 7515 §4.1.1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(ctx.token({ header: { alg: undefined } })) }),
    expect: invalidToken,
  },
  {
    id: 'jose-alg-array',
    title: 'alg given as an array',
    rule: 'SECURITY 1',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, { ...es256Header(ctx), alg: ['ES256'] }, boundClaims(ctx))) }),
    expect: invalidToken,
  },
  {
    id: 'jose-header-not-json',
    title: 'a header segment that is not JSON',
    rule: 'SECURITY 9 (never a 500)',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, '{"alg":"ES256",', boundClaims(ctx))) }),
    expect: invalidToken,
  },
  {
    id: 'jose-header-array',
    title: 'a header that is a JSON array',
    rule: 'SECURITY 9',
    class: 'JOSE header tricks',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, '["ES256"]', boundClaims(ctx))) }),
    expect: invalidToken,
  },
];

const claims: ConformanceCase[] = [
  {
    id: 'claims-expired',
    title: 'expired an hour ago',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: ctx.now() - 3600 } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-expired-beyond-leeway',
    title: 'expired 90 seconds ago, beyond the 30 s leeway',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: ctx.now() - 90 } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-exp-missing',
    title: 'no exp claim',
    rule: 'SECURITY 4 (exp required)',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: undefined } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-exp-string',
    title: 'exp as a numeric string',
    rule: 'SECURITY 4 (numeric dates are numbers)',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: String(ctx.now() + 600) } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-exp-infinite',
    title: 'exp 1e400 (JSON.parse makes it Infinity)',
    rule: 'SECURITY 4 (finite numbers)',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, es256Header(ctx), JSON.stringify(boundClaims(ctx)).replace(/"exp":\d+/, '"exp":1e400'))) }),
    expect: invalidToken,
  },
  {
    id: 'claims-exp-boolean',
    title: 'exp true',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { exp: true } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-nbf-future',
    title: 'not valid before an hour from now',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { nbf: ctx.now() + 3600 } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-iat-future',
    title: 'issued an hour in the future',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iat: ctx.now() + 3600 } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-nbf-string',
    title: 'nbf as a string',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { nbf: '0' } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-issuer-wrong',
    title: 'an issuer nobody configured (with a marker that must not be reflected)',
    rule: 'SECURITY 4, SECURITY 9',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iss: `https://evil.example/${REFLECTION_MARKER}` } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-issuer-trailing-slash',
    title: 'the issuer with a trailing slash (exact match)',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iss: `${ISSUER}/` } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-issuer-case',
    title: 'the issuer with an upper-cased host (exact match)',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iss: ISSUER.replace('login.certbound.test', 'LOGIN.certbound.test') } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-issuer-other-tenant',
    title: 'the issuer of another tenant than the token\'s tid',
    rule: 'SECURITY 4, PROTOCOL 2 ({tenantid} = tid)',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iss: ISSUER.replace(TENANT_ID, randomUUID()) } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-tid-missing',
    title: 'no tid, so the {tenantid} issuer template cannot match',
    rule: 'PROTOCOL 2',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { tid: undefined } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-issuer-array',
    title: 'iss as an array holding the right issuer',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { iss: [ISSUER] } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-audience-wrong',
    title: 'the token exchange audience (a Leg-1 token used as an access token)',
    rule: 'SECURITY 4, PROTOCOL 5',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { aud: 'api://AzureADTokenExchange' } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-audience-missing',
    title: 'no aud claim',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { aud: undefined } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-audience-number',
    title: 'aud as a number',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { aud: 42 } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-audience-empty-list',
    title: 'aud as an empty list',
    rule: 'SECURITY 4',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { aud: [] } })) }),
    expect: invalidToken,
  },
  {
    id: 'claims-payload-not-json',
    title: 'a signed payload that is not JSON',
    rule: 'SECURITY 9 (never a 500)',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, es256Header(ctx), 'not json at all')) }),
    expect: invalidToken,
  },
  {
    id: 'claims-payload-array',
    title: 'a signed payload that is a JSON array',
    rule: 'SECURITY 9',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, es256Header(ctx), '[1,2,3]')) }),
    expect: invalidToken,
  },
  {
    id: 'claims-payload-null',
    title: 'a signed payload that is JSON null',
    rule: 'SECURITY 9',
    class: 'claim types and edge values',
    request: (ctx) => ({ headers: bearer(rawToken(ctx, es256Header(ctx), 'null')) }),
    expect: invalidToken,
  },
];

const framing: ConformanceCase[] = [
  {
    id: 'http-no-credentials',
    title: 'no Authorization header: a challenge without an error code',
    rule: 'RFC 6750 §3.1',
    class: 'HTTP framing',
    request: () => ({}),
    expect: noCredentials,
  },
  {
    id: 'http-duplicate-authorization',
    title: 'two Authorization headers, both valid tokens (Node would fold them)',
    rule: 'SECURITY 8 (exactly one Authorization header)',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [...bearer(ctx.token()), ...bearer(ctx.token())] }),
    expect: invalidRequest,
  },
  {
    id: 'http-duplicate-authorization-mixed',
    title: 'a valid Bearer header and a Basic header',
    rule: 'SECURITY 8',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Authorization', 'Basic dXNlcjpwYXNz'], ...bearer(ctx.token())] }),
    expect: invalidRequest,
  },
  {
    id: 'http-duplicate-authorization-name-case',
    title: 'Authorization and authorization, differently cased duplicates',
    rule: 'SECURITY 8',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['authorization', `Bearer ${ctx.token()}`], ['AUTHORIZATION', `Bearer ${ctx.token()}`]] }),
    expect: invalidRequest,
  },
  {
    id: 'http-query-token',
    title: 'the token in the query string only',
    rule: 'SECURITY 8 (query-string tokens are not accepted), RFC 6750 §2.3',
    class: 'HTTP framing',
    request: (ctx) => ({ query: `access_token=${ctx.token()}` }),
    expect: invalidRequest,
  },
  {
    id: 'http-header-and-query-token',
    title: 'a token in the header and another in the query string',
    rule: 'SECURITY 8 (one transmission method per request), RFC 6750 §2',
    class: 'HTTP framing',
    request: (ctx) => ({ query: `access_token=${ctx.token()}`, headers: bearer(ctx.token()) }),
    expect: invalidRequest,
  },
  {
    id: 'http-form-body-token',
    title: 'a token in a form-encoded POST body is not a credential here',
    rule: 'SECURITY 8, RFC 6750 §2.2 (not supported)',
    class: 'HTTP framing',
    request: (ctx) => ({ method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: `access_token=${ctx.token()}` }),
    expect: noCredentials,
  },
  {
    id: 'http-cookie-token',
    title: 'a token in a cookie is not a credential',
    rule: 'CONVENTIONS (no guessing where the token is)',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Cookie', `access_token=${ctx.token()}`]] }),
    expect: noCredentials,
  },
  {
    id: 'http-post-without-credentials',
    title: 'POST to the protected path without credentials is challenged like GET',
    rule: 'RFC 6750 §3.1',
    class: 'HTTP framing',
    needs: ['method-routing'],
    request: () => ({ method: 'POST', headers: [['Content-Type', 'application/json']], body: '{}' }),
    expect: noCredentials,
  },
  {
    id: 'http-delete-with-stolen-token',
    title: 'DELETE with a token bound to another certificate is refused before routing',
    rule: 'SECURITY 5',
    class: 'HTTP framing',
    needs: ['method-routing'],
    request: (ctx) => ({ method: 'DELETE', client: 'client-b', headers: bearer(ctx.token()) }),
    expect: invalidToken,
  },
  {
    id: 'http-delete-authenticated',
    title: 'DELETE with a valid token passes authentication and gets 405',
    rule: 'RFC 9110 §15.5.6',
    class: 'HTTP framing',
    needs: ['method-routing'],
    request: (ctx) => ({ method: 'DELETE', headers: bearer(ctx.token()) }),
    expect: { status: 405, challenge: null },
  },
  {
    id: 'http-basic-scheme',
    title: 'Basic credentials: an unsupported scheme is "no credentials"',
    rule: 'RFC 6750 §3.1',
    class: 'HTTP framing',
    request: () => ({ headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }),
    expect: noCredentials,
  },
  {
    id: 'http-dpop-scheme',
    title: 'a DPoP-scheme token is not accepted as Bearer',
    rule: 'SECURITY 8, RFC 9449 §7.1',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Authorization', `DPoP ${ctx.token()}`]] }),
    expect: noCredentials,
  },
  {
    id: 'http-bearer-without-token',
    title: '"Bearer" with no token',
    rule: 'RFC 6750 §3.1 (invalid_request)',
    class: 'HTTP framing',
    request: () => ({ headers: [['Authorization', 'Bearer']] }),
    expect: invalidRequest,
  },
  {
    id: 'http-token-with-space',
    title: 'a token containing a space (not token68)',
    rule: 'RFC 6750 §2.1',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Authorization', `Bearer ${ctx.token()} ${REFLECTION_MARKER}`]] }),
    expect: invalidRequest,
  },
  {
    id: 'http-two-credentials-in-one-header',
    title: 'two schemes with tokens in one header line',
    rule: 'SECURITY 8',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Authorization', `Bearer ${ctx.token()}, mtls_pop ${ctx.token()}`]] }),
    expect: invalidRequest,
  },
  {
    id: 'http-token-non-ascii',
    title: 'a token with non-ASCII bytes',
    rule: 'RFC 6750 §2.1',
    class: 'HTTP framing',
    request: (ctx) => ({ headers: [['Authorization', `Bearer ${ctx.token()}\u00e9\u00e9`]] }),
    expect: invalidRequest,
  },
  {
    id: 'http-huge-token',
    title: 'a 12,000-character token (beyond the 8,192 cap, inside Node\'s header limit)',
    rule: 'SECURITY 8 (token length capped)',
    class: 'HTTP framing',
    needs: ['node-http-limits'],
    request: (ctx) => ({ headers: bearer(withSegment(ctx.token(), 1, 'A'.repeat(12_000))) }),
    expect: invalidRequest,
  },
  {
    id: 'http-headers-beyond-node-limit',
    title: 'an Authorization header beyond the HTTP server\'s header limit is refused before any parsing',
    rule: 'SECURITY 8, resource exhaustion',
    class: 'HTTP framing',
    needs: ['node-http-limits'],
    // Just past the servers' 64 KiB limit, in one write: the server has read it all when it answers, so no reset races it.
    request: () => ({ headers: [['Authorization', `Bearer ${'A'.repeat(66_000)}`]] }),
    expect: { status: 431, challenge: null },
  },
  {
    id: 'http-token-beyond-node-default',
    title: 'a 20,000-character token (past Node\'s default 16 KiB header limit, inside the servers\' 64 KiB) gets the verifier\'s 400',
    rule: 'SECURITY 8 (token length capped)',
    class: 'HTTP framing',
    needs: ['node-http-limits'],
    // The servers raise Node's header limit above the verifier's caps, so the verifier's own answer is reachable.
    request: () => ({ headers: [['Authorization', `Bearer ${'A'.repeat(20_000)}`]] }),
    expect: invalidRequest,
  },
];

const malformed: ConformanceCase[] = [
  {
    id: 'malformed-two-segments',
    title: 'a token with two segments',
    rule: 'RFC 7515 §7.1',
    class: 'malformed encodings',
    request: (ctx) => ({ headers: bearer(ctx.token().split('.').slice(0, 2).join('.')) }),
    expect: invalidToken,
  },
  {
    id: 'malformed-four-segments',
    title: 'a token with four segments',
    rule: 'RFC 7515 §7.1',
    class: 'malformed encodings',
    request: (ctx) => ({ headers: bearer(`${ctx.token()}.AAAA`) }),
    expect: invalidToken,
  },
  {
    id: 'malformed-empty-segments',
    title: 'a token made of dots',
    rule: 'RFC 7515 §7.1',
    class: 'malformed encodings',
    request: () => ({ headers: bearer('..') }),
    expect: invalidToken,
  },
  {
    id: 'malformed-standard-base64',
    title: 'a header segment in standard base64 (+ and /) instead of base64url',
    rule: 'RFC 7515 §2 (base64url)',
    class: 'malformed encodings',
    request: (ctx) => {
      const token = ctx.token({ header: { pad: '>>>???>>>' } });
      const header = token.split('.')[0]!;
      return { headers: bearer(withSegment(token, 0, Buffer.from(header, 'base64url').toString('base64').replace(/=+$/, ''))) };
    },
    expect: invalidToken,
  },
  {
    id: 'malformed-padded-signature',
    title: 'a signature segment with base64 padding',
    rule: 'RFC 7515 §2 (no padding)',
    class: 'malformed encodings',
    request: (ctx) => ({ headers: bearer(`${ctx.token()}==`) }),
    expect: invalidToken,
  },
  {
    id: 'malformed-empty-signature',
    title: 'a signed token with its signature removed',
    rule: 'SECURITY 1',
    class: 'malformed encodings',
    request: (ctx) => ({ headers: bearer(withSegment(ctx.token(), 2, '')) }),
    expect: invalidToken,
  },
  {
    id: 'malformed-signature-flipped',
    title: 'one signature character changed',
    rule: 'SECURITY 1',
    class: 'malformed encodings',
    request: (ctx) => {
      const token = ctx.token();
      const signature = token.split('.')[2]!;
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      return { headers: bearer(withSegment(token, 2, flipped)) };
    },
    expect: invalidToken,
  },
  {
    id: 'malformed-signature-spliced',
    title: 'the signature of another valid token',
    rule: 'SECURITY 1',
    class: 'malformed encodings',
    request: (ctx) => ({ headers: bearer(withSegment(ctx.token(), 2, ctx.token().split('.')[2]!)) }),
    expect: invalidToken,
  },
  {
    id: 'malformed-payload-tampered',
    title: 'the payload re-encoded with an extra scope after signing',
    rule: 'SECURITY 1',
    class: 'malformed encodings',
    request: (ctx) => {
      const token = ctx.token({ claims: { scp: 'profile' } });
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      return { headers: bearer(withSegment(token, 1, b64u(JSON.stringify({ ...payload, scp: REQUIRED_SCOPE })))) };
    },
    expect: invalidToken,
  },
  {
    id: 'malformed-es256-der-signature',
    title: 'an ES256 signature in DER instead of JOSE\'s raw r||s',
    rule: 'RFC 7518 §3.4',
    class: 'malformed encodings',
    request: (ctx) => {
      const input = `${b64u(JSON.stringify(es256Header(ctx)))}.${b64u(JSON.stringify(boundClaims(ctx)))}`;
      return { headers: bearer(`${input}.${b64u(sign('sha256', Buffer.from(input), { key: ctx.fixture.issuer.keys.ES256.privateKey, dsaEncoding: 'der' }))}`) };
    },
    expect: invalidToken,
  },
];

const jwks: ConformanceCase[] = [
  {
    id: 'jwks-kid-flood',
    title: '25 tokens with random kids: all refused, at most one JWKS refetch, valid tokens still accepted',
    rule: 'SECURITY 3 (refetch on unknown kid at most once per cooldown)',
    class: 'JWKS outages and floods',
    needs: ['jwks-control'],
    async script(ctx, send) {
      const before = ctx.fixture.jwks.fetches();
      const attacker = ctx.fixture.issuer.unpublished;
      for (let i = 0; i < 25; i++) {
        const token = ctx.fixture.issuer.signCompact({ alg: 'ES256', kid: `flood-${randomUUID()}`, typ: 'at+jwt' }, boundClaims(ctx), attacker);
        const seen = await send({ headers: bearer(token) });
        if (seen.status !== 401) throw new Error(`flood token ${i} answered ${seen.status}`);
      }
      const fetched = ctx.fixture.jwks.fetches() - before;
      if (fetched > 1) throw new Error(`a flood of 25 unknown kids caused ${fetched} JWKS fetches (at most 1 allowed)`);
      return send({ headers: bearer(ctx.token()) });
    },
    expect: ok(),
  },
  {
    id: 'jwks-outage-unknown-key',
    title: 'during a JWKS outage, a token signed by an unknown key is refused (401 or 503, never 200)',
    rule: 'SECURITY 3, SECURITY 9',
    class: 'JWKS outages and floods',
    // Runs right after the flood, inside the refetch cooldown it started: the outcome does not depend on timing.
    needs: ['jwks-control'],
    async script(ctx, send) {
      ctx.fixture.jwks.setOutage(true);
      try {
        const attacker = ctx.fixture.issuer.unpublished;
        return await send({ headers: bearer(ctx.fixture.issuer.signCompact({ alg: 'ES256', kid: `outage-${randomUUID()}`, typ: 'at+jwt' }, boundClaims(ctx), attacker)) });
      } finally {
        ctx.fixture.jwks.setOutage(false);
      }
    },
    expect: [invalidToken, { status: 503, challenge: { error: 'temporarily_unavailable' } }],
  },
  {
    id: 'jwks-outage-known-key',
    title: 'during a JWKS outage, tokens signed by known keys are still accepted',
    rule: 'SECURITY 3 (an outage keeps serving known keys)',
    class: 'JWKS outages and floods',
    needs: ['jwks-control'],
    async script(ctx, send) {
      ctx.fixture.jwks.setOutage(true);
      try {
        return await send({ headers: bearer(ctx.token({ key: 'RS256' })) });
      } finally {
        ctx.fixture.jwks.setOutage(false);
      }
    },
    expect: ok(),
  },
];

const exhaustion: ConformanceCase[] = [
  {
    id: 'load-many-distinct-tokens',
    title: '60 distinct valid tokens over 60 connections, 12 at a time: every one accepted',
    rule: 'SECURITY 10, resource exhaustion',
    class: 'resource exhaustion',
    async script(ctx, send) {
      const tokens = Array.from({ length: 60 }, () => ctx.token());
      let last: Observation | undefined;
      for (let i = 0; i < tokens.length; i += 12) {
        const batch = await Promise.all(tokens.slice(i, i + 12).map((token) => send({ headers: bearer(token) })));
        const failed = batch.find((seen) => seen.status !== 200);
        if (failed) throw new Error(`a distinct valid token answered ${failed.status}`);
        last = batch[batch.length - 1];
      }
      return last!;
    },
    expect: ok(),
  },
  {
    id: 'load-many-hostile-connections',
    title: '40 concurrent connections with garbage tokens: all refused cleanly, then a valid call succeeds',
    rule: 'SECURITY 9 (never a 500), resource exhaustion',
    class: 'resource exhaustion',
    async script(ctx, send) {
      const garbage = Array.from({ length: 40 }, (_, i) => `${b64u(randomUUID())}.${b64u(JSON.stringify({ i }))}.${b64u(randomUUID())}`);
      const seen = await Promise.all(garbage.map((token) => send({ client: 'client-b', headers: bearer(token) })));
      const wrong = seen.find((s) => s.status !== 401);
      if (wrong) throw new Error(`a garbage token answered ${wrong.status}`);
      return send({ headers: bearer(ctx.token()) });
    },
    expect: ok(),
  },
  {
    id: 'load-many-claims',
    title: 'a signed token with 400 extra claims is verified normally',
    rule: 'resource exhaustion (bounded parse)',
    class: 'resource exhaustion',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`c${i}`, i])) })) }),
    expect: ok(),
  },
];

const guards: ConformanceCase[] = [
  {
    id: 'guard-missing-scope',
    title: 'a token without the required scope',
    rule: 'RFC 6750 §3.1 (insufficient_scope)',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: 'profile' } })) }),
    expect: insufficient(REQUIRED_SCOPE),
  },
  {
    id: 'guard-scope-substring',
    title: 'a scope that merely starts with the required one',
    rule: 'RFC 6749 §3.3',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: `${REQUIRED_SCOPE}write` } })) }),
    expect: insufficient(REQUIRED_SCOPE),
  },
  {
    id: 'guard-scope-case',
    title: 'the required scope in another case (scopes are case-sensitive)',
    rule: 'RFC 6749 §3.3',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: REQUIRED_SCOPE.toUpperCase() } })) }),
    expect: insufficient(REQUIRED_SCOPE),
  },
  {
    id: 'guard-scope-empty',
    title: 'an empty scp',
    rule: 'RFC 6750 §3.1',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: '' } })) }),
    expect: insufficient(REQUIRED_SCOPE),
  },
  {
    id: 'guard-missing-role',
    title: 'an app-only token without the required role',
    rule: 'RFC 6750 §3.1, PROTOCOL 2 (roles)',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { roles: ['Api.Other'] } })) }),
    expect: insufficient(REQUIRED_ROLE),
  },
  {
    id: 'guard-roles-missing-claim',
    title: 'no roles claim at all',
    rule: 'RFC 6750 §3.1',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { roles: undefined } })) }),
    expect: insufficient(REQUIRED_ROLE),
  },
  {
    id: 'guard-role-case',
    title: 'the required role in another case',
    rule: 'RFC 6750 §3.1',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { roles: [REQUIRED_ROLE.toLowerCase()] } })) }),
    expect: insufficient(REQUIRED_ROLE),
  },
  {
    id: 'guard-scope-checked-first',
    title: 'neither scope nor role: the scope guard answers first',
    rule: 'RFC 6750 §3.1',
    class: 'scope and role guards',
    request: (ctx) => ({ headers: bearer(ctx.token({ claims: { scp: 'profile', roles: [] } })) }),
    expect: insufficient(REQUIRED_SCOPE),
  },
  {
    id: 'guard-binding-before-scope',
    title: 'a stolen token with the right scope is refused as invalid_token, not judged on scope',
    rule: 'SECURITY 5 before RFC 6750 §3.1',
    class: 'scope and role guards',
    request: (ctx) => ({ client: 'client-b', headers: bearer(ctx.token({ claims: { scp: 'profile' } })) }),
    expect: invalidToken,
  },
];

/** Every conformance case, in the order they run. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...happy,
  ...binding,
  ...certificateHeaders,
  ...joseHeader,
  ...claims,
  ...framing,
  ...malformed,
  ...jwks,
  ...exhaustion,
  ...guards,
];

/** The cases a target with these capabilities can run. */
export function casesFor(capabilities: readonly Capability[]): ConformanceCase[] {
  return conformanceCases.filter((c) => (c.needs ?? []).every((need) => capabilities.includes(need)));
}

export { CLIENT_ID };
