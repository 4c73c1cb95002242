/**
 * OpenTelemetry for token requests (docs/observability.md): a span per request to the token endpoint, named by its
 * flow, and a counter and a latency histogram by flow and outcome. Through `@opentelemetry/api` only, an optional
 * peer dependency: without it (or with `telemetry: false`) the client holds null and does nothing more. No token,
 * assertion, secret, key or certificate (nor its thumbprint) is ever an attribute.
 */
import { createRequire } from 'node:module';
import type { ClientTelemetryOptions } from './types.js';

type Attributes = Readonly<Record<string, string | number | boolean>>;

interface Span {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number }): unknown;
  end(): void;
}
interface Tracer {
  startSpan(name: string, options: { kind: number; attributes: Attributes }, context?: unknown): Span;
}
interface Counter {
  add(value: number, attributes: Attributes): void;
}
interface Histogram {
  record(value: number, attributes: Attributes): void;
}
interface Meter {
  createCounter(name: string, options: { unit: string; description: string }): Counter;
  createHistogram(name: string, options: { unit: string; description: string; advice?: { explicitBucketBoundaries: number[] } }): Histogram;
}
/** The few calls made of `@opentelemetry/api`, typed here so no declaration file names the optional package. */
interface Api {
  trace: { getTracer(name: string): Tracer; setSpan(context: unknown, span: Span): unknown };
  metrics: { getMeter(name: string): Meter };
  context: { active(): unknown; with<T>(context: unknown, run: () => T): T };
}

/** Loaded once, synchronously (an ES module cannot import an optional package without top-level await). */
function load(): Api | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as Api;
  } catch {
    return null;
  }
}
const api = load();

const SCOPE = '@certbound/client';
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Which request a token request is (docs/protocol.md §4–§6): the vanilla flow is one request and has no legs; the
 * FIC two-leg flow is Leg 1 (the exchange token) then Leg 2 (that token as the client assertion).
 */
export type TokenFlow = 'vanilla' | 'fic_leg_1' | 'fic_leg_2' | 'client_credentials' | 'rfc8705';

const SPAN_NAMES: Readonly<Record<TokenFlow, string>> = {
  vanilla: 'token request (vanilla flow)',
  fic_leg_1: 'token request (FIC Leg 1)',
  fic_leg_2: 'token request (FIC Leg 2)',
  client_credentials: 'token request (client credentials)',
  rfc8705: 'token request (RFC 8705)',
};

/** Entra's token-exchange audiences (public and sovereign clouds): a request for one is Leg 1. */
const EXCHANGE_SCOPE = /^api:\/\/AzureADTokenExchange[A-Za-z]*\/\.default$/i;

export function flowOf(request: { rfc8705: boolean; assertion: boolean; mtls: boolean; scopes: readonly string[] }): TokenFlow {
  if (request.rfc8705) return 'rfc8705';
  if (request.assertion) return 'fic_leg_2';
  if (request.scopes.length === 1 && EXCHANGE_SCOPE.test(request.scopes[0]!)) return 'fic_leg_1';
  return request.mtls ? 'vanilla' : 'client_credentials';
}

/** What the request reports into its span once it knows: where it went and what came back. */
export interface TokenRequestSpan {
  server(url: URL): void;
  status(code: number): void;
}

export interface ClientTelemetry {
  /** Run one token request inside its span (the active span, so HTTP instrumentation nests under it). */
  tokenRequest<T>(flow: TokenFlow, requestedType: 'mtls_pop' | 'bearer', run: (span: TokenRequestSpan | null) => Promise<T>): Promise<T>;
}

/** Check the `telemetry` option (a TypeError, like every client option). */
export function checkTelemetryOption(value: unknown): void {
  if (value === undefined || value === false) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('telemetry must be false or { tracerProvider, meterProvider }');
  for (const [key, provider] of Object.entries(value)) {
    const method = key === 'tracerProvider' ? 'getTracer' : key === 'meterProvider' ? 'getMeter' : undefined;
    if (method === undefined) throw new TypeError(`Unknown telemetry option ${JSON.stringify(key)}: known ones are tracerProvider, meterProvider`);
    if (provider !== undefined && (typeof provider !== 'object' || provider === null || typeof (provider as Record<string, unknown>)[method] !== 'function')) {
      throw new TypeError(`telemetry.${key} must be an OpenTelemetry provider (an object with ${method}())`);
    }
  }
}

/** Run a call into the OpenTelemetry SDK: a throwing provider never fails a token request. */
function safely<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

/** The client's telemetry, or null when off (no API and no providers given, or `telemetry: false`). */
export function openClientTelemetry(option: false | ClientTelemetryOptions | undefined): ClientTelemetry | null {
  if (option === false) return null;
  const tracerProvider = option?.tracerProvider as { getTracer(name: string): Tracer } | undefined;
  const meterProvider = option?.meterProvider as { getMeter(name: string): Meter } | undefined;
  if (api === null && tracerProvider === undefined && meterProvider === undefined) return null;
  // The global tracer is a proxy that follows an SDK registered later; the global meter is taken now.
  const tracer = safely(() => tracerProvider?.getTracer(SCOPE) ?? api?.trace.getTracer(SCOPE));
  const meter = safely(() => meterProvider?.getMeter(SCOPE) ?? api?.metrics.getMeter(SCOPE));
  const requests = safely(() => meter?.createCounter('certbound.client.token_requests', { unit: '{request}', description: 'Requests to the token endpoint, by flow and outcome.' }));
  const duration = safely(() =>
    meter?.createHistogram('certbound.client.token_request.duration', {
      unit: 's',
      description: 'Time from sending a token request to its result, retries included.',
      advice: { explicitBucketBoundaries: BUCKETS_SECONDS },
    }),
  );

  return {
    async tokenRequest(flow, requestedType, run) {
      const started = performance.now();
      const span = safely(() => tracer?.startSpan(SPAN_NAMES[flow], { kind: SPAN_KIND_CLIENT, attributes: { 'certbound.client.flow': flow, 'certbound.client.token_type': requestedType } }));
      const handle: TokenRequestSpan | null =
        span === undefined
          ? null
          : {
              server(url) {
                safely(() => {
                  span.setAttribute('server.address', url.hostname.replace(/^\[(.*)\]$/, '$1'));
                  span.setAttribute('server.port', url.port === '' ? 443 : Number(url.port));
                });
              },
              status(code) {
                safely(() => span.setAttribute('http.response.status_code', code));
              },
            };
      const finish = (errorType: string | undefined): void => void safely(() => {
        const attributes: Record<string, string> = { 'certbound.client.flow': flow, 'certbound.client.outcome': errorType === undefined ? 'success' : 'failure' };
        if (errorType !== undefined) attributes['error.type'] = errorType;
        requests?.add(1, attributes);
        duration?.record((performance.now() - started) / 1000, attributes);
        if (span === undefined) return;
        if (errorType !== undefined) {
          span.setAttribute('error.type', errorType);
          span.setStatus({ code: STATUS_ERROR });
        }
        span.end();
      });
      try {
        const result = span === undefined || api === null ? await run(handle) : await api.context.with(api.trace.setSpan(api.context.active(), span), () => run(handle));
        finish(undefined);
        return result;
      } catch (error) {
        const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
        if (typeof status === 'number' && status > 0) handle?.status(status);
        finish(errorCodeOf(error));
        throw error;
      }
    },
  };
}
