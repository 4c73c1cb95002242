import { alternate, type AlternateSamples, type Variant } from '../lib/alternate.js';
import { summarize } from '../lib/stats.js';
import { defaultCacheCap } from '../lib/core-info.js';
import { expectStatus } from '../lib/probe.js';
import type { ChildHandle } from '../lib/child.js';
import type { TargetRef } from '../lib/types.js';
import { HELLO_PATH, type Framework, type ServerReady } from '../server/spec.js';
import type { Scenario } from './context.js';
import { benchVerifier, clientCert, loadVariant, pacedVariant, serverTls, writeExampleConfig, type PacedVariant } from './shared.js';
import type { SideBySideUrls } from '../server/adapters.js';

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
/**
 * The paced rounds offer this fraction of the lower median throughput of the saturated rounds: each request then
 * meets an idle server (the saturated throughput is reached with batching the paced rounds do not have).
 */
const PACED_FRACTION = 0.25;
/** Many short paced rounds: the machine drifts between rounds, and each ratio compares two back-to-back rounds. */
const PACED_ROUND_SECONDS = 0.4;
const PACED_ROUNDS = { quick: 20, full: 30 } as const;
/** Server processes, each serving bare, empty middleware and adapter side by side. */
const PACED_PROCESSES = { quick: 3, full: 3 } as const;

/**
 * One variant's samples from per-process variants (`id@0`, `id@1`, …): round by round, process by process, so two
 * sides' arrays pair up by index (same round, same process).
 */
export function poolProcesses(samples: AlternateSamples, ids: readonly string[], processes: number): AlternateSamples {
  const pooled: AlternateSamples = { rate: new Map(), cpu: new Map() };
  for (const kind of ['rate', 'cpu'] as const) {
    for (const id of ids) {
      const series = Array.from({ length: processes }, (_, index) => samples[kind].get(`${id}@${index}`));
      if (series.some((values) => values === undefined)) continue;
      const rounds = Math.min(...series.map((values) => values!.length));
      const values: number[] = [];
      for (let round = 0; round < rounds; round++) for (const perProcess of series) values.push(perProcess![round]!);
      pooled[kind].set(id, values);
    }
  }
  return pooled;
}

/** The rate every variant is offered for the CPU comparison: a fraction of the slower side's median, in whole hundreds. */
export function pacedRate(samples: AlternateSamples, ids: readonly string[]): number {
  const medians = ids.map((id) => summarize(samples.rate.get(id) ?? []).median);
  return Math.max(100, Math.floor((Math.min(...medians) * PACED_FRACTION) / 100) * 100);
}

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
      recorder.compare(samples, { id: `${framework}.warm-vs-bare`, label: `${name} adapter, warm`, candidate: 'warm', baseline: 'bare', names: ['adapter (same RS256 token)', bareName] });

      // Target 1: server CPU per request with every side offered the same evenly paced rate, well below saturation,
      // over connections opened before the rounds — so neither TLS handshakes nor how hard a busy load generator
      // happened to push (batching) changes the per-request figure. Bare, empty middleware and adapter share each
      // server process (side by side on three ports), and several such processes run: one process's luck (code
      // layout, JIT timing: several % between identical servers here) weighs on all three sides alike.
      const offered = pacedRate(samples, ['bare', 'warm']);
      const processes = context.quick ? PACED_PROCESSES.quick : PACED_PROCESSES.full;
      const pacedRounds = context.quick ? PACED_ROUNDS.quick : PACED_ROUNDS.full;
      const steadyVariants: PacedVariant[] = [];
      for (let index = 0; index < processes; index++) {
        const server = await recorder.server(`side-by-side-${index + 1}`, { kind: 'side-by-side', framework, tls, verifier });
        const urls = server.ready.info!['urls'] as SideBySideUrls;
        await expectStatus(`${name} with an empty middleware`, 200, urls.empty, HELLO_PATH, probeOptions);
        await expectStatus(`${name} adapter (side by side) without a token`, 401, urls.adapter, HELLO_PATH, probeOptions);
        const paced = { path: HELLO_PATH, headers: authorization, clientCert: cert, connections: settings.connections, rate: offered, server };
        const where = `process ${index + 1}`;
        steadyVariants.push(
          pacedVariant(`empty@${index}`, `${name} + empty middleware, ${where}`, { ...paced, url: urls.empty }),
          pacedVariant(`bare@${index}`, `bare ${name}, ${where}`, { ...paced, url: urls.bare }),
          pacedVariant(`warm@${index}`, `adapter warm, ${where}`, { ...paced, url: urls.adapter }),
        );
      }
      let perProcess: AlternateSamples;
      try {
        perProcess = await alternate(steadyVariants, { scope: `http-${framework}`, rounds: pacedRounds, roundSeconds: PACED_ROUND_SECONDS, warmupSeconds: 1 });
      } finally {
        for (const variant of steadyVariants) variant.close();
      }
      const behind = steadyVariants.reduce((sum, variant) => sum + variant.behindRounds, 0);
      if (behind > 0) {
        recorder.note(`${behind} paced round(s) of ${steadyVariants.length * pacedRounds} were kept although the server fell behind the rate three times in a row (a stalled machine): in those, more than 5% of the due requests found every connection busy.`);
      }
      // Each side's samples, round by round and process by process: paired by index, a ratio compares two sides of
      // one process in one round.
      const steady = poolProcesses(perProcess, ['empty', 'bare', 'warm'], processes);
      recorder.variantFigures(`${framework}.steady`, [
        { id: 'empty', label: `${name} + empty middleware at ${offered} req/s` },
        { id: 'bare', label: `bare ${name} at ${offered} req/s` },
        { id: 'warm', label: `adapter warm at ${offered} req/s` },
      ], steady);
      recorder.compare(steady, {
        id: `${framework}.warm-vs-bare.steady`,
        label: `${name} adapter, warm, same paced rate`,
        candidate: 'warm',
        baseline: 'bare',
        names: ['adapter (same RS256 token)', bareName],
        cpuTarget: WARM_TARGET,
        cpuOnly: true,
      });
      // Context: what any middleware costs this framework, and certbound's own share of the adapter's cost.
      recorder.compare(steady, { id: `${framework}.empty-vs-bare.steady`, label: `${name} + empty middleware, same paced rate`, candidate: 'empty', baseline: 'bare', names: ['empty middleware', bareName], cpuOnly: true });
      recorder.compare(steady, { id: `${framework}.warm-vs-empty.steady`, label: `${name} adapter vs an empty middleware, same paced rate`, candidate: 'warm', baseline: 'empty', names: ['adapter (same RS256 token)', `${name} + empty middleware`], cpuOnly: true });
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
        `Server CPU per request: each server process reads its own CPU time (process.cpuUsage(), user + system, every thread) when asked over its IPC channel. In the saturated rounds it is read before and after each round and divided by the responses of the round (TLS handshakes of the round's ${settings.connections} new connections included; context). Target 1 is checked on separate alternated rounds (${pacedRounds} × ${PACED_ROUND_SECONDS} s) on ${processes} server processes, each serving empty middleware, bare and adapter side by side on three ports; each side is offered the same evenly paced rate (${Math.round(PACED_FRACTION * 100)}% of the lower median req/s of the saturated rounds, the requests due each millisecond sent on idle keep-alive connections opened before the rounds); the CPU is read just before and after each round, which returns once every request it sent was answered: bare ÷ adapter of the same process in the same round, median over rounds and processes, so ≥ 0.95 means at most 5% more CPU per request.`,
      );
      recorder.note('Every round requires 100% 2xx responses; the adapter was first probed: no token → 401, bound token → 200, same token on client-b\'s certificate → 401.');
    },
  };
}
