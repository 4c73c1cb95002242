import { progress } from './progress.js';
import { formatCount } from './stats.js';

/** One side of an A/B comparison: something that can be loaded for N seconds and reports a rate. */
export interface Variant {
  id: string;
  label: string;
  /** Load the variant for `seconds` and return its rate (req/s or ops/s). Throws when the run is unhealthy. */
  measure(seconds: number): Promise<number>;
}

export interface AlternateOptions {
  scope: string;
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  unit?: string;
}

/**
 * Warm every variant up, then measure them in alternation for `rounds` rounds. Odd rounds run the variants in
 * reverse order (A B, B A, A B ...) so that a drifting machine favours neither side.
 */
export async function alternate(variants: readonly Variant[], options: AlternateOptions): Promise<Map<string, number[]>> {
  const unit = options.unit ?? 'req/s';
  for (const variant of variants) {
    if (options.warmupSeconds <= 0) break;
    const rate = await variant.measure(options.warmupSeconds);
    progress(options.scope, `warm-up ${variant.label}: ${formatCount(rate)} ${unit}`);
  }
  const samples = new Map<string, number[]>(variants.map((variant) => [variant.id, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    const line: string[] = [];
    for (const variant of order) {
      const rate = await variant.measure(options.roundSeconds);
      samples.get(variant.id)!.push(rate);
      line.push(`${variant.label} ${formatCount(rate)}`);
    }
    progress(options.scope, `round ${round + 1}/${options.rounds}: ${line.join(' · ')} ${unit}`);
  }
  return samples;
}
