import { serve } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { registerHonoSuite } from './suite.js';

// The installed copy's own manifest (the package does not export ./package.json).
const version = (JSON.parse(readFileSync(new URL('../node_modules/@hono/node-server/package.json', import.meta.url), 'utf8')) as { version: string }).version;

it('runs against the real @hono/node-server 2', () => {
  expect(version.split('.')[0]).toBe('2');
});

registerHonoSuite('2.x', serve);
