import { describe, expect, it } from 'vitest';
import { steadyRate } from '../src/scenarios/http.js';

describe('the fixed offered rate of the CPU rounds (target 1)', () => {
  it('is 60% of the slower side’s median throughput, in whole hundreds', () => {
    const samples = { rate: new Map([['bare', [9000, 10_000, 11_000]], ['warm', [8000, 9500, 12_000]]]), cpu: new Map<string, number[]>() };
    expect(steadyRate(samples, ['bare', 'warm'])).toBe(5700); // min(10000, 9500) × 0.6 = 5700
  });

  it('never offers less than 100 requests per second', () => {
    const samples = { rate: new Map([['bare', [50]], ['warm', [40]]]), cpu: new Map<string, number[]>() };
    expect(steadyRate(samples, ['bare', 'warm'])).toBe(100);
  });
});
