import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir } from './paths.js';

/**
 * Is a workspace package's source there yet? (Its `exports` point at src/index.ts.) Scenarios use this to say
 * precisely which package is missing instead of failing on an import error.
 */
export function packageSourceReady(dir: string): boolean {
  const src = join(repoDir, dir, 'src');
  return existsSync(join(src, 'index.ts')) || (existsSync(src) && readdirSync(src).some((entry) => entry === 'server.ts'));
}

/** Import a module, turning a failure into an Error that names the module and the first line of the cause. */
export async function importOrExplain<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    throw new Error(`cannot load ${specifier}: ${(error as Error).message.split('\n')[0]}`);
  }
}
