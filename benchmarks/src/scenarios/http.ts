import { alternate, type Variant } from '../lib/alternate.js';
import { defaultCacheCap } from '../lib/core-info.js';
import { expectStatus } from '../lib/probe.js';
import type { ChildHandle } from '../lib/child.js';
import type { TargetRef } from '../lib/types.js';
import { HELLO_PATH, type Framework, type ServerReady } from '../server/spec.js';
import type { Scenario } from './context.js';
import { benchVerifier, clientCert, loadVariant, serverTls, writeExampleConfig } from './shared.js';

const NAMES: Record<Framework, string> = { koa: 'Koa', express: 'Express', fastify: 'Fastify', hono: 'Hono' };
/** Target 1 (benchmarks/README.md): the adapter's server spends at most ~5% more CPU per request than the bare one. */
const WARM_TARGET: TargetRef = { id: 1, threshold: 0.95, direction: '>=' };
/** The example APIs' protected route (docs/configuration.md). */
const WHOAMI_PATH = '/whoami';

/**
 * Scenario 2: one framework over mTLS — its bare hello world against the same app behind the certbound adapter,
 * with one repeated token (warm: the verified-token cache answers) and with a distinct valid token on every
 * request (cold: a pool twice the cache cap, rotated by one counter shared by all connections, so no request
 * can hit the cache).
 */
export function httpScenario(framework: Framework): Scenario {
  const name = NAMES[framework];
  return {
    name: `http-${framework}`,
    title: `${name} over mTLS: bare vs adapter`,
    async run(context, recorder) {
      const { fixtures, settings } = context;
      const tls = serverTls(fixtures);
      const cert = clientCert(fixtures);
      const verifier = benchVerifier(fixtures, ['RS256', 'ES256']);
      const warmToken = fixtures.warmToken.RS256;
      const cap = await defaultCacheCap({ ...verifier });
      const poolSize = cap.maxEntries * 2;

      const exampleConfig = await writeExampleConfig(fixtures, `${framework}-api.json`, { jwks: verifier.jwks, algorithms: verifier.algorithms });

      const bare = await recorder.server('bare', { kind: 'bare', framework, tls });
      const warm = await recorder.server('adapter-warm', { kind: 'adapter', framework, tls, verifier });
      const example = settings.exampleApis ? await recorder.server('example-api', { kind: 'example', framework, configFile: exampleConfig }) : undefined;
      const cold = new Map<string, ChildHandle<ServerReady>>();
      for (const alg of settings.coldAlgorithms) cold.set(alg, await recorder.server(`adapter-cold-${alg}`, { kind: 'adapter', framework, tls, verifier }));

      // The adapter must really be enforcing: no token → 401, the bound token on the right certificate → 200,
      // the same token on another client's certificate → 401.
      const probeOptions = { clientCert: cert, ca: fixtures.pki.ca.cert };
      await expectStatus(`${name} adapter without a token`, 401, warm.ready.url, HELLO_PATH, probeOptions);
      await expectStatus(`${name} adapter with the bound token`, 200, warm.ready.url, HELLO_PATH, { ...probeOptions, headers: { authorization: `Bearer ${warmToken}` } });
      await expectStatus(`${name} adapter with the token on another certificate`, 401, warm.ready.url, HELLO_PATH, {
        clientCert: clientCert(fixtures, 'client-b'),
        ca: fixtures.pki.ca.cert,
        headers: { authorization: `Bearer ${warmToken}` },
      });
      await expectStatus(`${name} bare hello world`, 200, bare.ready.url, HELLO_PATH, probeOptions);
      if (example !== undefined) {
        await expectStatus(`${name} example API /whoami with the bound token`, 200, example.ready.url, WHOAMI_PATH, { ...probeOptions, headers: { authorization: `Bearer ${warmToken}` } });
        await expectStatus(`${name} example API /whoami with the token on another certificate`, 401, example.ready.url, WHOAMI_PATH, {
          clientCert: clientCert(fixtures, 'client-b'),
          ca: fixtures.pki.ca.cert,
          headers: { authorization: `Bearer ${warmToken}` },
        });
      }

      const authorization = { authorization: `Bearer ${warmToken}` };
      const variants: Variant[] = [
        // The bare server gets the same header (ignored) so both sides parse the same request.
        loadVariant('bare', `bare ${name}`, context, { url: bare.ready.url, path: HELLO_PATH, headers: authorization, clientCert: cert, server: bare }),
        loadVariant('warm', 'adapter warm', context, { url: warm.ready.url, path: HELLO_PATH, headers: authorization, clientCert: cert, server: warm }),
      ];
      if (example !== undefined) {
        variants.push(loadVariant('example', `examples/${framework}-api /whoami`, context, { url: example.ready.url, path: WHOAMI_PATH, headers: authorization, clientCert: cert, server: example }));
      }
      for (const [alg, server] of cold) {
        const pool = await context.fixtures.pool(alg as 'RS256' | 'ES256', poolSize);
        variants.push(loadVariant(`cold-${alg}`, `adapter cold ${alg}`, context, { url: server.ready.url, path: HELLO_PATH, clientCert: cert, server, rotate: { header: 'authorization', prefix: 'Bearer ', values: pool } }));
      }

      const samples = await alternate(variants, { scope: `http-${framework}`, rounds: settings.rounds, roundSeconds: settings.roundSeconds, warmupSeconds: settings.warmupSeconds });
      recorder.variantFigures(framework, variants, samples);
      const bareName = `bare ${name}`;
      recorder.compare(samples, { id: `${framework}.warm-vs-bare`, label: `${name} adapter, warm`, candidate: 'warm', baseline: 'bare', names: ['adapter (same RS256 token)', bareName], cpuTarget: WARM_TARGET });
      if (example !== undefined) {
        recorder.compare(samples, { id: `${framework}.example-vs-bare`, label: `examples/${framework}-api, warm`, candidate: 'example', baseline: 'bare', names: ['example API GET /whoami (JSON identity)', `${bareName} hello world`] });
      }
      for (const alg of cold.keys()) {
        recorder.compare(samples, { id: `${framework}.cold-${alg}-vs-bare`, label: `${name} adapter, cold ${alg}`, candidate: `cold-${alg}`, baseline: 'bare', names: [`adapter (distinct ${alg} token per request)`, bareName] });
      }
      recorder.note(
        `Cold: ${poolSize} distinct valid tokens per algorithm (2 × the verifier's cache cap of ${cap.maxEntries}, from ${cap.source}), taken in turn by one counter across all ${settings.connections} connections; each token recurs only after ${poolSize} requests, so it has been evicted.`,
      );
      recorder.note(
        `Server CPU per request: each server process reads its own CPU time (process.cpuUsage(), user + system, every thread) when asked over its IPC channel just before and after each measured round; the difference is divided by the responses autocannon counted in that round. It includes the TLS handshakes of the round's ${settings.connections} new connections, the same for every variant. Target 1 is checked on it (bare ÷ adapter, so ≥ 0.95 means at most 5% more CPU per request); requests per second stay as context.`,
      );
      recorder.note('Every round requires 100% 2xx responses; the adapter was first probed: no token → 401, bound token → 200, same token on client-b\'s certificate → 401.');
    },
  };
}
