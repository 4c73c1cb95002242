import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, platform } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './types.js';
import { benchmarksDir } from './paths.js';

const PACKAGES = [
  '@certbound/core',
  '@certbound/koa',
  '@certbound/express',
  '@certbound/fastify',
  '@certbound/hono',
  '@certbound/gateway',
  '@certbound/client',
  '@certbound/authority',
  '@certbound/dev-pki',
  'jose',
  'koa',
  'express',
  'fastify',
  'hono',
  '@hono/node-server',
  'express-oauth2-jwt-bearer',
  'autocannon',
  'mitata',
  'undici',
];

/** Version of a dependency as installed for the benchmarks package (read from its package.json). */
export function installedVersion(name: string): string {
  const file = join(benchmarksDir, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return 'missing';
  try {
    const manifest = JSON.parse(readFileSync(realpathSync(file), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unreadable';
  }
}

export function nginxVersion(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined;
  try {
    // nginx prints its version on stderr.
    const out = execFileSync(binary, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim() || undefined;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return typeof stderr === 'string' ? stderr.trim() : undefined;
  }
}

export function machineInfo(placement: string, nginxBinary: string, loadAtStart: number): MachineInfo {
  const cpuList = cpus();
  const info: MachineInfo = {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryBytes: totalmem(),
    platform: platform(),
    release: release(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl ?? 'unknown',
    placement,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, installedVersion(name)])),
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
  let nginx: string | undefined;
  try {
    nginx = nginxVersion(nginxBinary);
  } catch {
    nginx = undefined;
  }
  if (nginx !== undefined) info.nginx = nginx;
  return info;
}
