import { join } from 'node:path';
import type { AlternateSamples, Variant } from '../lib/alternate.js';
import { startChild, stopAll, type ChildHandle } from '../lib/child.js';
import type { Fixtures } from '../lib/fixtures.js';
import { srcDir } from '../lib/paths.js';
import type { Placement } from '../lib/placement.js';
import { formatProfile, readProfile } from '../lib/profile.js';
import { progress } from '../lib/progress.js';
import { cpuRatios, median, pairedRatios, summarize } from '../lib/stats.js';
import type { Comparison, Figure, RunSettings, ScenarioResult, TargetRef } from '../lib/types.js';
import { CPU_UNIT, formatMicros } from '../report/format.js';
import type { ServerReady, ServerSpec } from '../server/spec.js';

/** What every scenario gets from the runner. */
export interface ScenarioContext {
  quick: boolean;
  settings: RunSettings;
  fixtures: Fixtures;
  placement: Placement;
  /** Set with --profile: where server processes write their CPU profiles. */
  profileDir: string | undefined;
  nginxBinary: string;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: ScenarioContext, recorder: ScenarioRecorder): Promise<void>;
}

/** Thrown by a scenario that cannot run here (a package or binary missing): reported as "skipped", not "failed". */
export class ScenarioSkipped extends Error {}

/** Collects a scenario's figures, comparisons, notes and the child processes it must stop. */
export class ScenarioRecorder {
  readonly figures: Figure[] = [];
  readonly comparisons: Comparison[] = [];
  readonly notes: string[] = [];
  readonly profiles: ScenarioResult['profiles'] = [];
  private readonly children: ChildHandle<unknown>[] = [];

  constructor(
    readonly scenario: Scenario,
    private readonly context: ScenarioContext,
  ) {}

  figure(id: string, label: string, unit: string, samples: readonly number[], note?: string): Figure {
    const figure: Figure = { id, label, unit, stat: summarize(samples) };
    if (note !== undefined) figure.note = note;
    this.figures.push(figure);
    return figure;
  }

  /** candidate ÷ baseline, round by round. */
  ratio(id: string, label: string, formula: string, candidate: readonly number[], baseline: readonly number[], target?: TargetRef): Comparison {
    const comparison: Comparison = { id, label, formula, unit: 'ratio', stat: pairedRatios(candidate, baseline), chart: true };
    if (target !== undefined) comparison.target = target;
    this.comparisons.push(comparison);
    return comparison;
  }

  /**
   * Server CPU per request of two variants, baseline ÷ candidate round by round: higher is better, 1.0 means the
   * candidate's server spends no more CPU per request than the baseline's.
   */
  cpuRatio(id: string, label: string, formula: string, candidateCpu: readonly number[], baselineCpu: readonly number[], target?: TargetRef): Comparison {
    const comparison: Comparison = {
      id,
      label,
      formula,
      unit: 'ratio',
      stat: cpuRatios(candidateCpu, baselineCpu),
      chart: true,
      detail: `${formatMicros(median(baselineCpu))} → ${formatMicros(median(candidateCpu))} ${CPU_UNIT}`,
    };
    if (target !== undefined) comparison.target = target;
    this.comparisons.push(comparison);
    return comparison;
  }

  /** Every variant of an alternated run as figures: its rate and, when read, its server's CPU per request. */
  variantFigures(prefix: string, variants: readonly Pick<Variant, 'id' | 'label'>[], samples: AlternateSamples, unit = 'req/s'): void {
    for (const variant of variants) this.figure(`${prefix}.${variant.id}`, variant.label, unit, samples.rate.get(variant.id)!);
    for (const variant of variants) {
      const cpu = samples.cpu.get(variant.id);
      if (cpu !== undefined) this.figure(`${prefix}.${variant.id}.cpu`, `${variant.label}: server CPU per request`, CPU_UNIT, cpu);
    }
  }

  /**
   * Both comparisons of a candidate against a baseline of the same alternated run: server CPU per request
   * (id `ID.cpu`, baseline ÷ candidate) when both servers' CPU was read, and throughput (id `ID`, candidate ÷
   * baseline). `names` are the two sides as the formulas say them.
   */
  compare(
    samples: AlternateSamples,
    row: { id: string; label: string; candidate: string; baseline: string; names: [candidate: string, baseline: string]; cpuTarget?: TargetRef; rateTarget?: TargetRef; cpuOnly?: boolean },
  ): void {
    const [candidateName, baselineName] = row.names;
    const candidateCpu = samples.cpu.get(row.candidate);
    const baselineCpu = samples.cpu.get(row.baseline);
    if (candidateCpu !== undefined && baselineCpu !== undefined) {
      this.cpuRatio(`${row.id}.cpu`, `${row.label} (CPU/req)`, `server CPU per request: ${baselineName} ÷ ${candidateName}`, candidateCpu, baselineCpu, row.cpuTarget);
    }
    // At one offered rate for both sides (cpuOnly), requests per second say nothing.
    if (row.cpuOnly === true) return;
    this.ratio(row.id, `${row.label} (req/s)`, `requests per second: ${candidateName} ÷ ${baselineName}`, samples.rate.get(row.candidate)!, samples.rate.get(row.baseline)!, row.rateTarget);
  }

  value(id: string, label: string, formula: string, unit: Comparison['unit'], samples: readonly number[], target?: TargetRef, chart = false): Comparison {
    const comparison: Comparison = { id, label, formula, unit, stat: summarize(samples), chart };
    if (target !== undefined) comparison.target = target;
    this.comparisons.push(comparison);
    return comparison;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Start a server child (pinned to the server cores) from a spec; it is stopped when the scenario ends. */
  async server(name: string, spec: ServerSpec): Promise<ChildHandle<ServerReady>> {
    return this.child<ServerReady>(name, join(srcDir, 'server', 'main.ts'), spec, { cpu: 'server' });
  }

  async child<Ready>(name: string, entry: string, init: unknown, options: { cpu: 'server' | 'any'; nodeFlags?: string[]; readyTimeoutMs?: number; profile?: boolean }): Promise<ChildHandle<Ready>> {
    const childOptions: Parameters<typeof startChild>[1] = { name: `${this.scenario.name}.${name}`, entry, placement: this.context.placement, cpu: options.cpu };
    if (this.context.profileDir !== undefined && options.profile !== false) childOptions.profileDir = this.context.profileDir;
    if (options.nodeFlags !== undefined) childOptions.nodeFlags = options.nodeFlags;
    if (options.readyTimeoutMs !== undefined) childOptions.readyTimeoutMs = options.readyTimeoutMs;
    const child = await startChild<Ready>(init, childOptions);
    this.children.push(child as ChildHandle<unknown>);
    return child;
  }

  /** Stop every child; with --profile, summarise and print each one's top self-time frames. */
  async stopChildren(): Promise<void> {
    const children = this.children.splice(0);
    const written = await stopAll(children);
    for (const { name, file } of written) {
      try {
        const summary = await readProfile(file, name);
        this.profiles.push(summary);
        process.stderr.write(formatProfile(summary) + '\n');
      } catch (error) {
        progress(this.scenario.name, `could not read profile ${file}: ${(error as Error).message}`);
      }
    }
  }

  result(status: ScenarioResult['status'], durationMs: number, reason?: string): ScenarioResult {
    const result: ScenarioResult = {
      name: this.scenario.name,
      title: this.scenario.title,
      status,
      durationMs,
      figures: this.figures,
      comparisons: this.comparisons,
      notes: this.notes,
      profiles: this.profiles,
    };
    if (reason !== undefined) result.reason = reason;
    return result;
  }
}
