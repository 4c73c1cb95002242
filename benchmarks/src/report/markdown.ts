import { isMet } from '../lib/targets.js';
import type { RunReport } from '../lib/types.js';
import { figureRange, formatThreshold, formatValue } from './format.js';

/** Table cells must not break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function statusMark(status: string): string {
  return status === 'met' ? '✅ met' : status === 'not met' ? '❌ not met' : '— not measured';
}

/** The Markdown report: targets first, then every scenario's figures and ratios, notes and profiles. */
export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`# certbound benchmarks — ${report.startedAt.slice(0, 10)} (${report.mode})`);
  out.push('');
  out.push(
    `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node} (OpenSSL ${m.openssl}), ${m.platform} ${m.release}. ` +
      `Run took ${(report.durationMs / 1000).toFixed(0)} s` +
      `${report.only === null ? '' : ` (only: ${report.only.join(', ')})`}${report.profile ? ', servers under --cpu-prof' : ''}.`,
  );
  out.push('');
  out.push(`Placement: ${m.placement}. Load average (1 min) ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end${m.loadAverage.start > 0.5 ? ' — the machine was not idle; expect noise' : ''}.`);
  out.push('');
  out.push(
    `Method: every HTTP variant is its own server process; ${report.settings.warmupSeconds} s warm-up each, then ${report.settings.rounds} alternated rounds of ` +
      `${report.settings.roundSeconds} s (A B, B A, …), autocannon with ${report.settings.connections} keep-alive connections presenting a client certificate. ` +
      'Ratios are computed per round (both sides measured back to back) and summarised as median (min – max).',
  );
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('| # | target | measured (median) | required | status |');
  out.push('|---|---|---|---|---|');
  for (const target of report.targets) {
    if (target.checks.length === 0) {
      out.push(`| ${target.id} | ${cell(target.title)}: ${cell(target.statement)} | ${cell(target.note ?? '')} | | ${statusMark(target.status)} |`);
      continue;
    }
    const measured = target.checks
      .map((check) => `${cell(check.label)}: **${formatValue(check.value, check.unit)}**${check.met ? '' : ' ✗'}${check.detail === undefined ? '' : ` (${cell(check.detail)})`}${check.note === undefined ? '' : ` (${cell(check.note)})`}`)
      .join('<br>');
    const required = [...new Set(target.checks.map((check) => `${check.direction === '>=' ? '≥' : '≤'} ${formatValue(check.threshold, check.unit)}`))].join(', ');
    out.push(`| ${target.id} | ${cell(target.title)}: ${cell(target.statement)} | ${measured} | ${required} | ${statusMark(target.status)} |`);
  }
  out.push('');

  out.push('## Scenarios');
  for (const scenario of report.scenarios) {
    out.push('');
    out.push(`### ${scenario.title} (\`${scenario.name}\`)`);
    out.push('');
    if (scenario.status !== 'ok') {
      out.push(`**${scenario.status}**: ${cell(scenario.reason ?? '')}`);
      out.push('');
    }
    if (scenario.figures.length > 0) {
      out.push('| figure | median | min – max | rounds |');
      out.push('|---|---|---|---|');
      for (const figure of scenario.figures) {
        out.push(`| ${cell(figure.label)}${figure.note ? ` (${cell(figure.note)})` : ''} | ${formatValue(figure.stat.median, figure.unit)} | ${figureRange(figure)} | ${figure.stat.samples.length} |`);
      }
      out.push('');
    }
    if (scenario.comparisons.length > 0) {
      out.push('| comparison | value (median) | min – max | target | |');
      out.push('|---|---|---|---|---|');
      for (const comparison of scenario.comparisons) {
        const range = comparison.stat.samples.length > 1 ? `${formatValue(comparison.stat.min, comparison.unit)} – ${formatValue(comparison.stat.max, comparison.unit)}` : '';
        const verdict =
          comparison.target === undefined ? '' : isMet(comparison.stat.median, comparison.target.threshold, comparison.target.direction) ? `✅ target ${comparison.target.id}` : `❌ target ${comparison.target.id}`;
        const note = comparison.note === undefined ? '' : ` — ${cell(comparison.note)}`;
        const detail = comparison.detail === undefined ? '' : ` (${cell(comparison.detail)})`;
        out.push(`| ${cell(comparison.label)} = ${cell(comparison.formula)}${note} | **${formatValue(comparison.stat.median, comparison.unit)}**${detail} | ${range} | ${formatThreshold(comparison)} | ${verdict} |`);
      }
      out.push('');
    }
    for (const note of scenario.notes) out.push(`- ${note}`);
    if (scenario.notes.length > 0) out.push('');
    for (const profile of scenario.profiles) {
      out.push(`<details><summary>CPU profile: ${cell(profile.process)} (${profile.totalMs} ms busy)</summary>`);
      out.push('');
      out.push('| self % | self ms | function | location |');
      out.push('|---|---|---|---|');
      for (const frame of profile.top) out.push(`| ${frame.selfPercent.toFixed(1)} | ${frame.selfMs.toFixed(1)} | \`${cell(frame.functionName)}\` | ${cell(frame.location)} |`);
      out.push('');
      out.push('</details>');
      out.push('');
    }
  }
  out.push('');
  out.push('## Versions');
  out.push('');
  out.push(
    Object.entries(m.packages)
      .map(([name, version]) => `\`${name}\` ${version}`)
      .join(', ') + (m.nginx ? `, ${m.nginx}` : ''),
  );
  out.push('');
  return out.join('\n');
}
