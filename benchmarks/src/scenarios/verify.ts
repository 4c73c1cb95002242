import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchmarksDir, srcDir } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import type { MicroInit } from '../micro/main.js';
import { ScenarioSkipped, type Scenario } from './context.js';

const VERIFY_DIR = join(benchmarksDir, 'verify');
type Contender = 'cold' | 'warm' | 'jose' | 'raw';

/** The shape benchmarks/verify/verify.ts returns (VerifyBenchmarkResult), checked at run time. */
interface VerifyResult {
  quick: boolean;
  cellMilliseconds: number;
  rounds: number;
  distinctTokens: number;
  rows: { alg: string; coldOpsPerSec: number; warmOpsPerSec: number; joseOpsPerSec: number; rawOpsPerSec: number }[];
}

function isVerifyResult(value: unknown): value is VerifyResult {
  if (typeof value !== 'object' || value === null) return false;
  const rows = (value as { rows?: unknown }).rows;
  return (
    Array.isArray(rows) &&
    rows.length > 0 &&
    rows.every(
      (row: unknown) =>
        typeof row === 'object' &&
        row !== null &&
        typeof (row as Record<string, unknown>)['alg'] === 'string' &&
        ['coldOpsPerSec', 'warmOpsPerSec', 'joseOpsPerSec', 'rawOpsPerSec'].every((key) => typeof (row as Record<string, unknown>)[key] === 'number'),
    )
  );
}

/** The module benchmarks/verify exposes (its index, else its one non-test TypeScript file). */
export function locateVerifyModule(dir = VERIFY_DIR): string | undefined {
  const candidates = ['index.ts', 'src/index.ts', 'verify.ts', 'src/verify.ts', 'run.ts', 'src/run.ts', 'bench.ts', 'src/bench.ts'];
  for (const candidate of candidates) if (existsSync(join(dir, candidate))) return join(dir, candidate);
  for (const sub of ['', 'src']) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    const files = readdirSync(folder).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'));
    if (files.length === 1) return join(folder, files[0]!);
  }
  return undefined;
}

/**
 * Scenario 1: the verification micro-benchmark written with the core (benchmarks/verify/verify.ts,
 * `runVerifyBenchmark({ quick })`). The runner does not re-implement it: it runs the exported function in a child
 * on the server core and files its figures, then derives benchmarks/README.md target 3 (cold verifier ≥ 0.8 × raw
 * node:crypto.verify + parse; ≥ 3 × jose for RS256).
 */
export const verifyScenario: Scenario = {
  name: 'verify',
  title: 'Verification micro-benchmark (one core, sequential)',
  async run(context, recorder) {
    const entry = locateVerifyModule();
    if (entry === undefined) throw new ScenarioSkipped('benchmarks/verify (the core micro-benchmark) is not there');
    const child = await recorder.child<{ pid: number }>('micro', join(srcDir, 'micro', 'main.ts'), { entry, quick: context.quick } satisfies MicroInit, { cpu: 'server' });
    progress('verify', `running ${entry.slice(benchmarksDir.length + 1)} (${context.quick ? 'quick' : 'full'})`);
    const { exportName, result } = await child.call<{ exportName: string; result: unknown }>('run', { entry, quick: context.quick } satisfies MicroInit, 15 * 60_000);
    recorder.note(`From benchmarks/${entry.slice(benchmarksDir.length + 1)}, export ${exportName}({ quick: ${context.quick} }), run in its own process on the server core.`);

    if (!isVerifyResult(result)) throw new Error(`unrecognised result from ${exportName}: ${JSON.stringify(result).slice(0, 300)}`);
    recorder.note(
      `The micro-benchmark signs ${result.distinctTokens} distinct certificate-bound tokens per algorithm, runs its four contenders in ${result.rounds} alternating rounds (${result.cellMilliseconds} ms per contender and algorithm) and reports the median round; it exposes no per-round figures, so min = median = max here.`,
    );
    const LABELS: Record<Contender, string> = { cold: 'verifier, cache off (cold)', warm: 'verifier, cache on (warm)', jose: 'jose.jwtVerify + thumbprint', raw: 'node:crypto.verify + JSON.parse' };
    for (const row of result.rows) {
      const alg = row.alg;
      const rate: Record<Contender, number> = { cold: row.coldOpsPerSec, warm: row.warmOpsPerSec, jose: row.joseOpsPerSec, raw: row.rawOpsPerSec };
      for (const contender of ['cold', 'warm', 'jose', 'raw'] as const) recorder.figure(`verify.${alg}.${contender}`, `${alg} ${LABELS[contender]}`, 'ops/s', [rate[contender]]);
      recorder.ratio(`verify.${alg}.cold-vs-raw`, `${alg} cold ÷ raw crypto`, `verifier, cache off ÷ node:crypto.verify + parse (${alg})`, [rate.cold], [rate.raw], { id: 3, threshold: 0.8, direction: '>=' });
      const overJose = recorder.ratio(`verify.${alg}.cold-vs-jose`, `${alg} cold ÷ jose`, `verifier, cache off ÷ jose.jwtVerify (${alg})`, [rate.cold], [rate.jose]);
      if (alg === 'RS256') {
        overJose.target = { id: 3, threshold: 3, direction: '>=' };
        // The "≥ 3 × jose" of target 3 was derived from reference figures (jose at 0.22 × raw). Where jose runs
        // closer to raw crypto, 3 × jose exceeds what even a zero-cost verifier could reach: say so.
        if (3 * rate.jose > rate.raw) {
          overJose.note = `unreachable on this machine: jose.jwtVerify runs at ${(rate.jose / rate.raw).toFixed(2)} × raw crypto.verify, so 3 × jose = ${((3 * rate.jose) / rate.raw).toFixed(2)} × raw`;
        }
      }
      const warm = recorder.ratio(`verify.${alg}.warm-vs-raw`, `${alg} warm ÷ raw crypto`, `verifier, cache on ÷ node:crypto.verify + parse (${alg})`, [rate.warm], [rate.raw]);
      // Tens of times the raw rate: it would flatten every other bar of the chart; it stays in the tables.
      warm.chart = false;
    }
  },
};
