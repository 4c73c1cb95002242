/** Shapes shared by the runner, the scenarios and the report writers. */

/** Several measurements of one quantity: the rounds of an alternated run. */
export interface Stat {
  min: number;
  median: number;
  max: number;
  /** Every sample, in the order measured. */
  samples: number[];
}

/** One measured quantity of a scenario (req/s of a variant, ops/s of a function, bytes of heap...). */
export interface Figure {
  /** Stable key, e.g. "koa.bare". */
  id: string;
  label: string;
  unit: string;
  stat: Stat;
  note?: string;
}

/** A performance target (benchmarks/README.md "Targets") a comparison is checked against. */
export interface TargetRef {
  /** 1–6, the numbering of benchmarks/README.md "Targets". */
  id: number;
  threshold: number;
  /** ">=" when more is better (throughput ratios), "<=" when less is (heap growth, cost, request count). */
  direction: '>=' | '<=';
}

/** A ratio (or other derived value) between two figures measured in the same run. */
export interface Comparison {
  id: string;
  label: string;
  /** What the value means, e.g. "adapter warm ÷ bare Koa". */
  formula: string;
  unit: 'ratio' | 'µs' | 'ns' | 'count' | 'MiB';
  /** Per-round values when the comparison was alternated; one sample otherwise. */
  stat: Stat;
  target?: TargetRef;
  /** Draw in the SVG chart (ratios only). */
  chart?: boolean;
  /** What a reader must know to interpret the value (e.g. why a threshold cannot be reached here). */
  note?: string;
  /** The figures behind the ratio in a few words (e.g. the two sides' CPU per request), shown beside its bar. */
  detail?: string;
}

export interface ProfileFrame {
  functionName: string;
  location: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  /** Which process was profiled, e.g. "koa.warm server". */
  process: string;
  file: string;
  totalMs: number;
  top: ProfileFrame[];
}

export interface ScenarioResult {
  name: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why a scenario was skipped or failed. */
  reason?: string;
  durationMs: number;
  figures: Figure[];
  comparisons: Comparison[];
  /** What exactly was measured and how, in plain sentences. */
  notes: string[];
  profiles: ProfileSummary[];
}

export interface TargetOutcome {
  id: number;
  title: string;
  statement: string;
  status: 'met' | 'not met' | 'not measured';
  checks: { comparison: string; label: string; value: number; unit: string; threshold: number; direction: '>=' | '<='; met: boolean; detail?: string; note?: string }[];
  note?: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  release: string;
  node: string;
  v8: string;
  openssl: string;
  /** How load generator and servers were placed on the cores. */
  placement: string;
  packages: Record<string, string>;
  nginx?: string;
  /** 1-minute load average when the run started and ended: other work on the machine shows up here. */
  loadAverage: { start: number; end: number };
}

export interface RunReport {
  schema: 'certbound-bench/1';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  mode: 'quick' | 'full';
  only: string[] | null;
  profile: boolean;
  settings: RunSettings;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
  targets: TargetOutcome[];
}

/** Timing knobs, chosen by --quick or the full default. */
export interface RunSettings {
  /** Warm-up per variant before the first measured round, seconds. */
  warmupSeconds: number;
  /** Length of one measured autocannon round, seconds. */
  roundSeconds: number;
  /** Alternated rounds per variant. */
  rounds: number;
  /** autocannon connections. */
  connections: number;
  /** Distinct tokens pushed through the verifier by the memory scenario. */
  memoryTokens: number;
  /** Upper bound on the memory scenario's wall time, seconds (it stops early and says so). */
  memorySeconds: number;
  /** Client cache-hit / network measurements: time per round, seconds. */
  clientRoundSeconds: number;
  /** Cold path in HTTP scenarios: also run ES256 tokens (RS256 always). */
  coldAlgorithms: ('RS256' | 'ES256')[];
  /** Include bare Express in the peer scenario (context for the peer's ratio). */
  peerWithBare: boolean;
  /** Also load each framework's example API (GET /whoami) in the HTTP scenarios. */
  exampleApis: boolean;
}
