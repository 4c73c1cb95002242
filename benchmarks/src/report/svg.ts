import { isMet } from '../lib/targets.js';
import type { Comparison, RunReport } from '../lib/types.js';

/** Escape text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const COLORS = { met: '#2e7d32', notMet: '#c62828', neutral: '#607d8b', target: '#212121', grid: '#e0e0e0', unity: '#9e9e9e', text: '#212121', muted: '#616161' };

interface Row {
  group: string;
  comparison: Comparison;
}

/** Rows of the chart: every ratio comparison flagged for it, grouped by scenario. */
export function chartRows(report: RunReport): Row[] {
  const rows: Row[] = [];
  for (const scenario of report.scenarios) {
    for (const comparison of scenario.comparisons) {
      if (comparison.chart === true && comparison.unit === 'ratio' && Number.isFinite(comparison.stat.median)) rows.push({ group: scenario.title, comparison });
    }
  }
  return rows;
}

function niceMax(value: number): number {
  const steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50];
  return steps.find((step) => step >= value) ?? Math.ceil(value / 10) * 10;
}

function tickStep(max: number): number {
  if (max <= 1.5) return 0.25;
  if (max <= 3) return 0.5;
  if (max <= 6) return 1;
  if (max <= 15) return 2.5;
  return 5;
}

/**
 * A horizontal bar chart of the ratios: one bar per comparison (median), a whisker for the min–max of the rounds,
 * a dashed mark at the comparison's target and a dotted line at 1.0 (as fast as the baseline). Green bars meet
 * their target, red ones do not, grey ones have no target.
 */
export function renderSvg(report: RunReport): string {
  const rows = chartRows(report);
  // The figures behind a ratio (e.g. both sides' CPU per request) get their own column when any row has them.
  const detailWidth = rows.some((row) => row.comparison.detail !== undefined) ? 190 : 0;
  const width = 980 + detailWidth;
  const labelWidth = 330;
  const valueWidth = 150;
  const plotLeft = labelWidth + 10;
  const plotWidth = width - plotLeft - valueWidth - detailWidth;
  const rowHeight = 26;
  const groupHeight = 24;
  const top = 78;
  const groups = [...new Set(rows.map((row) => row.group))];
  const height = top + rows.length * rowHeight + groups.length * groupHeight + 56;

  const highest = Math.max(1.25, ...rows.map((row) => Math.max(row.comparison.stat.max, row.comparison.target?.threshold ?? 0)));
  const max = niceMax(highest * 1.05);
  const x = (value: number) => plotLeft + (Math.max(0, Math.min(value, max)) / max) * plotWidth;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="16" y="26" font-size="17" font-weight="bold" fill="${COLORS.text}">certbound benchmarks — ratios to baseline (median of alternated rounds)</text>`);
  const m = report.machine;
  parts.push(
    `<text x="16" y="46" fill="${COLORS.muted}">${escapeXml(`${report.startedAt.slice(0, 10)} · ${report.mode} run · ${m.cpuModel}, ${m.cores} cores · Node ${m.node} · bar = median, whisker = min–max, ┆ = target; CPU/req rows: baseline ÷ candidate server CPU per request, higher is better`)}</text>`,
  );

  const plotTop = top - 8;
  const plotBottom = height - 48;
  const step = tickStep(max);
  for (let tick = 0; tick <= max + 1e-9; tick += step) {
    const tx = x(tick);
    parts.push(`<line x1="${tx.toFixed(1)}" y1="${plotTop}" x2="${tx.toFixed(1)}" y2="${plotBottom}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${tx.toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="${COLORS.muted}">${Number(tick.toFixed(2))}×</text>`);
  }
  const unity = x(1);
  parts.push(`<line x1="${unity.toFixed(1)}" y1="${plotTop}" x2="${unity.toFixed(1)}" y2="${plotBottom}" stroke="${COLORS.unity}" stroke-dasharray="2 3"/>`);
  parts.push(`<text x="${unity.toFixed(1)}" y="${plotTop - 4}" text-anchor="middle" fill="${COLORS.muted}" font-size="10">1.0 = baseline</text>`);

  if (rows.length === 0) {
    parts.push(`<text x="${plotLeft}" y="${top + 20}" fill="${COLORS.muted}">no ratio was measured in this run</text>`);
  }

  let y = top;
  for (const group of groups) {
    // The heading row hides the grid behind it, so a long scenario title stays readable.
    parts.push(`<rect x="0" y="${y + 2}" width="${width}" height="${groupHeight - 2}" fill="#ffffff"/>`);
    parts.push(`<text x="16" y="${y + 16}" font-weight="bold" fill="${COLORS.text}">${escapeXml(group)}</text>`);
    y += groupHeight;
    for (const row of rows.filter((candidate) => candidate.group === group)) {
      const { comparison } = row;
      const { stat, target } = comparison;
      const met = target === undefined ? undefined : isMet(stat.median, target.threshold, target.direction);
      const color = met === undefined ? COLORS.neutral : met ? COLORS.met : COLORS.notMet;
      const barTop = y + 5;
      const barHeight = rowHeight - 10;
      parts.push(`<text x="28" y="${y + rowHeight / 2 + 4}" fill="${COLORS.text}">${escapeXml(comparison.label)}</text>`);
      const tooltip = `${comparison.label}: ${comparison.formula} = ${stat.median.toFixed(3)} (rounds ${stat.samples.map((s) => s.toFixed(3)).join(', ')})${comparison.detail === undefined ? '' : `; ${comparison.detail}`}`;
      parts.push(`<rect x="${plotLeft}" y="${barTop}" width="${Math.max(1, x(stat.median) - plotLeft).toFixed(1)}" height="${barHeight}" fill="${color}" fill-opacity="0.85"><title>${escapeXml(tooltip)}</title></rect>`);
      if (stat.samples.length > 1) {
        const cy = barTop + barHeight / 2;
        parts.push(`<line x1="${x(stat.min).toFixed(1)}" y1="${cy}" x2="${x(stat.max).toFixed(1)}" y2="${cy}" stroke="${COLORS.text}" stroke-width="1.2"/>`);
        parts.push(`<line x1="${x(stat.min).toFixed(1)}" y1="${cy - 4}" x2="${x(stat.min).toFixed(1)}" y2="${cy + 4}" stroke="${COLORS.text}" stroke-width="1.2"/>`);
        parts.push(`<line x1="${x(stat.max).toFixed(1)}" y1="${cy - 4}" x2="${x(stat.max).toFixed(1)}" y2="${cy + 4}" stroke="${COLORS.text}" stroke-width="1.2"/>`);
      }
      if (target !== undefined) {
        const tx = x(target.threshold);
        parts.push(`<line x1="${tx.toFixed(1)}" y1="${y + 1}" x2="${tx.toFixed(1)}" y2="${y + rowHeight - 1}" stroke="${COLORS.target}" stroke-width="2" stroke-dasharray="4 2"/>`);
      }
      const label = `${stat.median.toFixed(2)}×${target === undefined ? '' : ` (${target.direction === '>=' ? '≥' : '≤'} ${target.threshold}) ${met ? '✓' : '✗'}`}`;
      parts.push(`<text x="${width - detailWidth - valueWidth + 8}" y="${y + rowHeight / 2 + 4}" fill="${color}" font-weight="bold">${escapeXml(label)}</text>`);
      if (comparison.detail !== undefined) parts.push(`<text x="${width - detailWidth + 4}" y="${y + rowHeight / 2 + 4}" fill="${COLORS.muted}" font-size="11">${escapeXml(comparison.detail)}</text>`);
      y += rowHeight;
    }
  }

  const legendY = height - 14;
  const legend: [string, string][] = [
    [COLORS.met, 'meets its target'],
    [COLORS.notMet, 'misses its target'],
    [COLORS.neutral, 'context, no target'],
  ];
  let lx = 16;
  for (const [color, text] of legend) {
    parts.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${lx + 18}" y="${legendY}" fill="${COLORS.muted}">${escapeXml(text)}</text>`);
    lx += 40 + text.length * 7;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
