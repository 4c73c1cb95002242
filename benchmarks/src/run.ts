/**
 * certbound benchmarks: `pnpm bench` (full) or `pnpm bench:quick`. Runs every scenario (or `--only NAME`), each
 * starting its own servers on 127.0.0.1, and writes benchmarks/results/latest.{json,md,svg} plus dated copies.
 */
import { existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, USAGE } from './lib/args.js';
import { defaultCacheCap } from './lib/core-info.js';
import { createFixtures } from './lib/fixtures.js';
import { machineInfo } from './lib/machine.js';
import { profilesDir, resultsDir } from './lib/paths.js';
import { setupPlacement } from './lib/placement.js';
import { elapsedMs, progress } from './lib/progress.js';
import { evaluateTargets } from './lib/targets.js';
import type { RunReport, RunSettings, ScenarioResult } from './lib/types.js';
import { writeReport } from './report/write.js';
import { ScenarioRecorder, ScenarioSkipped, type Scenario, type ScenarioContext } from './scenarios/context.js';
import { SCENARIOS, GROUPS } from './scenarios/index.js';
import { benchVerifier } from './scenarios/shared.js';

const NGINX = '/usr/sbin/nginx';

const QUICK: RunSettings = {
  warmupSeconds: 3,
  roundSeconds: 1.5,
  rounds: 3,
  connections: 32,
  memoryTokens: 100_000,
  memorySeconds: 40,
  clientRoundSeconds: 1,
  coldAlgorithms: ['RS256'],
  peerWithBare: false,
  exampleApis: true,
};

const FULL: RunSettings = {
  warmupSeconds: 5,
  roundSeconds: 4,
  rounds: 5,
  connections: 32,
  memoryTokens: 1_000_000,
  memorySeconds: 300,
  clientRoundSeconds: 3,
  coldAlgorithms: ['RS256', 'ES256'],
  peerWithBare: true,
  exampleApis: true,
};

function selectScenarios(only: string[] | null): Scenario[] {
  if (only === null) return [...SCENARIOS];
  const wanted = new Set(only.flatMap((name) => GROUPS[name] ?? [name]));
  const unknown = [...wanted].filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) throw new TypeError(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}, ${Object.keys(GROUPS).join(', ')}`);
  return SCENARIOS.filter((scenario) => wanted.has(scenario.name));
}

async function runScenario(scenario: Scenario, context: ScenarioContext): Promise<ScenarioResult> {
  const recorder = new ScenarioRecorder(scenario, context);
  const started = Date.now();
  progress(scenario.name, `start: ${scenario.title}`);
  let status: ScenarioResult['status'] = 'ok';
  let reason: string | undefined;
  try {
    await scenario.run(context, recorder);
  } catch (error) {
    status = error instanceof ScenarioSkipped ? 'skipped' : 'failed';
    reason = error instanceof Error ? error.message : String(error);
    progress(scenario.name, `${status}: ${reason}`);
  } finally {
    await recorder.stopChildren();
  }
  const result = recorder.result(status, Date.now() - started, reason);
  progress(scenario.name, `${status} in ${(result.durationMs / 1000).toFixed(1)} s`);
  return result;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const scenarios = selectScenarios(args.only);
  const settings = args.quick ? QUICK : FULL;
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const placement = setupPlacement();
  progress('run', `${args.quick ? 'quick' : 'full'} run: ${scenarios.map((s) => s.name).join(', ')}`);
  progress('run', `placement: ${placement.description}`);
  if (loadAtStart > 0.5) progress('run', `note: 1-minute load average is ${loadAtStart.toFixed(2)} before the run — other work on this machine will add noise`);
  const fixtures = await createFixtures();
  // Even on Ctrl-C, leave no generated private keys behind.
  process.once('exit', () => rmSync(fixtures.dir, { recursive: true, force: true }));
  progress('run', `dev PKI and ES256/RS256 signing keys ready in ${fixtures.dir}`);
  const context: ScenarioContext = {
    quick: args.quick,
    settings,
    fixtures,
    placement,
    profileDir: args.profile ? profilesDir : undefined,
    nginxBinary: NGINX,
  };
  // The cold HTTP variants need 2 × cache-cap distinct tokens per algorithm. Signing them takes seconds, so when
  // the load side has its own core, sign them now, while the first scenarios measure on the server core.
  if (placement.pinned && scenarios.some((scenario) => scenario.name.startsWith('http-'))) {
    const cap = await defaultCacheCap({ ...benchVerifier(fixtures, ['RS256']) });
    for (const alg of settings.coldAlgorithms) fixtures.pool(alg, cap.maxEntries * 2).catch(() => undefined);
  }
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) results.push(await runScenario(scenario, context));
  } finally {
    await fixtures.cleanup();
  }
  const finishedAt = new Date();
  const report: RunReport = {
    schema: 'certbound-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: elapsedMs(),
    mode: args.quick ? 'quick' : 'full',
    only: args.only,
    profile: args.profile,
    settings,
    machine: machineInfo(placement.description, NGINX, loadAtStart),
    scenarios: results,
    targets: evaluateTargets(results),
  };
  const written = await writeReport(report, args.outDir ?? resultsDir);
  progress('run', `wrote ${written.filter((file) => file.includes('latest')).join(', ')} (+ dated copies)`);
  process.stdout.write('\nPerformance targets:\n');
  for (const target of report.targets) {
    const checks = target.checks.map((check) => `${check.label} ${check.value.toFixed(check.unit === 'count' ? 0 : 2)}${check.unit === 'ratio' ? '×' : ` ${check.unit}`} (${check.direction === '>=' ? '≥' : '≤'} ${check.threshold})`).join('; ');
    process.stdout.write(`  ${target.id}. ${target.title.padEnd(16)} ${target.status.padEnd(12)} ${checks || target.note || ''}\n`);
  }
  const broken = results.filter((result) => result.status !== 'ok');
  for (const result of broken) process.stdout.write(`  scenario ${result.name} ${result.status}: ${result.reason}\n`);
  process.stdout.write(`total ${(report.durationMs / 1000).toFixed(0)} s\n`);
  if (args.profile && existsSync(profilesDir)) process.stdout.write(`CPU profiles in ${join(profilesDir)} (open them in Chrome DevTools → Performance)\n`);
}

// Ctrl-C: exit through process.exit so that 'exit' handlers run (nginx is killed; server children see their IPC
// channel close and stop by themselves).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // A usage error (unknown option or scenario) is a message, not a crash.
    if (error instanceof TypeError && /unknown|needs a value/.test(error.message)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
