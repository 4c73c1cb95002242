import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/lib/args.js';
import { isMet, evaluateTargets } from '../src/lib/targets.js';
import { median, pairedRatios, summarize } from '../src/lib/stats.js';
import type { ScenarioResult } from '../src/lib/types.js';

describe('stats', () => {
  it('median of odd and even counts, unsorted input', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('summarize keeps min, median, max and the samples in measured order', () => {
    expect(summarize([30, 10, 20])).toEqual({ min: 10, median: 20, max: 30, samples: [30, 10, 20] });
  });

  it('ratios are paired round by round, not median over median', () => {
    // Round 2 is slow for both sides: per-round ratios stay 0.5, 0.5, 0.5.
    const ratios = pairedRatios([50, 10, 50], [100, 20, 100]);
    expect(ratios.samples).toEqual([0.5, 0.5, 0.5]);
    expect(ratios.median).toBe(0.5);
  });
});

describe('targets', () => {
  it('checks ">=" and "<=" thresholds inclusively', () => {
    expect(isMet(0.9, 0.9, '>=')).toBe(true);
    expect(isMet(0.89, 0.9, '>=')).toBe(false);
    expect(isMet(1, 1, '<=')).toBe(true);
    expect(isMet(1.01, 1, '<=')).toBe(false);
  });

  it('a target is met only when every check is, and says why it was not measured', () => {
    const scenario = (name: string, ratios: number[]): ScenarioResult => ({
      name,
      title: name,
      status: 'ok',
      durationMs: 1,
      figures: [],
      comparisons: ratios.map((value, i) => ({ id: `${name}.${i}`, label: `${name} ${i}`, formula: 'a ÷ b', unit: 'ratio', stat: summarize([value]), target: { id: 1, threshold: 0.9, direction: '>=' } })),
      notes: [],
      profiles: [],
    });
    const failed: ScenarioResult = { ...scenario('peer', []), status: 'skipped', reason: '@certbound/express missing' };
    const outcomes = evaluateTargets([scenario('http-koa', [0.95]), scenario('http-express', [0.85]), failed]);
    expect(outcomes[0]!.status).toBe('not met');
    expect(outcomes[0]!.checks.map((check) => check.met)).toEqual([true, false]);
    expect(outcomes[1]!.status).toBe('not measured');
    expect(outcomes[1]!.note).toContain('@certbound/express missing');
    expect(outcomes[4]!.note).toContain('not run');
  });
});

describe('arguments', () => {
  it('parses --quick, repeated and comma-separated --only, --profile', () => {
    expect(parseArgs(['--quick', '--only', 'peer,memory', '--only=verify', '--profile'])).toEqual({ quick: true, only: ['peer', 'memory', 'verify'], profile: true, outDir: null, help: false });
  });

  it('refuses unknown flags and a missing value', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option/);
    expect(() => parseArgs(['--only'])).toThrow(/needs a value/);
  });
});
