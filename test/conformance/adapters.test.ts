/**
 * The conformance suite against the five example APIs (Koa, Express, Fastify, Hono, NestJS), each a child process
 * started from one docs/configuration.md file and reached over real mutual TLS. Every case runs unchanged against each;
 * the last test proves they all answered every case identically.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFixture, exampleEnv, startChild, stopAllChildren, tsxArgs, type AuthFixture, type ChildServer } from '../support/index.js';
import { casesFor } from './cases.js';
import { ALL_CAPABILITIES, compareOutcomes, runCase, type CaseOutcome, type ConformanceTarget } from './runner.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ADAPTERS = ['koa-api', 'express-api', 'fastify-api', 'hono-api', 'nestjs-api'] as const;
const cases = casesFor(ALL_CAPABILITIES);

let fixture: AuthFixture;
let configFile: string;
const tables = new Map<string, Map<string, CaseOutcome>>();

beforeAll(async () => {
  fixture = await createAuthFixture();
  configFile = await fixture.writeConfig('certbound.json');
});

afterAll(async () => {
  await stopAllChildren();
  await fixture?.close();
});

for (const name of ADAPTERS) {
  describe(`conformance: examples/${name}, ${cases.length} cases over mTLS`, () => {
    let child: ChildServer;
    let target: ConformanceTarget;
    const outcomes = new Map<string, CaseOutcome>();
    tables.set(name, outcomes);

    beforeAll(async () => {
      child = await startChild({ args: tsxArgs(`examples/${name}/src/main.ts`), cwd: root, env: { CERTBOUND_CONFIG: configFile, ...exampleEnv(name) } });
      target = { name, url: child.url, capabilities: ALL_CAPABILITIES };
      console.info(`conformance: ${name} at ${child.url} runs ${cases.length} cases`);
    });

    for (const testCase of cases) {
      it(`${testCase.rule} — ${testCase.id}: ${testCase.title}`, async () => {
        const result = await runCase(target, fixture, testCase);
        if (result.outcome) outcomes.set(testCase.id, result.outcome);
        expect(result.problems, `${name} ${testCase.id}`).toEqual([]);
      });
    }

    it('docs/configuration.md: stops cleanly on SIGTERM (exit code 0, no forced exit)', async () => {
      const { code, signal } = await child.stop('SIGTERM');
      // stderr holds only the JWKS state lines: keys loaded once, and one line per outage the JWKS cases caused.
      const lines = child.stderr().split('\n').filter((line) => line !== '');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      for (const line of lines) expect(JSON.parse(line)).toMatchObject({ name: 'certbound', msg: expect.stringMatching(/^JWKS (keys loaded|refresh failed)$/) });
    });
  });
}

describe('conformance: identical behaviour across adapters', () => {
  it(`every case gave the same status, challenge and body on ${ADAPTERS.join(', ')}`, () => {
    const counts = ADAPTERS.map((name) => tables.get(name)?.size ?? 0);
    console.info(`conformance: outcomes recorded per adapter: ${ADAPTERS.map((name, i) => `${name} ${counts[i]}`).join(', ')} (of ${cases.length} cases)`);
    expect(counts).toEqual(ADAPTERS.map(() => cases.length));
    expect(compareOutcomes(ADAPTERS.map((name) => ({ target: name, outcomes: tables.get(name)! })))).toEqual([]);
  });
});
