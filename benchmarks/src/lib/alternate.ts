import { progress } from './progress.js';
import { formatCount } from './stats.js';

/** What one measured run of a variant yields. */
export interface Measurement {
  /** Rate of the run (req/s or ops/s). */
  rate: number;
  /** CPU time the server process spent per response in the run (µs), when the variant reads its server's CPU. */
  cpuMicrosPerRequest?: number;
}

/** One side of an A/B comparison: something that can be loaded for N seconds and reports a rate. */
export interface Variant {
  id: string;
  label: string;
  /**
   * Load the variant for `seconds` and return its rate (and server CPU per request). Throws when the run is
   * unhealthy. `warmUp` is true for the warm-up run, which is not measured.
   */
  measure(seconds: number, warmUp?: boolean): Promise<Measurement>;
  /** Called after the warm-up, before the first measured round, and after the last one (--profile: profile the rounds only). */
  roundsStart?(): Promise<void>;
  roundsEnd?(): Promise<void>;
}

export interface AlternateOptions {
  scope: string;
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  unit?: string;
}

/** Per-variant samples of an alternated run, one per round, in round order. */
export interface AlternateSamples {
  rate: Map<string, number[]>;
  /** Server CPU µs per request, for the variants that measure it (absent otherwise). */
  cpu: Map<string, number[]>;
}

function describe(label: string, measurement: Measurement, unit: string): string {
  const cpu = measurement.cpuMicrosPerRequest === undefined ? '' : ` (${measurement.cpuMicrosPerRequest.toFixed(1)} µs CPU/req)`;
  return `${label} ${formatCount(measurement.rate)} ${unit}${cpu}`;
}

/**
 * Warm every variant up, then measure them in alternation for `rounds` rounds. Odd rounds run the variants in
 * reverse order (A B, B A, A B ...) so that a drifting machine favours neither side.
 */
export async function alternate(variants: readonly Variant[], options: AlternateOptions): Promise<AlternateSamples> {
  const unit = options.unit ?? 'req/s';
  for (const variant of variants) {
    if (options.warmupSeconds <= 0) break;
    const measurement = await variant.measure(options.warmupSeconds, true);
    progress(options.scope, `warm-up ${describe(variant.label, measurement, unit)}`);
  }
  const samples: AlternateSamples = { rate: new Map(variants.map((variant) => [variant.id, []])), cpu: new Map() };
  for (const variant of variants) await variant.roundsStart?.();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    const line: string[] = [];
    for (const variant of order) {
      const measurement = await variant.measure(options.roundSeconds);
      samples.rate.get(variant.id)!.push(measurement.rate);
      if (measurement.cpuMicrosPerRequest !== undefined) {
        const cpu = samples.cpu.get(variant.id) ?? [];
        cpu.push(measurement.cpuMicrosPerRequest);
        samples.cpu.set(variant.id, cpu);
      }
      line.push(describe(variant.label, measurement, unit));
    }
    progress(options.scope, `round ${round + 1}/${options.rounds}: ${line.join(' · ')}`);
  }
  for (const variant of variants) await variant.roundsEnd?.();
  return samples;
}
