import type { CertificateSource, JwsAlgorithm, ResolvedVerifierOptions, VerifierOptions } from '../types.js';
import { BINDING_POLICIES } from '../binding/binding.js';
import { tlsSource } from '../certificates/tls.js';
import { assertIssuerTemplate } from '../claims/issuer.js';
import { invalidOption } from '../errors.js';
import { isDescriptionText, isHttpToken } from '../http/challenge.js';
import { ALGORITHM_NAMES, isJwsAlgorithm } from '../jose/algorithms.js';
import type { IntrospectionSource } from '../introspection/introspection.js';
import type { KeySource } from '../keys/key-store.js';
import { resolveTelemetryOption } from '../telemetry/telemetry.js';

/** Defaults of every option, as documented in types.ts and the README. */
export const DEFAULTS = Object.freeze({
  tokenTypes: Object.freeze(['at+jwt', 'application/at+jwt']),
  clockToleranceSeconds: 30,
  requiredClaims: Object.freeze([] as string[]),
  binding: 'required' as const,
  schemes: Object.freeze(['Bearer', 'mtls_pop']),
  maxTokenLength: 8192,
  cacheMaxEntries: 10_000,
  cacheMaxBytes: 67_108_864,
});

const KNOWN = new Set<string>([
  'issuer',
  'audience',
  'algorithms',
  'keys',
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
  'introspection',
  'resourceMetadata',
  'telemetry',
]);
const LIMITS = Object.freeze({ maxTokenLength: 1_048_576, cacheEntries: 10_000_000, cacheBytes: 2 ** 40, leeway: 3600 });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyStrings(value: unknown, field: string, what: string, allowSingle = true): string[] {
  const list = allowSingle && typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    invalidOption(field, `must be ${what}`);
  }
  return [...(list as string[])];
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalidOption(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** The key set of a verifier that introspects every token: it verifies no JWT locally. */
const NO_KEYS: KeySource = Object.freeze({
  kind: 'static' as const,
  open: () => ({
    resolve: () => 'ERR_KEY_NOT_FOUND' as const,
    isCurrent: () => false,
    close: () => undefined,
    // Ready from the start: there are no keys to load (readiness then rests on the introspection endpoint).
    state: () => ({ ready: true, keyCount: 0, loadedAt: null, refreshing: false, lastError: null }),
  }),
});

function resolveIntrospection(value: unknown): IntrospectionSource | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || value['kind'] !== 'introspection' || typeof value['open'] !== 'function') {
    invalidOption('introspection', 'must be an introspection source from introspection({ endpoint, … })');
  }
  return value as unknown as IntrospectionSource;
}

function resolveKeys(value: unknown, introspection: IntrospectionSource | undefined): KeySource {
  if (value === undefined && introspection?.tokens === 'all' && introspection.responseFormat === 'json') return NO_KEYS;
  if (value === undefined) invalidOption('keys', 'is required: remoteKeys({ uri }) or staticKeys(jwks)');
  if (!isRecord(value) || typeof value['open'] !== 'function') invalidOption('keys', 'must be a key source from remoteKeys({ uri }) or staticKeys(jwks)');
  return value as unknown as KeySource;
}

function resolveCertificateSource(value: unknown): CertificateSource {
  if (value === undefined) return tlsSource();
  if (!isRecord(value) || (value['type'] !== 'tls' && value['type'] !== 'header') || typeof value['lookup'] !== 'function') {
    invalidOption('certificateSource', 'must be a certificate source from tlsSource() or headerSource({ format, trustedProxies })');
  }
  return value as unknown as CertificateSource;
}

function resolveCache(value: unknown): false | { maxEntries: number; maxBytes: number } {
  if (value === undefined) return { maxEntries: DEFAULTS.cacheMaxEntries, maxBytes: DEFAULTS.cacheMaxBytes };
  if (value === false) return false;
  if (!isRecord(value)) invalidOption('cache', 'must be false or an object { maxEntries, maxBytes }');
  for (const key of Object.keys(value)) {
    if (key !== 'maxEntries' && key !== 'maxBytes') invalidOption(`cache.${key}`, 'is not a known option');
  }
  return {
    maxEntries: integer(value['maxEntries'], 'cache.maxEntries', 1, LIMITS.cacheEntries, DEFAULTS.cacheMaxEntries),
    maxBytes: integer(value['maxBytes'], 'cache.maxBytes', 65_536, LIMITS.cacheBytes, DEFAULTS.cacheMaxBytes),
  };
}

/**
 * Validate every option and apply the defaults. Throws a ConfigurationError naming the field, at creation, never
 * later. Unknown options are refused too: a misspelt option silently ignored is a security hole in a verifier.
 */
export function resolveOptions(options: VerifierOptions): Readonly<ResolvedVerifierOptions> {
  if (!isRecord(options)) invalidOption('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) invalidOption(key, 'is not a known verifier option');
  }
  const issuer = nonEmptyStrings(options.issuer, 'issuer', 'a non-empty string or a non-empty array of non-empty strings');
  issuer.forEach((value, index) => assertIssuerTemplate(value, Array.isArray(options.issuer) ? `issuer[${index}]` : 'issuer'));
  const audience = nonEmptyStrings(options.audience, 'audience', 'a non-empty string or a non-empty array of non-empty strings');
  const { algorithms } = options;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isJwsAlgorithm)) {
    invalidOption('algorithms', `must be a non-empty array of JWS algorithms (${ALGORITHM_NAMES.join(', ')}); none and HMAC are never accepted`);
  }
  const introspection = resolveIntrospection(options.introspection);
  const keys = resolveKeys(options.keys, introspection);

  const tokenTypes =
    options.tokenTypes === undefined ? [...DEFAULTS.tokenTypes] : nonEmptyStrings(options.tokenTypes, 'tokenTypes', 'a non-empty array of non-empty strings', false);

  const leeway = options.clockToleranceSeconds ?? DEFAULTS.clockToleranceSeconds;
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0 || leeway > LIMITS.leeway) {
    invalidOption('clockToleranceSeconds', `must be a number of seconds from 0 to ${LIMITS.leeway}`);
  }
  if (options.currentTime !== undefined && typeof options.currentTime !== 'function') invalidOption('currentTime', 'must be a function returning milliseconds');

  const requiredClaims = options.requiredClaims === undefined ? [] : options.requiredClaims;
  if (!Array.isArray(requiredClaims) || requiredClaims.some((claim) => typeof claim !== 'string' || claim.length === 0)) {
    invalidOption('requiredClaims', 'must be an array of claim names');
  }
  const binding = options.binding ?? DEFAULTS.binding;
  if (!BINDING_POLICIES.includes(binding)) invalidOption('binding', `must be one of ${BINDING_POLICIES.map((p) => `"${p}"`).join(', ')}`);

  const schemes = options.schemes === undefined ? [...DEFAULTS.schemes] : options.schemes;
  if (!Array.isArray(schemes) || schemes.length === 0 || schemes.some((scheme) => typeof scheme !== 'string' || !isHttpToken(scheme))) {
    invalidOption('schemes', 'must be a non-empty array of HTTP auth-scheme tokens');
  }
  if (new Set(schemes.map((scheme) => scheme.toLowerCase())).size !== schemes.length) invalidOption('schemes', 'must not repeat a scheme (they compare case-insensitively)');

  const maxTokenLength = integer(options.maxTokenLength, 'maxTokenLength', 16, LIMITS.maxTokenLength, DEFAULTS.maxTokenLength);
  const cache = resolveCache(options.cache);
  if (options.realm !== undefined && (typeof options.realm !== 'string' || !isDescriptionText(options.realm))) {
    invalidOption('realm', 'must be a string without quotes, backslashes or control characters');
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') invalidOption('onEvent', 'must be a function');
  if (options.resourceMetadata !== undefined) {
    // Quoted in every challenge: an https URL free of quotes, backslashes and controls (RFC 9728 §5.1).
    if (typeof options.resourceMetadata !== 'string' || !options.resourceMetadata.startsWith('https://') || !isDescriptionText(options.resourceMetadata)) {
      invalidOption('resourceMetadata', 'must be an https URL without quotes, backslashes or control characters');
    }
  }

  const resolved: ResolvedVerifierOptions = {
    issuer: Object.freeze(issuer) as string[],
    audience: Object.freeze(audience) as string[],
    algorithms: Object.freeze([...new Set(algorithms)]) as JwsAlgorithm[],
    keys,
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
  if (options.realm !== undefined) resolved.realm = options.realm;
  if (options.onEvent !== undefined) resolved.onEvent = options.onEvent;
  if (introspection !== undefined) resolved.introspection = introspection;
  if (options.resourceMetadata !== undefined) resolved.resourceMetadata = options.resourceMetadata;
  const telemetry = resolveTelemetryOption(options.telemetry);
  if (telemetry !== undefined) resolved.telemetry = telemetry;
  return Object.freeze(resolved);
}
