import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JwsAlgorithm } from '@certbound/core';
import type { Variant } from '../lib/alternate.js';
import type { ChildHandle } from '../lib/child.js';
import type { Fixtures } from '../lib/fixtures.js';
import { assertHealthy, runLoad, type LoadOptions } from '../lib/load.js';
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
export function loadVariant(id: string, label: string, context: ScenarioContext, options: Omit<LoadOptions, 'durationSeconds' | 'connections'> & { server?: ChildHandle<unknown> }): Variant {
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
