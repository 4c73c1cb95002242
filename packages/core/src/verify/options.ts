import type { BindingPolicy, CertificateSourceOptions, Jwk, JwsAlgorithm, RemoteJwksOptions, ResolvedVerifierOptions, VerifierOptions } from '../types.js';
import { ALGORITHM_NAMES, isJwsAlgorithm } from '../jose/algorithms.js';
import { isDescriptionText, isHttpToken } from '../http/challenge.js';
import { assertIssuerTemplate } from '../claims/issuer.js';

/** Defaults of every option, as documented in types.ts and the README. */
export const DEFAULTS = Object.freeze({
  tokenTypes: Object.freeze(['at+jwt', 'application/at+jwt']),
  clockToleranceSeconds: 30,
  requiredClaims: Object.freeze([] as string[]),
  binding: 'required' as BindingPolicy,
  schemes: Object.freeze(['Bearer', 'mtls_pop']),
  maxTokenLength: 8192,
  cacheMaxEntries: 10_000,
  cacheMaxBytes: 67_108_864,
  jwks: Object.freeze({ timeoutMs: 5000, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, maxResponseBytes: 65_536 }),
});

const KNOWN = new Set<string>([
  'issuer',
  'audience',
  'algorithms',
  'jwks',
  'jwksUri',
  'jwksOptions',
  'tokenTypes',
  'clockToleranceSeconds',
  'currentTime',
  'requiredClaims',
  'binding',
  'schemes',
  'certificateSource',
  'maxTokenLength',
  'cache',
  'realm',
  'onEvent',
]);
const KNOWN_JWKS_OPTIONS = new Set(['timeoutMs', 'cacheMaxAgeMs', 'cooldownMs', 'maxResponseBytes', 'ca']);
const BINDING_POLICIES: readonly BindingPolicy[] = ['required', 'if-present', 'report-only'];
const LIMITS = Object.freeze({ maxTokenLength: 1_048_576, cacheEntries: 10_000_000, cacheBytes: 2 ** 40, leeway: 3600 });

function fail(message: string): never {
  throw new TypeError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyStrings(value: unknown, field: string, what: string, allowSingle = true): string[] {
  const list = allowSingle && typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    fail(`${field} must be ${what}`);
  }
  return [...(list as string[])];
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function resolveJwksOptions(value: unknown): Required<Omit<RemoteJwksOptions, 'ca'>> & Pick<RemoteJwksOptions, 'ca'> {
  if (value === undefined) return { ...DEFAULTS.jwks };
  if (!isRecord(value)) fail('jwksOptions must be an object');
  for (const key of Object.keys(value)) {
    if (!KNOWN_JWKS_OPTIONS.has(key)) fail(`jwksOptions.${key} is not a known option`);
  }
  const resolved: Required<Omit<RemoteJwksOptions, 'ca'>> & Pick<RemoteJwksOptions, 'ca'> = {
    timeoutMs: integer(value['timeoutMs'], 'jwksOptions.timeoutMs', 1, 120_000, DEFAULTS.jwks.timeoutMs),
    cacheMaxAgeMs: integer(value['cacheMaxAgeMs'], 'jwksOptions.cacheMaxAgeMs', 1, 7 * 86_400_000, DEFAULTS.jwks.cacheMaxAgeMs),
    cooldownMs: integer(value['cooldownMs'], 'jwksOptions.cooldownMs', 0, 86_400_000, DEFAULTS.jwks.cooldownMs),
    maxResponseBytes: integer(value['maxResponseBytes'], 'jwksOptions.maxResponseBytes', 256, 16_777_216, DEFAULTS.jwks.maxResponseBytes),
  };
  const ca = value['ca'];
  if (ca !== undefined) {
    const list = nonEmptyStrings(ca, 'jwksOptions.ca', 'a PEM certificate string or a non-empty array of them');
    if (list.some((pem) => !pem.includes('-----BEGIN CERTIFICATE-----'))) fail('jwksOptions.ca must hold PEM certificates');
    resolved.ca = list;
  }
  return resolved;
}

function resolveJwksUri(value: unknown): string {
  if (typeof value !== 'string') fail('jwksUri must be an https URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('jwksUri must be an https URL string');
  }
  if (url.protocol !== 'https:') fail('jwksUri must use https');
  if (url.username !== '' || url.password !== '') fail('jwksUri must not contain credentials');
  if (url.hash !== '') fail('jwksUri must not contain a fragment');
  return value;
}

function resolveJwks(value: unknown): { keys: Jwk[] } {
  if (!isRecord(value) || !Array.isArray(value['keys'])) fail('jwks must be a JWK Set: an object with a "keys" array');
  return value as { keys: Jwk[] };
}

function resolveCertificateSource(value: unknown): CertificateSourceOptions {
  if (value === undefined) return { type: 'tls' };
  if (!isRecord(value)) fail('certificateSource must be an object');
  if (value['type'] === 'tls') {
    if (Object.keys(value).some((key) => key !== 'type')) fail('certificateSource of type "tls" takes no other option');
    return { type: 'tls' };
  }
  // The header source validates its own options when it is created.
  if (value['type'] === 'header') return value as CertificateSourceOptions;
  return fail('certificateSource.type must be "tls" or "header"');
}

function resolveCache(value: unknown): false | { maxEntries: number; maxBytes: number } {
  if (value === undefined) return { maxEntries: DEFAULTS.cacheMaxEntries, maxBytes: DEFAULTS.cacheMaxBytes };
  if (value === false) return false;
  if (!isRecord(value)) fail('cache must be false or an object { maxEntries, maxBytes }');
  for (const key of Object.keys(value)) {
    if (key !== 'maxEntries' && key !== 'maxBytes') fail(`cache.${key} is not a known option`);
  }
  return {
    maxEntries: integer(value['maxEntries'], 'cache.maxEntries', 1, LIMITS.cacheEntries, DEFAULTS.cacheMaxEntries),
    maxBytes: integer(value['maxBytes'], 'cache.maxBytes', 65_536, LIMITS.cacheBytes, DEFAULTS.cacheMaxBytes),
  };
}

/**
 * Validate every option and apply the defaults. Throws TypeError naming the field, at creation, never later.
 * Unknown options are refused too: a misspelt option silently ignored is a security hole in a verifier.
 */
export function resolveOptions(options: VerifierOptions): Readonly<ResolvedVerifierOptions> {
  if (!isRecord(options)) fail('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) fail(`${key} is not a known verifier option`);
  }
  const issuer = nonEmptyStrings(options.issuer, 'issuer', 'a non-empty string or a non-empty array of non-empty strings');
  issuer.forEach((value, index) => assertIssuerTemplate(value, Array.isArray(options.issuer) ? `issuer[${index}]` : 'issuer'));
  const audience = nonEmptyStrings(options.audience, 'audience', 'a non-empty string or a non-empty array of non-empty strings');
  const { algorithms } = options;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isJwsAlgorithm)) {
    fail(`algorithms must be a non-empty array of JWS algorithms (${ALGORITHM_NAMES.join(', ')}); none and HMAC are never accepted`);
  }

  const hasJwks = options.jwks !== undefined;
  const hasUri = options.jwksUri !== undefined;
  if (hasJwks === hasUri) fail('exactly one of jwks and jwksUri is required');
  if (hasJwks && options.jwksOptions !== undefined) fail('jwksOptions applies to jwksUri only');

  const tokenTypes =
    options.tokenTypes === undefined ? [...DEFAULTS.tokenTypes] : nonEmptyStrings(options.tokenTypes, 'tokenTypes', 'a non-empty array of non-empty strings', false);

  const leeway = options.clockToleranceSeconds ?? DEFAULTS.clockToleranceSeconds;
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0 || leeway > LIMITS.leeway) {
    fail(`clockToleranceSeconds must be a number of seconds from 0 to ${LIMITS.leeway}`);
  }
  if (options.currentTime !== undefined && typeof options.currentTime !== 'function') fail('currentTime must be a function returning milliseconds');

  const requiredClaims = options.requiredClaims === undefined ? [] : options.requiredClaims;
  if (!Array.isArray(requiredClaims) || requiredClaims.some((claim) => typeof claim !== 'string' || claim.length === 0)) {
    fail('requiredClaims must be an array of claim names');
  }
  const binding = options.binding ?? DEFAULTS.binding;
  if (!BINDING_POLICIES.includes(binding)) fail(`binding must be one of ${BINDING_POLICIES.map((p) => `"${p}"`).join(', ')}`);

  const schemes = options.schemes === undefined ? [...DEFAULTS.schemes] : options.schemes;
  if (!Array.isArray(schemes) || schemes.length === 0 || schemes.some((scheme) => typeof scheme !== 'string' || !isHttpToken(scheme))) {
    fail('schemes must be a non-empty array of HTTP auth-scheme tokens');
  }
  if (new Set(schemes.map((scheme) => scheme.toLowerCase())).size !== schemes.length) fail('schemes must not repeat a scheme (they compare case-insensitively)');

  const maxTokenLength = integer(options.maxTokenLength, 'maxTokenLength', 16, LIMITS.maxTokenLength, DEFAULTS.maxTokenLength);
  const cache = resolveCache(options.cache);
  if (options.realm !== undefined && (typeof options.realm !== 'string' || !isDescriptionText(options.realm))) {
    fail('realm must be a string without quotes, backslashes or control characters');
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') fail('onEvent must be a function');

  const resolved: ResolvedVerifierOptions = {
    issuer: Object.freeze(issuer) as string[],
    audience: Object.freeze(audience) as string[],
    algorithms: Object.freeze([...new Set(algorithms)]) as JwsAlgorithm[],
    tokenTypes: Object.freeze(tokenTypes) as string[],
    clockToleranceSeconds: leeway,
    currentTime: options.currentTime ?? Date.now,
    requiredClaims: Object.freeze([...requiredClaims]) as string[],
    binding,
    schemes: Object.freeze([...schemes]) as string[],
    certificateSource: resolveCertificateSource(options.certificateSource),
    maxTokenLength,
    cache: cache === false ? false : Object.freeze(cache),
  };
  if (hasJwks) resolved.jwks = resolveJwks(options.jwks);
  else {
    resolved.jwksUri = resolveJwksUri(options.jwksUri);
    resolved.jwksOptions = Object.freeze(resolveJwksOptions(options.jwksOptions));
  }
  if (options.realm !== undefined) resolved.realm = options.realm;
  if (options.onEvent !== undefined) resolved.onEvent = options.onEvent;
  return Object.freeze(resolved);
}
