import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ProfileFrame, ProfileSummary } from './types.js';
import { repoDir } from './paths.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function location(url: string, line: number): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (path.startsWith('/')) path = relative(repoDir, path);
  // Shorten pnpm's store paths to package/file.
  path = path.replace(/^(?:\.\.\/)*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
  return `${path}:${line + 1}`;
}

/**
 * Self time per function of a `.cpuprofile` (V8 sampling profile): each sample's time delta is charged to the
 * frame on top of the stack. Idle time is left out of the percentages: they say where the busy time went.
 */
export function summarizeProfile(profile: CpuProfile, name: string, file: string, limit = 15): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { functionName: string; location: string; micros: number }>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined || delta <= 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += delta;
    const where = location(url, lineNumber);
    const key = `${functionName}\u0000${where}`;
    const entry = self.get(key) ?? { functionName: functionName || '(anonymous)', location: where, micros: 0 };
    entry.micros += delta;
    self.set(key, entry);
  }
  const top: ProfileFrame[] = [...self.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, limit)
    .map((entry) => ({
      functionName: entry.functionName,
      location: entry.location,
      selfMs: Math.round(entry.micros / 100) / 10,
      selfPercent: busy === 0 ? 0 : Math.round((entry.micros / busy) * 1000) / 10,
    }));
  return { process: name, file: relative(repoDir, file), totalMs: Math.round(busy / 1000), top };
}

export async function readProfile(file: string, name: string, limit = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  return summarizeProfile(profile, name, file, limit);
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [`top self-time frames, ${summary.process} (${summary.totalMs} ms busy, ${summary.file}):`];
  for (const frame of summary.top) {
    lines.push(`  ${frame.selfPercent.toFixed(1).padStart(5)}%  ${frame.selfMs.toFixed(1).padStart(8)} ms  ${frame.functionName}  ${frame.location}`);
  }
  return lines.join('\n');
}
