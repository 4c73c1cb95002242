import { formatCount } from '../lib/stats.js';
import type { Comparison, Figure } from '../lib/types.js';

/** The unit of server CPU time per request figures. */
export const CPU_UNIT = 'µs CPU/req';

/** A µs figure without its unit: two decimals below 10, one above. */
export function formatMicros(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** A figure's value in its unit, compactly. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'ratio':
      return `${value.toFixed(2)}×`;
    case 'µs':
      return `${formatMicros(value)} µs`;
    case CPU_UNIT:
      return `${formatMicros(value)} ${CPU_UNIT}`;
    case 'ns':
      return `${value.toFixed(0)} ns`;
    case 'ms':
      return `${value.toFixed(2)} ms`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'count':
      return String(Math.round(value));
    case 'bytes':
      return `${formatCount(value)} B`;
    default:
      return `${formatCount(value)} ${unit}`;
  }
}

export function formatThreshold(comparison: Comparison): string {
  if (comparison.target === undefined) return '';
  return `${comparison.target.direction === '>=' ? '≥' : '≤'} ${formatValue(comparison.target.threshold, comparison.unit)}`;
}

export function figureRange(figure: Figure): string {
  if (figure.stat.samples.length < 2) return '';
  return `${formatValue(figure.stat.min, figure.unit)} – ${formatValue(figure.stat.max, figure.unit)}`;
}
