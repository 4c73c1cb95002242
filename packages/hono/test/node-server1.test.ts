import { serve } from 'hono-node-server1';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { registerHonoSuite, type Serve } from './suite.js';

// The installed copy's own manifest (the package does not export ./package.json).
const version = (JSON.parse(readFileSync(new URL('../node_modules/hono-node-server1/package.json', import.meta.url), 'utf8')) as { version: string }).version;

it('runs against the real @hono/node-server 1', () => {
  expect(version.split('.')[0]).toBe('1');
});

registerHonoSuite('1.x', serve as unknown as Serve);
