import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../lib/types.js';
import { renderMarkdown } from './markdown.js';
import { renderSvg } from './svg.js';

/** Write latest.{json,md,svg} and the dated copies YYYY-MM-DD.{json,md,svg}; returns the paths written. */
export async function writeReport(report: RunReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const date = report.startedAt.slice(0, 10);
  const outputs: [string, string][] = [
    ['json', JSON.stringify(report, null, 2) + '\n'],
    ['md', renderMarkdown(report)],
    ['svg', renderSvg(report)],
  ];
  const written: string[] = [];
  for (const [extension, content] of outputs) {
    const latest = join(dir, `latest.${extension}`);
    await writeFile(latest, content);
    const dated = join(dir, `${date}.${extension}`);
    await copyFile(latest, dated);
    written.push(latest, dated);
  }
  return written;
}
