/**
 * OpenTelemetry for the verifier: what it counts, times and traces, named in docs/observability.md. The verifier
 * and the parts it opens hold a `CoreTelemetry | null`; null (no `@opentelemetry/api`, or `telemetry: false`) is
 * checked once per call site, so a request then pays for nothing. Attributes never carry a token, a key, a
 * certificate or its thumbprint: only outcomes, error codes, schemes and the configured endpoints.
 */
import type { BindingPolicy, ErrorCode, TelemetryOptions, VerifyResult, VerifySuccess } from '../types.js';
import { invalidOption } from '../errors.js';
import type { RefreshOutcome } from '../keys/key-store.js';
import { otelApi, SPAN_KIND, STATUS_ERROR, type Attributes, type OtelBatchCallback, type OtelCounter, type OtelHistogram, type OtelMeter, type OtelTracer, type OtelTracerProvider } from './otel.js';

const SCOPE = '@certbound/core';

/** Buckets for a decision: microseconds on a warm cache, milliseconds to seconds when a fetch is involved. */
export const DURATION_BUCKETS_SECONDS = Object.freeze([0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

export type VerificationOutcome = 'accepted' | 'rejected' | 'report_only';
export type BindingResult = 'matched' | 'unbound' | 'mismatch' | 'certificate_missing';
export type IntrospectionOutcome = 'active' | 'inactive' | 'refused' | 'unavailable';

/** The counts a verified-token cache keeps for its metrics. */
export interface CacheCounts {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

/** One outgoing HTTP exchange (JWKS fetch, introspection call), as an HTTP client span. */
export interface HttpSpan {
  /** `status` 0 when no response came; `errorType` set when the exchange failed. */
  end(status: number, errorType: string | undefined, extra?: Attributes): void;
}

/** What the verifier, its key store and its introspection client call. */
export interface CoreTelemetry {
  /** `performance.now()` when this verification is recorded, -1 when nothing would record it. */
  begin(): number;
  /** One verification decided: counted, timed and (when traced) a span. Returns `result` unchanged. */
  verified<T extends VerifyResult | Promise<VerifyResult>>(startedAt: number, result: T): T;
  jwksRefreshed(outcome: RefreshOutcome): void;
  /** Report the verified-token cache's size and hit/miss counts at each collection. */
  observeCache(cache: CacheCounts | null): void;
  /** An HTTP client span, or null when no tracer records. */
  httpSpan(method: 'GET' | 'POST', url: string): HttpSpan | null;
  introspected(outcome: IntrospectionOutcome, code: ErrorCode | undefined): void;
  /** Stop observing (the verifier's close()). */
  close(): void;
}

const PROVIDER_FIELDS = Object.freeze({ tracerProvider: 'getTracer', meterProvider: 'getMeter' });

/** Check the `telemetry` option: false, or an object naming providers. */
export function resolveTelemetryOption(value: unknown, field = 'telemetry'): false | TelemetryOptions | undefined {
  if (value === undefined || value === false) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalidOption(field, 'must be false or an object { tracerProvider, meterProvider }');
  for (const [key, provided] of Object.entries(value)) {
    const method = PROVIDER_FIELDS[key as keyof typeof PROVIDER_FIELDS];
    if (method === undefined) invalidOption(`${field}.${key}`, 'is not a known option (tracerProvider, meterProvider)');
    if (provided !== undefined && (typeof provided !== 'object' || provided === null || typeof (provided as Record<string, unknown>)[method] !== 'function')) {
      invalidOption(`${field}.${key}`, `must be an OpenTelemetry provider (an object with ${method}())`);
    }
  }
  return Object.freeze({ ...(value as TelemetryOptions) });
}

/** Frozen attribute sets, built once per distinct value: recording allocates nothing. */
function attributeCache<K>(build: (key: K) => Attributes): (key: K) => Attributes {
  const built = new Map<K, Attributes>();
  return (key) => {
    let attributes = built.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(build(key));
      built.set(key, attributes);
    }
    return attributes;
  };
}

function withCode(base: Record<string, string>, code: string | undefined): Attributes {
  return code === undefined ? base : { ...base, 'error.type': code };
}

/** The binding as the policy saw it, from the accepted result: the thumbprints are compared, never reported. */
function bindingOf(result: VerifySuccess): BindingResult {
  const bound = result.claims.cnf?.['x5t#S256'];
  if (typeof bound !== 'string') return 'unbound';
  if (result.thumbprint === null) return 'certificate_missing';
  return bound === result.thumbprint ? 'matched' : 'mismatch';
}

const BINDING_OF_CODE: ReadonlyMap<ErrorCode, BindingResult> = new Map([
  ['ERR_BINDING_MISMATCH', 'mismatch'],
  ['ERR_CERTIFICATE_MISSING', 'certificate_missing'],
  ['ERR_TOKEN_NOT_BOUND', 'unbound'],
]);
const REPORTED_CODE: Readonly<Record<BindingResult, ErrorCode | undefined>> = {
  matched: undefined,
  unbound: 'ERR_TOKEN_NOT_BOUND',
  mismatch: 'ERR_BINDING_MISMATCH',
  certificate_missing: 'ERR_CERTIFICATE_MISSING',
};

/** `url.full` without query or fragment (a query may carry secrets), and the server it names. */
function urlAttributes(method: string, url: string): Attributes {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return {
    'http.request.method': method,
    'url.full': `${parsed.origin}${parsed.pathname}`,
    'server.address': parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    'server.port': port,
  };
}

function tracerOf(provider: OtelTracerProvider): OtelTracer | undefined {
  // The API's global proxy answers undefined until an SDK registers; asking it allocates nothing meanwhile.
  return typeof provider.getDelegateTracer === 'function' ? provider.getDelegateTracer(SCOPE) : provider.getTracer(SCOPE);
}

/**
 * The verifier's telemetry, or null when it is off: `telemetry: false`, or no `@opentelemetry/api` and no
 * providers given. Instruments are created now (an application registers its SDK before it creates verifiers);
 * the tracer is looked up until a global one appears, so an SDK started later still gets spans.
 */
export function openTelemetry(option: false | TelemetryOptions | undefined, policy: BindingPolicy): CoreTelemetry | null {
  if (option === false) return null;
  const api = otelApi;
  const injectedTracers = option?.tracerProvider as OtelTracerProvider | undefined;
  const injectedMeters = option?.meterProvider as { getMeter(name: string): OtelMeter } | undefined;
  if (api === null && injectedTracers === undefined && injectedMeters === undefined) return null;

  let tracer: OtelTracer | null = injectedTracers === undefined ? null : (safely(() => injectedTracers.getTracer(SCOPE)) ?? null);
  const tracerProvider = injectedTracers ?? api?.trace.getTracerProvider();
  function currentTracer(): OtelTracer | null {
    if (tracer === null && tracerProvider !== undefined && injectedTracers === undefined) tracer = tracerOf(tracerProvider) ?? null;
    return tracer;
  }

  const meterProvider = injectedMeters ?? api?.metrics.getMeterProvider();
  const meter = safely(() => meterProvider?.getMeter(SCOPE));
  const metrics = meter === undefined || (injectedMeters === undefined && meter === api?.createNoopMeter()) ? null : (safely(() => createInstruments(meter)) ?? null);

  function record(result: VerifyResult, startedAt: number): void {
    try {
      recordVerification(result, startedAt);
    } catch {
      // A throwing provider never changes a decision nor turns it into an exception (no closure on this path).
    }
  }

  function recordVerification(result: VerifyResult, startedAt: number): void {
    const endedAt = performance.now();
    let outcome: VerificationOutcome;
    let code: ErrorCode | undefined;
    let binding: BindingResult | undefined;
    if (result.ok) {
      binding = bindingOf(result);
      code = binding === 'unbound' && policy !== 'report-only' ? undefined : REPORTED_CODE[binding];
      outcome = code === undefined ? 'accepted' : 'report_only';
    } else {
      outcome = 'rejected';
      code = result.code;
      binding = BINDING_OF_CODE.get(code);
    }
    if (metrics !== null) {
      const attributes = metrics.verificationAttributes[outcome](code);
      metrics.verifications.add(1, attributes);
      metrics.duration.record((endedAt - startedAt) / 1000, attributes);
    }
    const active = currentTracer();
    if (active === null) return;
    // Started now with the recorded start time: a request nobody traces never allocated a span.
    const span = active.startSpan('certbound.verify', { kind: SPAN_KIND.internal, startTime: startedAt, attributes: verifySpanAttributes(outcome, code, binding, result) });
    if (!result.ok && (result.status >= 500 || code === 'ERR_VERIFICATION_FAILED')) span.setStatus({ code: STATUS_ERROR });
    span.end(endedAt);
  }

  let cacheCallback: OtelBatchCallback | null = null;

  return {
    begin() {
      return metrics !== null || currentTracer() !== null ? performance.now() : -1;
    },
    verified(startedAt, result) {
      if (startedAt < 0) return result;
      if (result instanceof Promise) {
        void result.then((settled) => record(settled, startedAt));
      } else {
        record(result as VerifyResult, startedAt);
      }
      return result;
    },
    jwksRefreshed(outcome) {
      safely(() => metrics?.jwksRefreshes.add(1, metrics.refreshAttributes(outcome.ok ? undefined : outcome.failure.cause)));
    },
    observeCache(cache) {
      if (metrics === null || cache === null) return;
      const { cacheEntries, cacheLookups } = metrics;
      cacheCallback = (result) => {
        result.observe(cacheEntries, cache.size);
        result.observe(cacheLookups, cache.hits, LOOKUP_HIT);
        result.observe(cacheLookups, cache.misses, LOOKUP_MISS);
      };
      const callback = cacheCallback;
      safely(() => metrics.meter.addBatchObservableCallback(callback, [cacheEntries, cacheLookups]));
    },
    httpSpan(method, url) {
      const active = currentTracer();
      const span = active === null ? undefined : safely(() => active.startSpan(method, { kind: SPAN_KIND.client, attributes: urlAttributes(method, url) }));
      if (span === undefined) return null;
      return {
        end(status, errorType, extra) {
          safely(() => {
            if (status > 0) span.setAttribute('http.response.status_code', status);
            if (errorType !== undefined) {
              span.setAttribute('error.type', errorType);
              span.setStatus({ code: STATUS_ERROR });
            }
            for (const [key, value] of Object.entries(extra ?? {})) span.setAttribute(key, value);
            span.end();
          });
        },
      };
    },
    introspected(outcome, code) {
      safely(() => metrics?.introspections.add(1, metrics.introspectionAttributes[outcome](code)));
    },
    close() {
      const callback = cacheCallback;
      if (metrics !== null && callback !== null) safely(() => metrics.meter.removeBatchObservableCallback(callback, [metrics.cacheEntries, metrics.cacheLookups]));
      cacheCallback = null;
    },
  };
}

/** Run a call into the OpenTelemetry SDK: a throwing provider never changes a decision nor becomes an exception. */
function safely<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

const LOOKUP_HIT: Attributes = Object.freeze({ 'certbound.token_cache.result': 'hit' });
const LOOKUP_MISS: Attributes = Object.freeze({ 'certbound.token_cache.result': 'miss' });

function verifySpanAttributes(outcome: VerificationOutcome, code: ErrorCode | undefined, binding: BindingResult | undefined, result: VerifyResult): Attributes {
  const attributes: Record<string, string> = { 'certbound.verification.outcome': outcome };
  if (code !== undefined) attributes['error.type'] = code;
  if (binding !== undefined) attributes['certbound.binding.result'] = binding;
  if (result.ok) attributes['certbound.authorization.scheme'] = result.scheme;
  return attributes;
}

interface Instruments {
  readonly meter: OtelMeter;
  readonly verifications: OtelCounter;
  readonly duration: OtelHistogram;
  readonly verificationAttributes: Readonly<Record<VerificationOutcome, (code: ErrorCode | undefined) => Attributes>>;
  readonly jwksRefreshes: OtelCounter;
  readonly refreshAttributes: (cause: string | undefined) => Attributes;
  readonly introspections: OtelCounter;
  readonly introspectionAttributes: Readonly<Record<IntrospectionOutcome, (code: ErrorCode | undefined) => Attributes>>;
  readonly cacheEntries: object;
  readonly cacheLookups: object;
}

function createInstruments(meter: OtelMeter): Instruments {
  const byOutcome = <O extends string>(name: string, outcomes: readonly O[]) =>
    Object.fromEntries(outcomes.map((outcome) => [outcome, attributeCache((code: ErrorCode | undefined) => withCode({ [name]: outcome }, code))])) as Record<
      O,
      (code: ErrorCode | undefined) => Attributes
    >;
  return {
    meter,
    verifications: meter.createCounter('certbound.verifications', { unit: '{verification}', description: 'Verifications decided, by outcome and error code.' }),
    duration: meter.createHistogram('certbound.verification.duration', {
      description: 'Time from the start of a verification to its decision.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
    }),
    verificationAttributes: byOutcome('certbound.verification.outcome', ['accepted', 'rejected', 'report_only'] as const),
    jwksRefreshes: meter.createCounter('certbound.jwks.refreshes', { unit: '{refresh}', description: 'JWKS refresh attempts, by outcome and, for a failure, its cause.' }),
    refreshAttributes: attributeCache((cause: string | undefined) => withCode({ 'certbound.jwks.refresh.outcome': cause === undefined ? 'success' : 'failure' }, cause)),
    introspections: meter.createCounter('certbound.introspection.requests', { unit: '{request}', description: 'Introspection requests sent, by outcome.' }),
    introspectionAttributes: byOutcome('certbound.introspection.outcome', ['active', 'inactive', 'refused', 'unavailable'] as const),
    cacheEntries: meter.createObservableGauge('certbound.token_cache.entries', { unit: '{token}', description: 'Verified tokens held in the cache.' }),
    cacheLookups: meter.createObservableCounter('certbound.token_cache.lookups', { unit: '{lookup}', description: 'Verified-token cache lookups, by result (hit or miss).' }),
  };
}
