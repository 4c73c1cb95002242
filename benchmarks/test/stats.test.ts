import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/lib/args.js';
import { isMet, evaluateTargets } from '../src/lib/targets.js';
import { alternate, type Measurement, type Variant } from '../src/lib/alternate.js';
import { cpuPerRequest, cpuRatios, median, pairedRatios, summarize } from '../src/lib/stats.js';
import { ScenarioRecorder, type ScenarioContext } from '../src/scenarios/context.js';
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

describe('server CPU per request', () => {
  it('divides the CPU time of a round by the responses counted in it', () => {
    // 0.6 s of CPU for 20,000 responses: 30 µs each.
    expect(cpuPerRequest(1_000_000, 1_600_000, 20_000)).toBe(30);
    expect(() => cpuPerRequest(0, 1000, 0)).toThrow(/no responses/);
    expect(() => cpuPerRequest(2000, 1000, 10)).toThrow(/backwards/);
  });

  it('orients the CPU ratio like a throughput ratio: baseline ÷ candidate, higher is better', () => {
    // Adapter 30 µs vs bare 27 µs per request: 0.9; an adapter costing nothing more gives 1.
    const ratios = cpuRatios([30, 28, 27], [27, 28, 27]);
    expect(ratios.samples).toEqual([0.9, 1, 1]);
    expect(ratios.median).toBe(1);
    expect(ratios.min).toBe(0.9);
  });

  it('alternated rounds keep each variant\'s CPU samples in round order, and none for a variant without a server', async () => {
    const order: string[] = [];
    const fake = (id: string, measurements: Measurement[]): Variant => ({
      id,
      label: id,
      measure: async () => {
        order.push(id);
        return measurements.shift()!;
      },
      roundsStart: async () => void order.push(`${id} start`),
      roundsEnd: async () => void order.push(`${id} end`),
    });
    const samples = await alternate(
      [
        fake('bare', [{ rate: 100, cpuMicrosPerRequest: 27 }, { rate: 90, cpuMicrosPerRequest: 28 }]),
        fake('adapter', [{ rate: 95, cpuMicrosPerRequest: 29 }, { rate: 85, cpuMicrosPerRequest: 30 }]),
        fake('remote', [{ rate: 10 }, { rate: 11 }]),
      ],
      { scope: 'test', rounds: 2, roundSeconds: 1, warmupSeconds: 0 },
    );
    // The measured rounds are bracketed (a --profile covers them, not the warm-up).
    expect(order).toEqual(['bare start', 'adapter start', 'remote start', 'bare', 'adapter', 'remote', 'remote', 'adapter', 'bare', 'bare end', 'adapter end', 'remote end']);
    expect(samples.rate.get('bare')).toEqual([100, 90]);
    expect(samples.cpu.get('adapter')).toEqual([29, 30]);
    expect(samples.cpu.has('remote')).toBe(false);
  });

  it('a comparison files the CPU ratio (with the target) and the throughput ratio (context) side by side', () => {
    const recorder = new ScenarioRecorder({ name: 'http-koa', title: 'Koa', run: async () => {} }, {} as ScenarioContext);
    const samples = {
      rate: new Map([['bare', [100, 100, 100]], ['warm', [90, 95, 80]]]),
      cpu: new Map([['bare', [27, 27, 30]], ['warm', [30, 27, 30]]]),
    };
    recorder.compare(samples, { id: 'koa.warm-vs-bare', label: 'Koa adapter, warm', candidate: 'warm', baseline: 'bare', names: ['adapter', 'bare Koa'], cpuTarget: { id: 1, threshold: 0.95, direction: '>=' } });
    const [cpu, rate] = recorder.comparisons;
    expect(cpu).toMatchObject({ id: 'koa.warm-vs-bare.cpu', label: 'Koa adapter, warm (CPU/req)', target: { id: 1, threshold: 0.95 }, detail: '27.0 → 30.0 µs CPU/req' });
    expect(cpu!.stat.samples).toEqual([0.9, 1, 1]);
    expect(cpu!.formula).toBe('server CPU per request: bare Koa ÷ adapter');
    expect(rate).toMatchObject({ id: 'koa.warm-vs-bare', label: 'Koa adapter, warm (req/s)' });
    expect(rate!.target).toBeUndefined();
    expect(rate!.stat.median).toBe(0.9);
  });

  it('without CPU samples on both sides only the throughput ratio is filed', () => {
    const recorder = new ScenarioRecorder({ name: 'gateway', title: 'Gateway', run: async () => {} }, {} as ScenarioContext);
    const samples = { rate: new Map([['a', [1]], ['b', [2]]]), cpu: new Map([['a', [5]]]) };
    recorder.compare(samples, { id: 'x', label: 'a ÷ b', candidate: 'a', baseline: 'b', names: ['a', 'b'] });
    expect(recorder.comparisons.map((comparison) => comparison.id)).toEqual(['x']);
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
