import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../src/lib/profile.js';
import { summarize } from '../src/lib/stats.js';
import { evaluateTargets } from '../src/lib/targets.js';
import type { RunReport, ScenarioResult } from '../src/lib/types.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { chartRows, escapeXml, renderSvg } from '../src/report/svg.js';

function report(scenarios: ScenarioResult[]): RunReport {
  return {
    schema: 'certbound-bench/1',
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:05:05.000Z',
    durationMs: 60_000,
    mode: 'quick',
    only: null,
    profile: false,
    settings: { warmupSeconds: 1, roundSeconds: 2, rounds: 3, connections: 32, memoryTokens: 1000, memorySeconds: 10, clientRoundSeconds: 1, coldAlgorithms: ['RS256'], peerWithBare: false, exampleApis: false },
    machine: { cpuModel: 'Test <CPU> & co', cores: 2, memoryBytes: 2 ** 32, platform: 'linux', release: '6', node: 'v20', v8: '11', openssl: '3', placement: 'pinned', packages: { jose: '6' }, loadAverage: { start: 0.1, end: 0.2 } },
    scenarios,
    targets: evaluateTargets(scenarios),
  };
}

const koa: ScenarioResult = {
  name: 'http-koa',
  title: 'Koa over mTLS',
  status: 'ok',
  durationMs: 1000,
  figures: [
    { id: 'koa.bare', label: 'bare Koa | TLS', unit: 'req/s', stat: summarize([24_000, 25_000, 26_000]) },
    { id: 'koa.bare.cpu', label: 'bare Koa: server CPU per request', unit: 'µs CPU/req', stat: summarize([27, 26.5, 28]) },
  ],
  comparisons: [
    {
      id: 'koa.warm.cpu',
      label: 'Koa adapter, warm (CPU/req)',
      formula: 'bare ÷ adapter CPU',
      unit: 'ratio',
      stat: summarize([0.93, 0.96, 0.97]),
      target: { id: 1, threshold: 0.95, direction: '>=' },
      chart: true,
      detail: '27.0 → 28.1 µs CPU/req',
    },
    { id: 'koa.warm', label: 'Koa adapter, warm', formula: 'adapter ÷ bare', unit: 'ratio', stat: summarize([0.93, 0.95, 0.97]), chart: true },
    { id: 'koa.cold', label: 'Koa <cold>', formula: 'cold ÷ bare', unit: 'ratio', stat: summarize([0.3, 0.31, 0.33]), chart: true },
    { id: 'koa.cost', label: 'not charted', formula: 'x', unit: 'µs', stat: summarize([3]) },
  ],
  notes: ['a note'],
  profiles: [],
};

describe('Markdown report', () => {
  it('lists every performance target with its measured value and status', () => {
    const markdown = renderMarkdown(report([koa]));
    expect(markdown).toContain('| 1 | Warm hot path');
    expect(markdown).toContain('Koa adapter, warm (CPU/req): **0.96×** (27.0 → 28.1 µs CPU/req)');
    expect(markdown).toContain('**0.95×**');
    expect(markdown).toContain('| bare Koa: server CPU per request | 27.0 µs CPU/req | 26.5 µs CPU/req – 28.0 µs CPU/req | 3 |');
    expect(markdown).toContain('✅ met');
    // Targets without a scenario are listed as not measured, not dropped.
    for (const id of [2, 3, 4, 5, 6]) expect(markdown).toMatch(new RegExp(`\\| ${id} \\| .*— not measured`));
    // A "|" in a title cannot break the table.
    expect(markdown).toContain('bare Koa \\| TLS');
  });
});

describe('SVG chart', () => {
  it('draws one bar per charted ratio, with the target mark and labelled values', () => {
    const svg = renderSvg(report([koa]));
    expect(chartRows(report([koa])).map((row) => row.comparison.id)).toEqual(['koa.warm.cpu', 'koa.warm', 'koa.cold']);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('0.96× (≥ 0.95) ✓');
    expect(svg).toContain('0.95×');
    expect(svg).toContain('0.31×');
    expect(svg).toContain('stroke-dasharray="4 2"'); // the target mark
    expect(svg.match(/<rect [^>]*fill-opacity="0.85"/g)).toHaveLength(3);
    // The CPU per request of both sides is written beside the CPU ratio's bar.
    expect(svg).toMatch(/<text [^>]*>27\.0 → 28\.1 µs CPU\/req<\/text>/);
  });

  it('escapes text, so labels cannot inject markup', () => {
    const svg = renderSvg(report([koa]));
    expect(svg).toContain('Koa &lt;cold&gt;');
    expect(svg).toContain('Test &lt;CPU&gt; &amp; co');
    expect(svg).not.toContain('<cold>');
    expect(escapeXml(`"'&<>`)).toBe('&quot;&apos;&amp;&lt;&gt;');
  });

  it('still renders a valid document when nothing was measured', () => {
    const svg = renderSvg(report([]));
    expect(svg).toContain('no ratio was measured');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('CPU profile summary', () => {
  it('charges each sample to the frame on top of the stack and leaves idle out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 } },
        { id: 2, callFrame: { functionName: 'verify', url: 'file:///x/core.ts', lineNumber: 9, columnNumber: 0 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 } },
        { id: 4, callFrame: { functionName: 'parse', url: 'file:///x/core.ts', lineNumber: 19, columnNumber: 0 } },
      ],
      samples: [2, 2, 3, 4, 2],
      timeDeltas: [1000, 1000, 5000, 1000, 1000],
    };
    const summary = summarizeProfile(profile, 'server', '/tmp/p.cpuprofile');
    expect(summary.totalMs).toBe(4);
    expect(summary.top[0]).toMatchObject({ functionName: 'verify', selfMs: 3, selfPercent: 75 });
    expect(summary.top[1]).toMatchObject({ functionName: 'parse', selfPercent: 25 });
    expect(summary.top.some((frame) => frame.functionName === '(idle)')).toBe(false);
  });
});
