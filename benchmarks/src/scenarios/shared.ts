import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JwsAlgorithm } from '@certbound/core';
import type { Variant } from '../lib/alternate.js';
import type { ChildHandle } from '../lib/child.js';
import type { Fixtures } from '../lib/fixtures.js';
import { assertHealthy, runLoad, type LoadOptions } from '../lib/load.js';
import { assertPacedHealthy, ConnectionDown, isBehind, PacedLoad, type PacedOptions, type PacedRun } from '../lib/paced.js';
import { cpuPerRequest } from '../lib/stats.js';
import type { BenchVerifierOptions, TlsMaterial } from '../server/spec.js';
import type { ScenarioContext } from './context.js';

export function serverTls(fixtures: Fixtures): TlsMaterial {
  return { cert: fixtures.pki.server.cert, key: fixtures.pki.server.key };
}

export function clientCert(fixtures: Fixtures, name = 'client-a'): { cert: string; key: string } {
  const client = fixtures.pki.clients[name];
  if (client === undefined) throw new Error(`no client certificate ${name}`);
  return { cert: client.cert, key: client.key };
}

/** The verifier configuration of every protected server: static JWKS, binding required (the default). */
export function benchVerifier(fixtures: Fixtures, algorithms: JwsAlgorithm[]): BenchVerifierOptions {
  return {
    issuer: fixtures.issuer,
    audience: fixtures.audience,
    algorithms,
    jwks: { keys: fixtures.jwks.keys.filter((key) => algorithms.includes(key.alg as JwsAlgorithm)) as BenchVerifierOptions['jwks']['keys'] },
  };
}

/**
 * Write an example API's configuration file (docs/configuration.md) into the fixtures folder: loopback, TLS from the
 * dev PKI, the bench issuer and audience, plus `fields` (keys, algorithms, …). Returns its path.
 */
export async function writeExampleConfig(fixtures: Fixtures, name: string, fields: Record<string, unknown>): Promise<string> {
  const file = join(fixtures.dir, name);
  const document = {
    listen: { host: '127.0.0.1', port: 0 },
    tls: { cert: fixtures.files.serverCert, key: fixtures.files.serverKey },
    issuer: fixtures.issuer,
    audience: fixtures.audience,
    ...fields,
  };
  await writeFile(file, JSON.stringify(document));
  return file;
}

/**
 * An HTTP variant measured with autocannon; every response must be 2xx for the round to count. With `server`, the
 * server process's own CPU time is read before and after the run and divided by the responses counted.
 */
export function loadVariant(
  id: string,
  label: string,
  context: ScenarioContext,
  options: Omit<LoadOptions, 'durationSeconds' | 'connections'> & { server?: ChildHandle<unknown> },
): Variant {
  const { server, ...load } = options;
  return {
    id,
    label,
    roundsStart: async () => server?.startProfile(),
    roundsEnd: async () => server?.stopProfile(`${label}, measured rounds`),
    async measure(seconds) {
      const before = await server?.cpuMicros();
      const result = await runLoad({ ...load, connections: context.settings.connections, durationSeconds: seconds });
      const after = await server?.cpuMicros();
      assertHealthy(label, result);
      if (before === undefined || after === undefined) return { rate: result.rps };
      return { rate: result.rps, cpuMicrosPerRequest: cpuPerRequest(before, after, result.ok + result.non2xx) };
    },
  };
}

/** A paced variant: close() ends its connections; behindRounds counts the rounds kept although the server fell behind. */
export type PacedVariant = Variant & { close(): void; readonly behindRounds: number };

/** More than this fraction of a variant's rounds behind the rate fails the scenario. */
const MAX_BEHIND_ROUNDS = 0.25;

/** Attempts of a paced round before a server that keeps falling behind fails the scenario. */
const PACED_ATTEMPTS = 3;

/**
 * A variant measured with evenly paced load (lib/paced.ts) at `rate`: the server's CPU is read just before and just
 * after each round, and the round returns only once every request it sent was answered, so the CPU per request
 * holds exactly the round's requests. The connections open on the first round and stay up; `close()` ends them.
 */
export function pacedVariant(
  id: string,
  label: string,
  options: Omit<PacedOptions, 'connections'> & { server: ChildHandle<unknown>; rate: number; connections: number },
): PacedVariant {
  const { server, rate, ...open } = options;
  let load: PacedLoad | undefined;
  let rounds = 0;
  let behindRounds = 0;
  return {
    id,
    label,
    async measure(seconds, warmUp) {
      load ??= await PacedLoad.open(open);
      // A round in which the server fell behind (a stall of the machine, most often) is run again, twice at most, and
      // then kept and counted: the scenario fails only when the server keeps falling behind (the rate is too high).
      for (let attempt = 1; ; attempt++) {
        await load.reconnect();
        const before = await server.cpuMicros();
        let run: PacedRun;
        try {
          run = await load.run(rate, seconds);
        } catch (error) {
          // The server closed an idle connection between reconnect() and the run: nothing was sent, start again.
          if (error instanceof ConnectionDown && attempt < PACED_ATTEMPTS) continue;
          throw error;
        }
        const after = await server.cpuMicros();
        // A server still compiling its hot path may fall behind in the warm-up; every answer must be 2xx all the same.
        const behind = warmUp !== true && isBehind(run);
        if (behind && attempt < PACED_ATTEMPTS) continue;
        assertPacedHealthy(label, { ...run, late: 0 });
        if (warmUp !== true) {
          rounds++;
          if (behind) behindRounds++;
          if (rounds >= 4 && behindRounds > rounds * MAX_BEHIND_ROUNDS) {
            throw new Error(`${label}: the server fell behind the offered rate of ${rate} req/s in ${behindRounds} of ${rounds} rounds (after retries); lower the rate`);
          }
        }
        return { rate: run.ok / run.seconds, cpuMicrosPerRequest: cpuPerRequest(before, after, run.ok + run.non2xx) };
      }
    },
    get behindRounds() {
      return behindRounds;
    },
    close() {
      load?.close();
    },
  };
}
