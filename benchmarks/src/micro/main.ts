/**
 * Child process for the core's verification micro-benchmark (benchmarks/verify, written with @certbound/core): it
 * imports that module and runs its exported benchmark function on the server core, away from the runner.
 */
import { pathToFileURL } from 'node:url';
import { serveChild } from '../lib/child-runtime.js';

export interface MicroInit {
  /** Absolute path of the benchmarks/verify module to import. */
  entry: string;
  quick: boolean;
}

type Runner = (options: { quick: boolean }) => unknown;

/** The benchmark function the module exports: `runVerifyBenchmark`, else the one exported `run…` function. */
export function pickRunner(module: Record<string, unknown>): { name: string; run: Runner } {
  const preferred = ['runVerifyBenchmark', 'runVerifyBenchmarks', 'runBenchmark', 'run', 'default'];
  for (const name of preferred) {
    if (typeof module[name] === 'function') return { name, run: module[name] as Runner };
  }
  const candidates = Object.entries(module).filter(([name, value]) => typeof value === 'function' && /^run/i.test(name));
  if (candidates.length === 1) return { name: candidates[0]![0], run: candidates[0]![1] as Runner };
  throw new Error(`no benchmark function among the exports (${Object.keys(module).join(', ') || 'none'})`);
}

serveChild(async () => ({
  ready: { pid: process.pid },
  methods: {
    async run(args) {
      const { entry, quick } = args as MicroInit;
      const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
      const runner = pickRunner(module);
      const result = await runner.run({ quick });
      return { exportName: runner.name, result };
    },
  },
  close: async () => {},
}));
