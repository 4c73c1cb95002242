import type {
  CertificateArgument,
  CertificateLookup,
  CertificateSource,
  ErrorCode,
  RequestInput,
  Verifier,
  VerifierEvent,
  VerifierOptions,
  VerifyFailure,
  VerifyResult,
  VerifySuccess,
} from '../types.js';
import { createCertificateReader } from '../certificates/argument.js';
import { isConnectionWide, isTlsSource } from '../certificates/tls.js';
import { clientIdOf, subjectOf } from '../claims/identity.js';
import { createIssuerMatcher } from '../claims/issuer.js';
import { checkTimes } from '../claims/validate.js';
import { createExtractor, hasQueryToken, isToken68, readAuthorization } from '../http/authorization.js';
import { challengeOptionsOf, failure } from '../http/failure.js';
import type { IntrospectedToken } from '../introspection/introspection.js';
import { createHeaderChecker, normalizeTyp, splitCompact } from '../jose/jws.js';
import type { KeyFailure, KeyStore, VerificationKey } from '../keys/key-store.js';
import { buildEvent, peerAddressOf, type EventFacts } from './events.js';
import { DEFAULTS, resolveOptions } from './options.js';
import { linkSuccesses, registerVerifier } from './registry.js';
import { bindingStage, claimsStage, signatureStage, structureStage, type StructuredToken } from './stages.js';
import { TokenCache, type VerifiedToken } from './token-cache.js';
import { openTelemetry } from '../telemetry/telemetry.js';

/** One request (or verifyToken call) on its way through the verifier. */
interface Attempt extends EventFacts {
  readonly token: string;
  readonly scheme: string;
  readonly thumbprint: string | null;
  /** The request's connection and the Authorization value the token came from: set for requests, not verifyToken. */
  readonly connection?: object | undefined;
  readonly authorization?: string | undefined;
  /** The certificate is the connection's own and cannot change while it lasts (tlsSource on TLS 1.3). */
  readonly connectionWide?: boolean;
}

/**
 * The last token a connection presented and had accepted. Keep-alive clients send the same Authorization value on
 * every request of a connection; with this a repeated value skips extraction, the cache lookup and the binding
 * comparison — but never the key and time checks, which run again on every request. The certificate is looked up
 * again too, unless it is the connection's own and cannot change (tlsSource on TLS 1.3).
 */
interface ConnectionMemo {
  /** The accepted request: its exact Authorization value (compared whole), scheme, token, thumbprint and peer. */
  readonly attempt: Attempt & { readonly authorization: string };
  readonly verified: VerifiedToken;
  /** The report-only code the binding decision carried, if any. */
  readonly report: ErrorCode | undefined;
}

/**
 * Where a verifier keeps its connection memos: on the connection object itself, under a symbol of the verifier's own
 * that is not enumerable (so neither inspection nor serialisation of a socket shows the token it holds), and in a
 * WeakMap for a connection object that cannot take a property (frozen). A property read on the socket costs a
 * fraction of a WeakMap lookup, and this runs on every request.
 */
function connectionMemos(): { get(connection: object): ConnectionMemo | undefined; set(connection: object, memo: ConnectionMemo): void } {
  const key = Symbol('certbound connection memo');
  const fallback = new WeakMap<object, ConnectionMemo>();
  return {
    get(connection) {
      return (connection as Record<symbol, ConnectionMemo | undefined>)[key] ?? fallback.get(connection);
    },
    set(connection, memo) {
      const holder = connection as Record<symbol, ConnectionMemo | undefined>;
      if (Object.prototype.hasOwnProperty.call(holder, key)) holder[key] = memo;
      else if (Object.isExtensible(holder)) Object.defineProperty(holder, key, { value: memo, writable: true, enumerable: false, configurable: true });
      else fallback.set(connection, memo);
    },
  };
}

const NO_CERTIFICATE: CertificateLookup = Object.freeze({ ok: true, thumbprint: null, from: 'none' });

function asPromise(result: VerifyResult | Promise<VerifyResult>): Promise<VerifyResult> {
  return result instanceof Promise ? result : Promise.resolve(result);
}

/**
 * Create a verifier for certificate-bound JWT access tokens (RFC 8705 §3) sent as `Authorization: Bearer` or
 * `mtls_pop`. Every option is validated here (a ConfigurationError naming the field); afterwards nothing a client
 * sends makes the verifier throw: each request gets a `VerifySuccess` or a `VerifyFailure` carrying a complete
 * RFC 6750 answer (status, `WWW-Authenticate` challenge, JSON body).
 *
 * The checks run in this order, which is the order of the code below (stages.ts holds the pure stages):
 * extract the Authorization credentials → the request's certificate → the verified-token cache (a hit re-checks
 * the key, the time claims and the binding) → compact JWS structure and JOSE header (no crypto yet) → key from
 * the key set → signature → claims → time claims and binding policy.
 * @example
 * ```ts
 * import { createVerifier, remoteKeys } from '@certbound/core';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
 *   audience: 'api://orders',
 *   algorithms: ['RS256'],
 *   keys: remoteKeys({ uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys' }),
 * });
 * const result = await verifier.verifyRequest({ headers: req.headers, socket: req.socket, url: req.url });
 * if (!result.ok) res.writeHead(result.status, { 'www-authenticate': result.challenge }).end(JSON.stringify(result.body));
 * ```
 * @see docs/security.md rules 1–6 and 8–10; docs/protocol.md §1–3
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveOptions(options);
  const { schemes, binding: policy, onEvent } = resolved;
  const clock = resolved.currentTime;
  const leeway = resolved.clockToleranceSeconds;
  const allowed = new Set(resolved.algorithms);
  const telemetry = openTelemetry(resolved.telemetry, policy);

  // Sources and key sets checked their own options when they were built; opening the keys checks them against the
  // algorithm allow-list, before any resource (agent) exists for a verifier that fails to start.
  const source: CertificateSource = resolved.certificateSource;
  // Only the built-in TLS source's connection-wide lookups may be skipped on a repeat (a source of one's own, even
  // one that delegates to it, is asked every time).
  const sourceIsConnection = isTlsSource(source);
  const keyStore: KeyStore = resolved.keys.open({
    algorithms: allowed,
    clock,
    telemetry,
    onRefresh(outcome) {
      telemetry?.jwksRefreshed(outcome);
      if (onEvent === undefined) return;
      const event: VerifierEvent = { type: 'jwks-refresh', thumbprint: null, time: clock(), ok: outcome.ok, keyCount: outcome.keyCount };
      if (!outcome.ok) event.jwksFailure = outcome.failure;
      deliver(event);
    },
  });

  const extract = createExtractor({ schemes, maxTokenLength: resolved.maxTokenLength });
  const checkHeader = createHeaderChecker({ algorithms: allowed, types: new Set(resolved.tokenTypes.map(normalizeTyp)) });
  const claimRules = {
    issuer: createIssuerMatcher(([] as string[]).concat(resolved.issuer)),
    audiences: new Set(([] as string[]).concat(resolved.audience)),
    requiredClaims: resolved.requiredClaims,
  };
  // @see RFC 8705 §3.2 — opaque tokens (or all, by option) are decided on the AS's introspection answer.
  const introspector = resolved.introspection?.open({ clock, rules: claimRules, keyStore, algorithms: allowed, telemetry }) ?? null;
  const introspectAll = resolved.introspection?.tokens === 'all';
  const cache = resolved.cache === false ? null : new TokenCache(resolved.cache.maxEntries ?? DEFAULTS.cacheMaxEntries, resolved.cache.maxBytes ?? DEFAULTS.cacheMaxBytes);
  telemetry?.observeCache(cache);
  const readCertificate = createCertificateReader();
  // Per connection (the request's socket), the last accepted token; only with the cache on, only JWTs verified here
  // (an introspection answer has its own cache lifetime, which a memo must not extend). Dropped with the socket.
  const memos = cache === null ? null : connectionMemos();
  const schemeByLowerCase = new Map(schemes.map((scheme) => [scheme.toLowerCase(), scheme]));

  // Failure results are immutable and shared: a flood of bad requests allocates no response objects.
  const failures = new Map<ErrorCode, VerifyFailure>();
  function failureFor(code: ErrorCode): VerifyFailure {
    let result = failures.get(code);
    if (result === undefined) {
      const retry = code === 'ERR_JWKS_UNAVAILABLE' ? { retryAfter: keyStore.retryAfterSeconds ?? 1 } : {};
      result = failure(code, { ...challengeOptionsOf(resolved), ...retry });
      Object.freeze(result.body);
      failures.set(code, Object.freeze(result));
    }
    return result;
  }

  function deliver(event: VerifierEvent): void {
    try {
      onEvent?.(event);
    } catch {
      // @see types.ts — exceptions from onEvent are swallowed: logging must never change a decision.
    }
  }

  function emit(type: VerifierEvent['type'], code: ErrorCode | undefined, facts: EventFacts): void {
    if (onEvent === undefined) return;
    const event = buildEvent(type, code, facts, clock());
    // The refusal's text is fixed; the event says why the keys are unavailable (the last failure, or a fetch pending).
    if (code === 'ERR_JWKS_UNAVAILABLE') event.jwksFailure = keyStore.state().lastError ?? { cause: 'pending', detail: 'JWKS fetch still in flight' };
    deliver(event);
  }

  /** Only signature-verified claims name a subject or client in events: unverified content never reaches logs. */
  function reject(code: ErrorCode, attempt: EventFacts, verified?: Pick<VerifiedToken, 'subject' | 'clientId'>): VerifyFailure {
    if (onEvent !== undefined) {
      emit('rejected', code, verified === undefined ? attempt : { ...attempt, subject: verified.subject, clientId: verified.clientId });
    }
    return failureFor(code);
  }

  function accept(verified: IntrospectedToken, attempt: Attempt, reported: ErrorCode | undefined): VerifySuccess {
    if (onEvent !== undefined) {
      emit(reported === undefined ? 'accepted' : 'report-only', reported, { ...attempt, subject: verified.subject, clientId: verified.clientId });
    }
    return new Accepted(verified.claims, verified.header, attempt.thumbprint, attempt.scheme, attempt.token);
  }

  // ── the pipeline ────────────────────────────────────────────────────────────────────────────────────────────

  /** The connection's memo first, then extract → certificate, then the credentials go through the cache. */
  function extractThenCertificate(input: RequestInput, url: string | undefined): VerifyResult | Promise<VerifyResult> {
    const connection = typeof input.socket === 'object' && input.socket !== null ? input.socket : undefined;
    const authorization = readAuthorization(input);
    let lookup: CertificateLookup | undefined;
    const memo = memos !== null && connection !== undefined ? memos.get(connection) : undefined;
    // A repeat of the connection's accepted request: the same single Authorization value, no query token, and the
    // same certificate (looked up again unless it is the connection's own; the full way below reuses that lookup).
    if (memo !== undefined && authorization === memo.attempt.authorization && !hasQueryToken(url)) {
      if (memo.attempt.connectionWide !== true) lookup = lookupCertificate(input);
      if (lookup === undefined || (lookup.ok && lookup.ignoredUntrustedHeader !== true && lookup.thumbprint === memo.attempt.thumbprint)) {
        const repeated = fromMemo(memo);
        if (repeated !== null) return repeated;
      }
    }
    // Looked up before extraction so every event carries the thumbprint; its failure ranks after extraction's.
    lookup ??= lookupCertificate(input);
    const thumbprint = lookup.ok ? lookup.thumbprint : null;
    const remoteAddress = peerAddressOf(input);
    if (lookup.ok && lookup.ignoredUntrustedHeader === true) emit('untrusted-proxy-header', undefined, { thumbprint, remoteAddress });
    const extracted = extract(authorization, url);
    if (typeof extracted === 'string') return reject(extracted, { thumbprint, remoteAddress });
    if (!lookup.ok) return reject(lookup.code, { scheme: extracted.scheme, thumbprint, remoteAddress });
    // Extraction succeeded, so the request had exactly one Authorization value, a string. Only a request whose
    // certificate came without an untrusted proxy header is remembered for its connection.
    const remembered = connection !== undefined && lookup.ignoredUntrustedHeader !== true;
    const attempt: Attempt = {
      token: extracted.token,
      scheme: extracted.scheme,
      thumbprint,
      remoteAddress,
      connection: remembered ? connection : undefined,
      authorization: authorization as string,
      connectionWide: sourceIsConnection && isConnectionWide(lookup),
    };
    return viaCache(attempt, true);
  }

  /**
   * The connection presents the Authorization value it had accepted, with the same certificate: the token, its
   * signature and its binding to this thumbprint are known. Still checked now: the key is current, the time claims
   * hold. Anything else (or a key check that would wait) goes the full way: null.
   * @see docs/security.md rule 10
   */
  function fromMemo(memo: ConnectionMemo): VerifySuccess | null {
    const nowMs = clock();
    if (keyStore.isCurrent(memo.verified.key, nowMs) !== true) return null;
    if (checkTimes(memo.verified.times, Math.floor(nowMs / 1000), leeway) !== null) return null;
    // The connection's peer address is the memo's too: the accepted attempt stands for this request.
    return accept(memo.verified, memo.attempt, memo.report);
  }

  function lookupCertificate(input: RequestInput): CertificateLookup {
    try {
      return source.lookup(input);
    } catch {
      return NO_CERTIFICATE; // sources never throw; a broken one must not turn into acceptance or a 500
    }
  }

  /** cache: a hit is honoured only while its key is current, and is decided again (time, binding) every time. */
  function viaCache(attempt: Attempt, fromHeader: boolean): VerifyResult | Promise<VerifyResult> {
    if (introspector !== null && (introspectAll || splitCompact(attempt.token) === 'ERR_JWT_MALFORMED')) return introspectThenBinding(attempt, fromHeader);
    const nowMs = clock();
    const hit = cache === null ? undefined : cache.get(attempt.token);
    if (hit === undefined) return structureThenKey(attempt, nowMs, fromHeader);
    // @see docs/security.md rule 10 — a hit re-checks the key, the time claims and the binding.
    const current = keyStore.isCurrent(hit.key, nowMs);
    if (current === true) return timesThenBinding(hit, attempt, nowMs, hit);
    if (current === false) {
      cache?.delete(attempt.token);
      return structureThenKey(attempt, nowMs, fromHeader);
    }
    return current.then((stillCurrent) => {
      if (stillCurrent) return timesThenBinding(hit, attempt, clock(), hit);
      cache?.delete(attempt.token);
      return structureThenKey(attempt, clock(), fromHeader);
    });
  }

  /** structure/header → key. */
  function structureThenKey(attempt: Attempt, nowMs: number, fromHeader: boolean): VerifyResult | Promise<VerifyResult> {
    const structured = structureStage(attempt.token, checkHeader);
    if (typeof structured === 'string') {
      // A token that parses is made of base64url characters and dots, hence token68. Only a token that does not
      // parse can break the Authorization syntax, so the (costly) token68 scan runs on this path alone.
      // @see RFC 6750 §2.1, §3.1 — a malformed request is invalid_request (400), a malformed token invalid_token.
      return reject(fromHeader && !isToken68(attempt.token) ? 'ERR_AUTHORIZATION_MALFORMED' : structured, attempt);
    }
    const key = keyStore.resolve(structured.header.alg, structured.header.kid, nowMs);
    if (key instanceof Promise) return key.then((resolvedKey) => signatureThenClaims(attempt, structured, resolvedKey));
    return signatureThenClaims(attempt, structured, key);
  }

  /** signature → claims, then the verified token enters the cache and is decided. */
  function signatureThenClaims(attempt: Attempt, structured: StructuredToken, key: VerificationKey | KeyFailure): VerifyResult {
    if (typeof key === 'string') return reject(key, attempt);
    if (!signatureStage(attempt.token, structured, key)) return reject('ERR_SIGNATURE_INVALID', attempt);
    const verified = claimsStage(structured, key, claimRules);
    if ('code' in verified) {
      const claims = verified.claims;
      if (claims === null || onEvent === undefined) return reject(verified.code, attempt);
      return reject(verified.code, attempt, { subject: subjectOf(claims), clientId: clientIdOf(claims) });
    }
    const nowMs = clock();
    // Only a token within its time claims now is cached; an expired one is refused below and never stored.
    if (cache !== null && checkTimes(verified.times, Math.floor(nowMs / 1000), leeway) === null) cache.set(attempt.token, verified);
    return timesThenBinding(verified, attempt, nowMs, verified);
  }

  /** introspection instead of structure to claims: the answer (cached by the introspector) meets the same last stage. */
  function introspectThenBinding(attempt: Attempt, fromHeader: boolean): VerifyResult | Promise<VerifyResult> {
    // @see RFC 6750 §2.1 — the credentials must be token68 whatever the token format.
    if (fromHeader && !isToken68(attempt.token)) return reject('ERR_AUTHORIZATION_MALFORMED', attempt);
    const decide = (outcome: IntrospectedToken | ErrorCode): VerifyResult =>
      typeof outcome === 'string' ? reject(outcome, attempt) : timesThenBinding(outcome, attempt, clock(), undefined);
    const outcome = introspector!.introspect(attempt.token);
    return outcome instanceof Promise ? outcome.then(decide) : decide(outcome);
  }

  /**
   * time claims and binding: the per-request part, the same for cache hits, fresh verifications and introspection.
   * `remember` is the JWT verified here (fresh or cached): an acceptance of it is remembered for the connection.
   */
  function timesThenBinding(verified: IntrospectedToken, attempt: Attempt, nowMs: number, remember: VerifiedToken | undefined): VerifyResult {
    const outcome = bindingStage(verified, attempt.thumbprint, Math.floor(nowMs / 1000), leeway, policy);
    if (typeof outcome === 'string') {
      if (outcome === 'ERR_TOKEN_EXPIRED') cache?.delete(attempt.token);
      return reject(outcome, attempt, verified);
    }
    const report = outcome === null ? undefined : outcome.report;
    if (remember !== undefined && memos !== null && attempt.connection !== undefined && attempt.authorization !== undefined) {
      memos.set(attempt.connection, { attempt: attempt as ConnectionMemo['attempt'], verified: remember, report });
    }
    return accept(verified, attempt, report);
  }

  function internalFailure(): VerifyFailure {
    return reject('ERR_VERIFICATION_FAILED', { thumbprint: null });
  }

  /** When the decision started, for telemetry (-1: nothing records). */
  function begin(): number {
    return telemetry === null ? -1 : telemetry.begin();
  }

  /** The decision, failing closed on anything unexpected (a 401, never a throw or a 500), recorded when telemetry records. */
  function finish(startedAt: number, result: VerifyResult | Promise<VerifyResult>): VerifyResult | Promise<VerifyResult> {
    const safe = result instanceof Promise ? result.catch(internalFailure) : result;
    return telemetry === null ? safe : telemetry.verified(startedAt, safe);
  }

  /** A request, from both entry points: verifyRequest (always a promise) and the adapters' verifyNow. */
  function decideRequest(input: RequestInput, url: string | undefined): VerifyResult | Promise<VerifyResult> {
    const startedAt = begin();
    try {
      return finish(startedAt, extractThenCertificate(input, url));
    } catch {
      return finish(startedAt, internalFailure());
    }
  }

  function decideToken(token: string, certificate: CertificateArgument, callOptions: { scheme?: string } | undefined): VerifyResult | Promise<VerifyResult> {
    const startedAt = begin();
    try {
      return finish(startedAt, tokenThenCache(token, certificate, callOptions));
    } catch {
      return finish(startedAt, internalFailure());
    }
  }

  /** verifyToken skips extraction and the certificate source: the caller hands both over. */
  function tokenThenCache(token: string, certificate: CertificateArgument, callOptions: { scheme?: string } | undefined): VerifyResult | Promise<VerifyResult> {
    const requested = callOptions?.scheme;
    const scheme = requested === undefined ? schemes[0]! : schemeByLowerCase.get(String(requested).toLowerCase());
    const found = readCertificate(certificate);
    const thumbprint = found === 'invalid' ? null : found;
    const facts: EventFacts = { thumbprint };
    if (scheme === undefined) return reject('ERR_UNSUPPORTED_SCHEME', facts);
    if (typeof token !== 'string' || token.length === 0) return reject('ERR_JWT_MALFORMED', facts);
    if (token.length > resolved.maxTokenLength) return reject('ERR_TOKEN_TOO_LONG', facts);
    if (found === 'invalid') return reject('ERR_CERTIFICATE_INVALID', facts);
    return viaCache({ token, scheme, thumbprint }, false);
  }

  const verifier: Verifier = {
    options: resolved,
    verifyRequest(input: RequestInput): Promise<VerifyResult> {
      return asPromise(decideRequest(input, input.url));
    },
    verifyToken(token, certificate, callOptions): Promise<VerifyResult> {
      return asPromise(decideToken(token, certificate, callOptions));
    },
    state() {
      keyStore.prefetch?.(clock());
      return keyStore.state();
    },
    close(): Promise<void> {
      keyStore.close();
      introspector?.close();
      cache?.clear();
      telemetry?.close();
      return Promise.resolve();
    },
  };

  /** The verifier's successes: a class of their own links each to this verifier for the guards, at no cost. */
  class Accepted implements VerifySuccess {
    readonly ok = true as const;
    constructor(
      readonly claims: VerifySuccess['claims'],
      readonly header: VerifySuccess['header'],
      readonly thumbprint: string | null,
      readonly scheme: string,
      readonly token: string,
    ) {}
  }
  linkSuccesses(Accepted.prototype, verifier);

  registerVerifier(verifier, {
    verifyNow: decideRequest,
    rejectAuthorization(success, code) {
      emit('rejected', code, {
        thumbprint: success.thumbprint,
        scheme: success.scheme,
        subject: subjectOf(success.claims),
        clientId: clientIdOf(success.claims),
      });
    },
  });
  return verifier;
}
