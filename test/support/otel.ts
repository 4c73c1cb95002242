/**
 * OpenTelemetry SDK providers whose output the tests read back: spans through the SDK's in-memory exporter, metrics
 * through a reader collected on demand. Passed to certbound through its `telemetry` option, so no test registers
 * a global provider that another test would see.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MeterProvider, MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

import { SOURCE_FLAGS } from './child.js';

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestTelemetry {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  /** Every metric as of now. */
  metrics(): Promise<MetricData[]>;
  /** The data points of one metric (none when it has not been recorded). */
  points(name: string): Promise<DataPoint<unknown>[]>;
  /** The summed value of `name`'s data points whose attributes include `attributes`. */
  sum(name: string, attributes?: Record<string, string>): Promise<number>;
  shutdown(): Promise<void>;
}

export function createTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new OnDemandReader();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  async function metrics(): Promise<MetricData[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }
  async function points(name: string): Promise<DataPoint<unknown>[]> {
    return (await metrics()).filter((metric) => metric.descriptor.name === name).flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
  }
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    metrics,
    points,
    async sum(name, attributes = {}) {
      const matching = (await points(name)).filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
      return matching.reduce((total, point) => total + (typeof point.value === 'number' ? point.value : (point.value as { count: number }).count), 0);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/**
 * Every string certbound exported through telemetry: span names, attribute keys and values, event names and
 * attributes, metric names and data-point attributes. A test searches it for secrets.
 */
export async function exportedText(telemetry: TestTelemetry): Promise<string[]> {
  const texts: string[] = [];
  const add = (attributes: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(attributes)) texts.push(key, String(value));
  };
  for (const span of telemetry.spans()) {
    texts.push(span.name, span.status.message ?? '');
    add(span.attributes);
    for (const event of span.events) {
      texts.push(event.name);
      add(event.attributes ?? {});
    }
    for (const link of span.links) add(link.attributes ?? {});
  }
  for (const metric of await telemetry.metrics()) {
    texts.push(metric.descriptor.name, metric.descriptor.description, metric.descriptor.unit);
    for (const point of metric.dataPoints as DataPoint<unknown>[]) add(point.attributes);
  }
  return texts;
}

/**
 * The ways a secret could appear: as given, and for certificates and keys as PEM body, DER in base64, base64url and
 * hex. Fragments shorter than 16 characters are not searched (they occur by chance).
 */
export function secretForms(secret: string | Uint8Array): string[] {
  if (typeof secret === 'string') {
    const body = secret.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    return [secret, body, ...(body.length >= 64 ? [body.slice(0, 64)] : [])].filter((form) => form.length >= 16);
  }
  const bytes = Buffer.from(secret);
  return [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')].map((form) => form.slice(0, 64));
}

/**
 * Search everything the providers exported for every form of every secret: how many strings and forms were
 * searched (so a test can tell the search was not empty) and the start of the first form found, if any.
 */
export async function searchExported(telemetries: TestTelemetry[], secrets: (string | Uint8Array)[]): Promise<{ texts: number; forms: number; found: string | undefined }> {
  const texts = (await Promise.all(telemetries.map(exportedText))).flat();
  const forms = secrets.flatMap(secretForms);
  const found = forms.find((form) => texts.some((text) => text.includes(form)));
  return { texts: texts.length, forms: forms.length, found: found?.slice(0, 12) };
}

/**
 * Run an ES module `script` (TypeScript sources importable) in a child Node process in which @opentelemetry/api
 * cannot be resolved, as in an application that never installed it; resolves with its stdout.
 */
export async function runWithoutOtelApi(script: string): Promise<string> {
  const hide = new URL('./hide-otel-api.mjs', import.meta.url).href;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', hide, ...SOURCE_FLAGS, '--input-type=module', '--eval', script], { timeout: 20_000 });
  return stdout;
}
