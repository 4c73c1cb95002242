/**
 * Token introspection (RFC 7662) as a second way to obtain verified claims: the verifier hands a token that is not
 * a JWT (or, by option, every token) to the authorization server, and decides the answer on the same pipeline as
 * a JWT's claims: issuer, audience, required claims, time claims and `cnf["x5t#S256"]` under the binding policy.
 * @see RFC 7662 §2; RFC 8705 §3.2; RFC 9701; docs/security.md rules 3, 5 and 9
 */
import { Agent } from 'node:https';
import type { KeyObject } from 'node:crypto';
import type { ErrorCode, JoseHeader, JwsAlgorithm } from '../types.js';
import { readBinding, type TokenBinding } from '../binding/binding.js';
import { clientIdOf, subjectOf } from '../claims/identity.js';
import { checkClaims, type ClaimRules, type TokenTimes } from '../claims/validate.js';
import { invalidOption } from '../errors.js';
import { deepFreeze } from '../jose/freeze.js';
import { parseJsonObject } from '../jose/json.js';
import { createHeaderChecker } from '../jose/jws.js';
import type { KeyStore } from '../keys/key-store.js';
import type { CoreTelemetry, HttpSpan } from '../telemetry/telemetry.js';
import { checkJwksUri } from '../keys/remote-keys.js';
import { signatureStage, structureStage } from '../verify/stages.js';
import { IntrospectionCache } from './cache.js';
import { CLIENT_AUTH_METHODS, clientCredentials, type IntrospectionClientAuth } from './client-auth.js';
import { postForm } from './request.js';

/** `token_type` values naming something other than an access token (refresh tokens, ID tokens). */
const NOT_ACCESS_TOKEN = /refresh|id[_ -]?token/i;

export type { IntrospectionClientAuth } from './client-auth.js';

/** Options of {@link introspection}. Checked when it is called (a ConfigurationError names the field). */
export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint, https only. */
  endpoint: string;
  /** This resource's client id at the authorization server. */
  clientId: string;
  /** How the resource authenticates to the endpoint. */
  clientAuth: IntrospectionClientAuth;
  /** For client_secret_basic. */
  clientSecret?: string;
  /** PEM text or KeyObject signing private_key_jwt assertions (RSA → RS256, P-256 → ES256, P-384 → ES384, Ed25519). */
  privateKey?: string | KeyObject;
  /** PEM texts: `cert` and `key` are the resource's own certificate for tls_client_auth; `ca` the AS's trust roots. */
  tls?: { cert?: string; key?: string; ca?: string | string[] };
  /** Which tokens are introspected: those that are not JWTs (default), or all. */
  tokens?: 'opaque' | 'all';
  /** Longest time an active answer is reused, never past the token's `exp`. 0 disables caching. Default 60. */
  cacheMaxSeconds?: number;
  /** How long an inactive (or refused) answer is reused, at most `cacheMaxSeconds`. Default 5. */
  inactiveCacheSeconds?: number;
  /** Most answers kept. Default 10000. */
  cacheMaxEntries?: number;
  /** Deadline of one introspection call in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Largest response accepted, in bytes. Default 65536. */
  maxResponseBytes?: number;
  /**
   * `json` (RFC 7662, default) or `jwt`: ask for `application/token-introspection+jwt` and verify the response with
   * the verifier's `keys` (RFC 9701).
   */
  responseFormat?: 'json' | 'jwt';
}

/** What an introspection answer gives the verifier's last stage (the fields a verified JWT gives it too). */
export interface IntrospectedToken {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly header: JoseHeader;
  readonly times: TokenTimes;
  readonly binding: TokenBinding;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
}

/** What the verifier tells introspection when it opens it. */
export interface IntrospectionContext {
  readonly clock: () => number;
  readonly rules: ClaimRules;
  /** The verifier's keys, for RFC 9701 responses; null when it has none. */
  readonly keyStore: KeyStore | null;
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  /** The verifier's OpenTelemetry (a span and a count per introspection request), null when off. */
  readonly telemetry?: CoreTelemetry | null;
}

/** One verifier's introspection client. `introspect` never rejects. */
export interface Introspector {
  introspect(token: string): IntrospectedToken | ErrorCode | Promise<IntrospectedToken | ErrorCode>;
  close(): void;
}

/** The value the verifier's `introspection` option takes. */
export interface IntrospectionSource {
  readonly kind: 'introspection';
  readonly tokens: 'opaque' | 'all';
  readonly responseFormat: 'json' | 'jwt';
  open(context: IntrospectionContext): Introspector;
}

const FIELD = 'introspection';
const KNOWN = new Set([
  'endpoint', 'clientId', 'clientAuth', 'clientSecret', 'privateKey', 'tls', 'tokens', 'cacheMaxSeconds', 'inactiveCacheSeconds',
  'cacheMaxEntries', 'timeoutMs', 'maxResponseBytes', 'responseFormat',
]);
const JWT_RESPONSE_TYPE = 'application/token-introspection+jwt';
/** Opaque answers have no JOSE header; this one says so to code that reads `result.header`. */
const NO_HEADER: JoseHeader = Object.freeze({ alg: 'none', typ: 'token-introspection' });

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalidOption(`${FIELD}.${name}`, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function choice<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) invalidOption(`${FIELD}.${name}`, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return value as T;
}

function pemText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.includes('-----BEGIN ')) invalidOption(`${FIELD}.${name}`, 'must be PEM text');
  return value;
}

/**
 * Introspect tokens at an RFC 7662 endpoint, for the verifier's `introspection` option.
 * @example
 * ```ts
 * createVerifier({ issuer, audience, algorithms: ['ES256'], keys: remoteKeys({ uri }),
 *   introspection: introspection({ endpoint: 'https://as.example/introspect', clientId: 'orders-api',
 *     clientAuth: 'client_secret_basic', clientSecret }) });
 * ```
 * @see RFC 7662; RFC 8705 §3.2
 */
export function introspection(options: IntrospectionOptions): IntrospectionSource {
  if (typeof options !== 'object' || options === null) invalidOption(FIELD, 'must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) invalidOption(`${FIELD}.${key}`, 'is not a known option');
  const endpoint = checkJwksUri(options.endpoint, `${FIELD}.endpoint`);
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) invalidOption(`${FIELD}.clientId`, 'must be a non-empty string');
  if (options.clientAuth === undefined) invalidOption(`${FIELD}.clientAuth`, `is required: one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  const method = choice(options.clientAuth, 'clientAuth', CLIENT_AUTH_METHODS, options.clientAuth);
  const tls = options.tls ?? {};
  if (typeof tls !== 'object' || tls === null) invalidOption(`${FIELD}.tls`, 'must be an object { cert, key, ca }');
  const cert = pemText(tls.cert, 'tls.cert');
  const key = pemText(tls.key, 'tls.key');
  const ca = tls.ca === undefined ? undefined : ([] as unknown[]).concat(tls.ca).map((entry, index) => pemText(entry, `tls.ca[${index}]`)!);
  if (method === 'tls_client_auth' && (cert === undefined || key === undefined)) invalidOption(`${FIELD}.tls`, 'needs cert and key for tls_client_auth');
  const cacheMaxSeconds = integer(options.cacheMaxSeconds, 'cacheMaxSeconds', 0, 86_400, 60);
  const settings = {
    endpoint,
    clientId: options.clientId,
    tokens: choice(options.tokens, 'tokens', ['opaque', 'all'] as const, 'opaque'),
    responseFormat: choice(options.responseFormat, 'responseFormat', ['json', 'jwt'] as const, 'json'),
    cacheMaxSeconds,
    inactiveCacheSeconds: Math.min(cacheMaxSeconds, integer(options.inactiveCacheSeconds, 'inactiveCacheSeconds', 0, 3600, 5)),
    cacheMaxEntries: integer(options.cacheMaxEntries, 'cacheMaxEntries', 1, 10_000_000, 10_000),
    timeoutMs: integer(options.timeoutMs, 'timeoutMs', 1, 120_000, 5000),
    maxResponseBytes: integer(options.maxResponseBytes, 'maxResponseBytes', 256, 16_777_216, 65_536),
  };
  // Built now, so a missing secret or a bad key fails at startup. Assertions carry real time: the AS checks them
  // against its own clock, whatever clock the verifier runs on.
  const credentials = clientCredentials(
    { method, clientId: options.clientId, clientSecret: options.clientSecret, privateKey: options.privateKey, audience: endpoint, clock: Date.now },
    FIELD,
  );
  return Object.freeze({
    kind: 'introspection' as const,
    tokens: settings.tokens,
    responseFormat: settings.responseFormat,
    open(context: IntrospectionContext): Introspector {
      if (settings.responseFormat === 'jwt' && context.keyStore === null) invalidOption(`${FIELD}.responseFormat`, '"jwt" needs the verifier\'s keys to verify responses');
      const agent = new Agent({ keepAlive: true, maxSockets: 16, ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) });
      return openIntrospector(settings, credentials, agent, context);
    },
  });
}

type Settings = {
  readonly endpoint: string;
  readonly clientId: string;
  readonly responseFormat: 'json' | 'jwt';
  readonly cacheMaxSeconds: number;
  readonly inactiveCacheSeconds: number;
  readonly cacheMaxEntries: number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
};
type Outcome = IntrospectedToken | ErrorCode;

const UNAVAILABLE: ErrorCode = 'ERR_INTROSPECTION_UNAVAILABLE';

/** What the telemetry learns of one exchange: the HTTP status (0 without a response) and a transport error. */
interface Exchange {
  status: number;
  error: string | undefined;
}

function reportIntrospection(telemetry: CoreTelemetry, span: HttpSpan | null, outcome: Outcome, exchange: Exchange): void {
  const kind = typeof outcome !== 'string' ? 'active' : outcome === 'ERR_TOKEN_INACTIVE' ? 'inactive' : outcome === UNAVAILABLE ? 'unavailable' : 'refused';
  const code = typeof outcome === 'string' ? outcome : undefined;
  telemetry.introspected(kind, code);
  // error.type: the transport error, else an HTTP error status, else an unusable answer (media type or body).
  const failed = kind !== 'unavailable' ? undefined : (exchange.error ?? (exchange.status >= 400 ? String(exchange.status) : 'invalid_response'));
  span?.end(exchange.status, failed, { 'certbound.introspection.outcome': kind });
}

function openIntrospector(settings: Settings, credentials: ReturnType<typeof clientCredentials>, agent: Agent, context: IntrospectionContext): Introspector {
  const { clock, rules, keyStore } = context;
  const telemetry = context.telemetry ?? null;
  const cache = new IntrospectionCache<Outcome>(settings.cacheMaxEntries);
  const checkHeader = createHeaderChecker({ algorithms: context.algorithms, types: new Set([JWT_RESPONSE_TYPE]) });
  const accept = settings.responseFormat === 'jwt' ? JWT_RESPONSE_TYPE : 'application/json';
  const post = { timeoutMs: settings.timeoutMs, maxResponseBytes: settings.maxResponseBytes, agent };

  /** RFC 9701 §5: a JWS from the AS, for this client, whose `token_introspection` member is the RFC 7662 answer. */
  async function openJwtResponse(text: string): Promise<Record<string, unknown> | null> {
    const structured = structureStage(text, checkHeader);
    if (typeof structured === 'string' || keyStore === null) return null;
    const key = await keyStore.resolve(structured.header.alg, structured.header.kid, clock());
    if (typeof key === 'string' || !signatureStage(text, structured, key)) return null;
    const outer = parseJsonObject(structured.payload);
    const inner = outer?.['token_introspection'];
    if (outer === null || typeof inner !== 'object' || inner === null || Array.isArray(inner)) return null;
    const aud = outer['aud'];
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(settings.clientId)) return null;
    // The response's issuer is the AS: the same rule as the tokens it speaks for (Entra's {tenantid} included).
    if (!rules.issuer.matches({ iss: outer['iss'], tid: (inner as Record<string, unknown>)['tid'] })) return null;
    return inner as Record<string, unknown>;
  }

  function decide(body: Record<string, unknown>): Outcome {
    // @see RFC 7662 §2.2 — `active` is REQUIRED and boolean; anything else is a broken answer, not a refusal.
    if (typeof body['active'] !== 'boolean') return UNAVAILABLE;
    if (!body['active']) return 'ERR_TOKEN_INACTIVE';
    // @see RFC 7662 §2.2 — `token_type_hint` is only a hint: a server may introspect a refresh or ID token it finds,
    // and such a token is never an access token here, whatever its `aud`.
    const tokenType = body['token_type'];
    if (tokenType !== undefined && (typeof tokenType !== 'string' || NOT_ACCESS_TOKEN.test(tokenType))) return 'ERR_TOKEN_INACTIVE';
    const times = checkClaims(body, rules);
    if (typeof times === 'string') return times;
    const binding = readBinding(body);
    if (binding === 'invalid') return 'ERR_CNF_INVALID';
    const claims = deepFreeze(body);
    return { claims, header: NO_HEADER, times, binding, subject: subjectOf(claims), clientId: clientIdOf(claims) };
  }

  /** One introspection request: counted, and an HTTP client span, when telemetry is on. */
  async function ask(token: string): Promise<Outcome> {
    const span = telemetry?.httpSpan('POST', settings.endpoint) ?? null;
    const exchange: Exchange = { status: 0, error: undefined };
    const outcome = await send(token, exchange).catch(() => UNAVAILABLE);
    if (telemetry !== null) reportIntrospection(telemetry, span, outcome, exchange);
    return outcome;
  }

  async function send(token: string, exchange: Exchange): Promise<Outcome> {
    const form = `token=${encodeURIComponent(token)}&token_type_hint=access_token`;
    const extra = credentials.form();
    let response;
    try {
      response = await postForm(settings.endpoint, extra === '' ? form : `${form}&${extra}`, { accept, ...credentials.headers }, post);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      exchange.error = typeof code === 'string' ? code : 'transport';
      return UNAVAILABLE; // @see docs/security.md rule 9 — an unreachable AS is 503, never acceptance
    }
    exchange.status = response.status;
    if (response.status !== 200 || response.mediaType !== accept) return UNAVAILABLE;
    const body = settings.responseFormat === 'jwt' ? await openJwtResponse(response.body.toString('latin1').trim()) : parseJsonObject(response.body);
    return body === null ? UNAVAILABLE : decide(body);
  }

  function remember(key: string, outcome: Outcome): Outcome {
    const now = clock();
    if (outcome === UNAVAILABLE) return outcome;
    if (typeof outcome === 'string') {
      cache.set(key, outcome, now + settings.inactiveCacheSeconds * 1000, now);
    } else {
      // @see RFC 7662 §4 — never past the token's own expiry.
      cache.set(key, outcome, Math.min(outcome.times.exp * 1000, now + settings.cacheMaxSeconds * 1000), now);
    }
    return outcome;
  }

  return {
    introspect(token) {
      const key = IntrospectionCache.keyOf(token);
      const hit = cache.get(key, clock());
      if (hit !== undefined) return hit;
      return cache.once(key, () => ask(token).catch(() => UNAVAILABLE).then((outcome) => remember(key, outcome)));
    },
    close() {
      cache.clear();
      agent.destroy();
    },
  };
}
