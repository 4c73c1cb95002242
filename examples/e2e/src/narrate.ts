/** One step of the demo: what it claims, and whether the claim held. */
export interface StepResult {
  readonly id: number;
  readonly title: string;
  readonly expected: string;
  readonly observed: string;
  readonly passed: boolean;
  readonly ms: number;
}

export interface Narrator {
  line(text: string): void;
  step(result: StepResult): void;
}

const useColour = process.stdout.isTTY && !process.env['NO_COLOR'];
const paint = (code: number, text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);
export const mark = (passed: boolean) => (passed ? paint(32, '✔ pass') : paint(31, '✘ FAIL'));

/** A narrator that writes to a stream (stdout for the demo), or collects nothing when silent. */
export function streamNarrator(write: (text: string) => void): Narrator {
  return {
    line: (text) => write(`${text}\n`),
    step: (r) => write(`  ${mark(r.passed)}  step ${r.id}: ${r.title}\n          expected ${r.expected}; saw ${r.observed} (${r.ms} ms)\n`),
  };
}

export const silentNarrator: Narrator = { line: () => undefined, step: () => undefined };

/** The summary table printed at the end of the demo. */
export function summaryTable(results: readonly StepResult[]): string {
  const rows = results.map((r) => [String(r.id), r.title, r.passed ? 'pass' : 'FAIL', `${r.ms} ms`]);
  const header = ['step', 'what', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)].join('\n');
}
