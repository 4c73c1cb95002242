import { createRequire } from 'node:module';

/**
 * The few parts of `@opentelemetry/api` certbound calls, typed here rather than imported: no declaration file of
 * @certbound/core may name the package, which is an optional peer dependency an application need not install.
 */
export type Attributes = Readonly<Record<string, string | number | boolean>>;

export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number }): unknown;
  end(endTime?: number): void;
}

export interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; startTime?: number; attributes?: Attributes }, context?: unknown): OtelSpan;
}

export interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
  /** Present on the API's global proxy: the registered SDK's tracer, undefined while none is registered. */
  getDelegateTracer?(name: string, version?: string): OtelTracer | undefined;
}

export interface OtelCounter {
  add(value: number, attributes?: Attributes): void;
}

export interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}

export type OtelObservable = object;

export interface OtelBatchResult {
  observe(observable: OtelObservable, value: number, attributes?: Attributes): void;
}

export type OtelBatchCallback = (result: OtelBatchResult) => void;

interface InstrumentOptions {
  description: string;
  unit: string;
  advice?: { explicitBucketBoundaries: number[] };
}

export interface OtelMeter {
  createCounter(name: string, options: InstrumentOptions): OtelCounter;
  createHistogram(name: string, options: InstrumentOptions): OtelHistogram;
  createObservableGauge(name: string, options: InstrumentOptions): OtelObservable;
  createObservableCounter(name: string, options: InstrumentOptions): OtelObservable;
  addBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
  removeBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
}

export interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

export interface OtelApi {
  readonly trace: { getTracerProvider(): OtelTracerProvider };
  readonly metrics: { getMeterProvider(): OtelMeterProvider };
  createNoopMeter(): OtelMeter;
}

/** SpanKind and SpanStatusCode values of the OpenTelemetry specification (stable since API 1.0). */
export const SPAN_KIND = Object.freeze({ internal: 0, client: 2 });
export const STATUS_ERROR = 2;

/**
 * `@opentelemetry/api` as this package resolves it, or null when it is not installed. Loaded once, synchronously:
 * an ES module cannot `import` an optional package without a top-level await, which would make every importer
 * asynchronous, so require() it and treat "not found" as "telemetry off".
 */
function load(): OtelApi | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    return null;
  }
}

export const otelApi: OtelApi | null = load();
