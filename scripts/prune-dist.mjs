#!/usr/bin/env node
// Remove compiled files whose source is gone (a moved or deleted module), so a tarball never ships stale code.
// Run from a package folder after `tsc --build`; tsc itself never deletes the outputs of a deleted source.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUTPUT = /\.(d\.ts\.map|d\.ts|js\.map|js)$/;

function prune(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    if (!OUTPUT.test(entry.name)) continue;
    const base = join('src', relative('dist', path)).replace(OUTPUT, '');
    if (!['.ts', '.mts', '.tsx'].some((extension) => existsSync(base + extension))) rmSync(path);
  }
}

if (existsSync('dist')) prune('dist');
