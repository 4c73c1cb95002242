import type { Stat } from './types.js';

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** min / median / max of the samples, keeping the samples themselves. */
export function summarize(samples: readonly number[]): Stat {
  if (samples.length === 0) throw new RangeError('no samples to summarize');
  return { min: Math.min(...samples), median: median(samples), max: Math.max(...samples), samples: [...samples] };
}

/**
 * Ratios of two series measured round by round (candidate[i] ÷ baseline[i]): each round's A and B ran back to
 * back, so a ratio per round cancels most of the drift of a shared, noisy machine.
 */
export function pairedRatios(candidate: readonly number[], baseline: readonly number[]): Stat {
  const count = Math.min(candidate.length, baseline.length);
  if (count === 0) throw new RangeError('no paired rounds');
  const ratios: number[] = [];
  for (let i = 0; i < count; i++) {
    const base = baseline[i]!;
    ratios.push(base === 0 ? 0 : candidate[i]! / base);
  }
  return summarize(ratios);
}

/**
 * Server CPU time per response in one round (µs): the process's CPU time (user + system, read by the process
 * itself before and after the round) divided by the responses the load generator counted in that round.
 */
export function cpuPerRequest(beforeMicros: number, afterMicros: number, responses: number): number {
  if (!(responses > 0)) throw new RangeError(`no responses to divide the server's CPU time by (${responses})`);
  if (!(afterMicros >= beforeMicros)) throw new RangeError(`the server's CPU time went backwards (${beforeMicros} → ${afterMicros} µs)`);
  return (afterMicros - beforeMicros) / responses;
}

/**
 * CPU cost ratio round by round, oriented like a throughput ratio: baseline CPU ÷ candidate CPU per request, so
 * higher is better and 1.0 means the candidate costs nothing more than the baseline (0.95: 5% more CPU per request).
 */
export function cpuRatios(candidateCpu: readonly number[], baselineCpu: readonly number[]): Stat {
  return pairedRatios(baselineCpu, candidateCpu);
}

/** A single value as a Stat (derived figures measured once). */
export function single(value: number): Stat {
  return { min: value, median: value, max: value, samples: [value] };
}

/** Round to a number of significant digits, for display and compact JSON. */
export function significant(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** "12.3k", "950", "1.20M": throughput labels for tables and the chart. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(2)}k`;
  if (abs >= 10) return value.toFixed(0);
  return value.toFixed(2);
}
