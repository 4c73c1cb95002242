import { verify } from 'node:crypto';
import type {
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
import { failure } from '../http/failure.js';
import { createExtractor, isToken68 } from '../http/authorization.js';
import { decodeBase64url } from '../jose/base64url.js';
import { bindingProblem, decideBinding, readBinding } from '../binding/binding.js';
import { createCertificateReader } from '../certificates/argument.js';
import { checkClaims, checkTimes } from '../claims/validate.js';
import { buildEvent, clientIdOf, peerAddressOf, subjectOf, type EventFacts } from './events.js';
import { deepFreeze } from '../jose/freeze.js';
import { createIssuerMatcher } from '../claims/issuer.js';
import type { KeyRecord } from '../keys/jwk.js';
import { parseJsonObject } from '../jose/json.js';
import { createHeaderChecker, normalizeTyp, splitCompact, type CheckedHeader } from '../jose/jws.js';
import type { KeyFailure, KeyStore } from '../keys/key-store.js';
import { DEFAULTS, resolveOptions } from './options.js';
import { TokenCache, type VerifiedToken } from './token-cache.js';
import { registerVerifier } from './registry.js';

/** One request (or verifyToken call) on its way through the verifier. */
interface Attempt extends EventFacts {
  readonly token: string;
  readonly scheme: string;
  readonly thumbprint: string | null;
}

const NO_CERTIFICATE: CertificateLookup = Object.freeze({ ok: true, thumbprint: null, from: 'none' });

/**
 * Create a verifier for certificate-bound JWT access tokens (RFC 8705 §3) sent as `Authorization: Bearer` or
 * `mtls_pop`. Every option is validated here (a ConfigurationError naming the field); afterwards nothing a client sends makes
 * the verifier throw: each request gets a `VerifySuccess` or a `VerifyFailure` with a complete RFC 6750 answer.
 *
 * Order of checks: Authorization framing → certificate lookup → verified-token cache (re-checking key, time claims
 * and binding) → compact JWS structure and JOSE header (no crypto yet) → key from the JWKS → signature
 * (node:crypto with a pre-imported KeyObject) → claims → binding policy.
 * @see SECURITY.md rules 1–6 and 8–10; PROTOCOL.md §1–3
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveOptions(options);
  const schemes = resolved.schemes;
  const clock = resolved.currentTime;
  const leeway = resolved.clockToleranceSeconds;
  const policy = resolved.binding;
  const onEvent = resolved.onEvent;
  const allowed = new Set(resolved.algorithms);

  // Sources and key sets checked their own options when they were built; opening the keys checks them against the
  // algorithm allow-list, before any resource (agent) exists for a verifier that fails to start.
  const source: CertificateSource = resolved.certificateSource;
  const keyStore: KeyStore = resolved.keys.open({ algorithms: allowed, clock });

  const extract = createExtractor({ schemes, maxTokenLength: resolved.maxTokenLength });
  const checkHeader = createHeaderChecker({ algorithms: allowed, types: new Set(resolved.tokenTypes.map(normalizeTyp)) });
  const claimRules = {
    issuer: createIssuerMatcher(([] as string[]).concat(resolved.issuer)),
    audiences: new Set(([] as string[]).concat(resolved.audience)),
    requiredClaims: resolved.requiredClaims,
  };
  const cache = resolved.cache === false ? null : new TokenCache(resolved.cache.maxEntries ?? DEFAULTS.cacheMaxEntries, resolved.cache.maxBytes ?? DEFAULTS.cacheMaxBytes);
  const readCertificate = createCertificateReader();
  const schemeByLowerCase = new Map(schemes.map((scheme) => [scheme.toLowerCase(), scheme]));

  // Failure results are immutable and shared: a flood of bad requests allocates no response objects.
  const failures = new Map<ErrorCode, VerifyFailure>();
  function failureFor(code: ErrorCode): VerifyFailure {
    let result = failures.get(code);
    if (result === undefined) {
      result = failure(code, resolved.realm === undefined ? { schemes } : { schemes, realm: resolved.realm });
      Object.freeze(result.body);
      failures.set(code, Object.freeze(result));
    }
    return result;
  }

  function emit(type: VerifierEvent['type'], code: ErrorCode | undefined, facts: EventFacts): void {
    if (onEvent === undefined) return;
    try {
      onEvent(buildEvent(type, code, facts, clock()));
    } catch {
      // @see types.ts — exceptions from onEvent are swallowed: logging must never change a decision.
    }
  }

  function reject(code: ErrorCode, attempt: EventFacts, verified?: VerifiedToken): VerifyFailure {
    if (onEvent !== undefined) {
      emit('rejected', code, verified === undefined ? attempt : { ...attempt, subject: verified.subject, clientId: verified.clientId });
    }
    return failureFor(code);
  }

  function accept(verified: VerifiedToken, attempt: Attempt, reported: ErrorCode | undefined): VerifySuccess {
    if (onEvent !== undefined) {
      emit(reported === undefined ? 'accepted' : 'report-only', reported, { ...attempt, subject: verified.subject, clientId: verified.clientId });
    }
    return { ok: true, claims: verified.claims, header: verified.header, thumbprint: attempt.thumbprint, scheme: attempt.scheme, token: attempt.token };
  }

  /** The per-request part of a decision, the same for cache hits and fresh verifications. */
  function conclude(verified: VerifiedToken, attempt: Attempt, nowMs: number): VerifyResult {
    const timeProblem = checkTimes(verified.times, Math.floor(nowMs / 1000), leeway);
    if (timeProblem !== null) {
      if (timeProblem === 'ERR_TOKEN_EXPIRED') cache?.delete(attempt.token);
      return reject(timeProblem, attempt, verified);
    }
    const decision = decideBinding(policy, bindingProblem(verified.binding, attempt.thumbprint));
    if (decision === null) return accept(verified, attempt, undefined);
    if ('refuse' in decision) return reject(decision.refuse, attempt, verified);
    return accept(verified, attempt, decision.report);
  }

  /** Everything a fresh verification needs once the structure and the header passed. */
  interface Parsed {
    readonly header: CheckedHeader;
    readonly secondDot: number;
    readonly payload: Buffer;
    readonly signature: Buffer;
  }

  /**
   * Structure and header, before any key or crypto work: three canonical base64url segments and a JOSE header
   * that passes every key-independent rule. @see SECURITY.md rule 2
   */
  function parse(token: string): Parsed | ErrorCode {
    const parts = splitCompact(token);
    if (typeof parts === 'string') return parts;
    const header = checkHeader(token.slice(0, parts.firstDot));
    if (typeof header === 'string') return header;
    const payload = decodeBase64url(token.slice(parts.firstDot + 1, parts.secondDot));
    if (payload === null || payload.length === 0) return 'ERR_JWT_MALFORMED';
    const signature = decodeBase64url(token.slice(parts.secondDot + 1));
    if (signature === null || signature.length === 0) return 'ERR_JWT_MALFORMED';
    return { header, secondDot: parts.secondDot, payload, signature };
  }

  function afterKey(attempt: Attempt, parsed: Parsed, key: KeyRecord | KeyFailure): VerifyResult {
    if (typeof key === 'string') return reject(key, attempt);
    const { token } = attempt;
    const { signature } = parsed;
    if (signature.length !== key.signatureLength) return reject('ERR_SIGNATURE_INVALID', attempt);
    let valid = false;
    try {
      // @see RFC 7515 §5.2 step 8 — the signing input is the ASCII of the two encoded segments and the dot.
      valid = verify(key.spec.digest, Buffer.from(token.slice(0, parsed.secondDot), 'latin1'), key.verifyKey, signature);
    } catch {
      valid = false;
    }
    if (!valid) return reject('ERR_SIGNATURE_INVALID', attempt);

    const claims = parseJsonObject(parsed.payload);
    if (claims === null) return reject('ERR_JWT_MALFORMED', attempt);
    const subject = subjectOf(claims);
    const clientId = clientIdOf(claims);
    const times = checkClaims(claims, claimRules);
    if (typeof times === 'string') return reject(times, onEvent === undefined ? attempt : { ...attempt, subject, clientId });
    const binding = readBinding(claims);
    if (binding === 'invalid') return reject('ERR_CNF_INVALID', onEvent === undefined ? attempt : { ...attempt, subject, clientId });

    const verified: VerifiedToken = { claims: deepFreeze(claims), header: parsed.header.header, key, times, binding, subject, clientId };
    const nowMs = clock();
    if (cache !== null && checkTimes(times, Math.floor(nowMs / 1000), leeway) === null) cache.set(token, verified);
    return conclude(verified, attempt, nowMs);
  }

  /** Full verification of a token that is not in the cache. */
  function verifyFresh(attempt: Attempt, nowMs: number, fromHeader: boolean): VerifyResult | Promise<VerifyResult> {
    const parsed = parse(attempt.token);
    if (typeof parsed === 'string') {
      // A token that parses is made of base64url characters and dots, hence token68. Only a token that does not
      // parse can break the Authorization syntax, so the (costly) token68 scan runs on this path alone.
      // @see RFC 6750 §2.1, §3.1 — a malformed request is invalid_request (400), a malformed token invalid_token.
      return reject(fromHeader && !isToken68(attempt.token) ? 'ERR_AUTHORIZATION_MALFORMED' : parsed, attempt);
    }
    const key = keyStore.resolve(parsed.header.alg, parsed.header.kid, nowMs);
    if (key instanceof Promise) return key.then((resolvedKey) => afterKey(attempt, parsed, resolvedKey));
    return afterKey(attempt, parsed, key);
  }

  function verifyCredentials(attempt: Attempt, fromHeader: boolean): VerifyResult | Promise<VerifyResult> {
    const nowMs = clock();
    if (cache !== null) {
      const hit = cache.get(attempt.token);
      if (hit !== undefined) {
        // @see SECURITY.md rule 10 — a hit re-checks the key, the time claims and the binding.
        const current = keyStore.isCurrent(hit.key, nowMs);
        if (current === true) return conclude(hit, attempt, nowMs);
        if (current !== false) {
          return current.then((stillCurrent) => {
            if (stillCurrent) return conclude(hit, attempt, clock());
            cache.delete(attempt.token);
            return verifyFresh(attempt, clock(), fromHeader);
          });
        }
        cache.delete(attempt.token);
      }
    }
    return verifyFresh(attempt, nowMs, fromHeader);
  }

  function lookupCertificate(input: RequestInput): CertificateLookup {
    try {
      return source.lookup(input);
    } catch {
      return NO_CERTIFICATE; // sources never throw; a broken one must not turn into acceptance or a 500
    }
  }

  function handleRequest(input: RequestInput): VerifyResult | Promise<VerifyResult> {
    const remoteAddress = peerAddressOf(input);
    const lookup = lookupCertificate(input);
    const thumbprint = lookup.ok ? lookup.thumbprint : null;
    if (lookup.ok && lookup.ignoredUntrustedHeader === true) emit('untrusted-proxy-header', undefined, { thumbprint, remoteAddress });
    const extracted = extract(input);
    if (typeof extracted === 'string') return reject(extracted, { thumbprint, remoteAddress });
    const attempt: Attempt = { token: extracted.token, scheme: extracted.scheme, thumbprint, remoteAddress };
    if (!lookup.ok) return reject(lookup.code, attempt);
    return verifyCredentials(attempt, true);
  }

  function internalFailure(): VerifyFailure {
    return reject('ERR_VERIFICATION_FAILED', { thumbprint: null });
  }

  function settle(run: () => VerifyResult | Promise<VerifyResult>): Promise<VerifyResult> {
    try {
      const result = run();
      return result instanceof Promise ? result.catch(internalFailure) : Promise.resolve(result);
    } catch {
      // Fail closed on anything unexpected: a 401, never a throw or a 500.
      return Promise.resolve(internalFailure());
    }
  }

  const verifier: Verifier = {
    options: resolved,
    verifyRequest(input: RequestInput): Promise<VerifyResult> {
      return settle(() => handleRequest(input));
    },
    verifyToken(token, certificate, callOptions): Promise<VerifyResult> {
      return settle(() => {
        const requested = callOptions?.scheme;
        const scheme = requested === undefined ? schemes[0]! : schemeByLowerCase.get(String(requested).toLowerCase());
        const found = readCertificate(certificate);
        const thumbprint = found === 'invalid' ? null : found;
        const facts: EventFacts = { thumbprint };
        if (scheme === undefined) return reject('ERR_UNSUPPORTED_SCHEME', facts);
        if (typeof token !== 'string' || token.length === 0) return reject('ERR_JWT_MALFORMED', facts);
        if (token.length > resolved.maxTokenLength) return reject('ERR_TOKEN_TOO_LONG', facts);
        if (found === 'invalid') return reject('ERR_CERTIFICATE_INVALID', facts);
        return verifyCredentials({ token, scheme, thumbprint }, false);
      });
    },
    close(): Promise<void> {
      keyStore.close();
      cache?.clear();
      return Promise.resolve();
    },
  };

  registerVerifier(verifier, {
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
