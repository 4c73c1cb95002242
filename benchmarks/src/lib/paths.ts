import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** benchmarks/ (this file is benchmarks/src/lib/paths.ts). */
export const benchmarksDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const srcDir = join(benchmarksDir, 'src');
export const resultsDir = join(benchmarksDir, 'results');
export const profilesDir = join(benchmarksDir, '.profiles');
export const repoDir = join(benchmarksDir, '..');
