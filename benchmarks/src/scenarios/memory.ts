import { join } from 'node:path';
import { exportJWK } from 'jose';
import { srcDir } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import type { MemoryCheckpoint, MemoryInit, MemoryOutcome } from '../memory/main.js';
import type { Scenario } from './context.js';

const MiB = 2 ** 20;
/** Slack for what a forced GC cannot make exact (JIT code, pooled buffers, inline caches): 10% plus 1 MiB. */
const SLACK_FRACTION = 0.1;
const SLACK_BYTES = MiB;

/**
 * Scenario 6 (benchmarks/README.md target 4): distinct valid ES256 tokens through one verifier with the default cache.
 * The heap once the cache holds exactly `cap` entries is what the cap allows; the heap after all the tokens must not
 * exceed it (plus slack). An unbounded cache would instead grow by (tokens × bytes per entry).
 */
export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory: distinct tokens through one verifier',
  async run(context, recorder) {
    const { fixtures, settings } = context;
    const key = fixtures.keys.ES256;
    const privateJwk = (await exportJWK(key.privateKey)) as Record<string, unknown>;
    const init: MemoryInit = {
      signer: { privateJwk, kid: key.kid, clientId: fixtures.clientId, thumbprint: fixtures.thumbprint, issuer: fixtures.issuer, audience: fixtures.audience },
      jwks: { keys: [key.publicJwk as Record<string, unknown>] },
      tokens: settings.memoryTokens,
      maxSeconds: settings.memorySeconds,
    };
    // Unpinned: the signer worker thread and the verifying main thread each get a core.
    const child = await recorder.child<{ pid: number }>('verifier', join(srcDir, 'memory', 'main.ts'), init, { cpu: 'any', nodeFlags: ['--expose-gc'], profile: false });
    progress('memory', `pushing ${settings.memoryTokens} distinct ES256 tokens through one verifier (at most ${settings.memorySeconds} s)`);
    const outcome = await child.call<MemoryOutcome>('run', init, (settings.memorySeconds + 120) * 1000);
    if (outcome.failures > 0) throw new Error(`${outcome.failures} of ${outcome.tokensVerified} valid tokens were refused (first: ${outcome.firstFailure})`);
    if (outcome.cap === null) throw new Error(`the verifier's resolved cache option is ${JSON.stringify(outcome.cacheOption)}: no cap to check against`);

    // What the verifier holds lives on the V8 heap (strings, objects) and possibly outside it (Buffers, key
    // objects): the check uses both, heapUsed + external, after forced collections.
    const held = (point: MemoryCheckpoint) => point.heapUsed + point.external;
    const base = held(outcome.baseline);
    const growth = held(outcome.final) - base;
    recorder.figure('memory.tokens', 'distinct valid tokens verified', 'count', [outcome.tokensVerified]);
    recorder.figure('memory.rate', 'verifications/s (cold, ES256, verifyToken)', 'ops/s', [outcome.verificationsPerSecond]);
    recorder.figure('memory.heap.baseline', 'V8 heap used before (after forced GC)', 'MiB', [outcome.baseline.heapUsed / MiB]);
    recorder.figure('memory.heap.final', `V8 heap used after ${outcome.tokensVerified} tokens`, 'MiB', [outcome.final.heapUsed / MiB]);
    recorder.figure('memory.heap.growth', 'V8 heap growth, total', 'MiB', [(outcome.final.heapUsed - outcome.baseline.heapUsed) / MiB]);
    recorder.figure('memory.external.growth', 'external (Buffer, off-heap) growth, total', 'MiB', [(outcome.final.external - outcome.baseline.external) / MiB]);
    recorder.figure(
      'memory.checkpoints',
      'heap + external growth at the 10 checkpoints',
      'MiB',
      outcome.checkpoints.map((point) => (held(point) - base) / MiB),
      'min / median / max over the checkpoints',
    );
    if (outcome.atCap === null) {
      throw new Error(`only ${outcome.tokensVerified} tokens went through in ${settings.memorySeconds} s, fewer than the cache cap ${outcome.cap}: no full-cache measurement`);
    }
    const atCapGrowth = held(outcome.atCap) - base;
    const perEntry = atCapGrowth / outcome.cap;
    const allowed = atCapGrowth * (1 + SLACK_FRACTION) + SLACK_BYTES;
    recorder.figure('memory.at-cap', `heap + external growth with the cache full (${outcome.cap} entries)`, 'MiB', [atCapGrowth / MiB]);
    recorder.figure('memory.bytes-per-entry', 'memory per cached entry (growth at cap ÷ cap)', 'bytes', [perEntry]);
    recorder.value(
      'memory.growth-vs-allowed',
      'memory growth ÷ allowed',
      `(heap + external) growth after ${outcome.tokensVerified} tokens ÷ (growth at ${outcome.cap} entries × 1.1 + 1 MiB)`,
      'ratio',
      [growth / allowed],
      { id: 4, threshold: 1, direction: '<=' },
      true,
    );
    const maxBytes = typeof outcome.cacheOption === 'object' && outcome.cacheOption !== null ? (outcome.cacheOption as { maxBytes?: unknown }).maxBytes : undefined;
    if (typeof maxBytes === 'number') {
      // The documented byte cap of the cache: the growth must stay under it whatever the entries weigh.
      recorder.value('memory.growth-vs-max-bytes', 'memory growth ÷ cache maxBytes', `(heap + external) growth after ${outcome.tokensVerified} tokens ÷ documented cache maxBytes (${(maxBytes / MiB).toFixed(0)} MiB)`, 'ratio', [growth / maxBytes], { id: 4, threshold: 1, direction: '<=' }, true);
    }
    recorder.value('memory.growth-mib', 'memory growth after all tokens', `(heap + external) at the end − before (${outcome.tokensVerified} tokens)`, 'MiB', [growth / MiB]);
    recorder.note(
      `Measured: ${outcome.tokensVerified} distinct, valid ES256 access tokens (each with its own jti, all bound to client-a) through one verifier created with the default options (resolved cache ${JSON.stringify(outcome.cacheOption)}), via verifyToken(token, { thumbprint }); every one accepted. Tokens were signed in a worker thread with node:crypto (ES256, raw r||s) while the main thread verified; memory = process.memoryUsage() heapUsed + external of the verifying thread after two forced gc() calls (--expose-gc), in ${outcome.seconds.toFixed(0)} s.`,
    );
    recorder.note(
      `Allowed growth = growth with exactly ${outcome.cap} entries (${(atCapGrowth / MiB).toFixed(1)} MiB, ≈ ${Math.round(perEntry)} B per entry) × 1.1 + 1 MiB; an unbounded cache would have grown by about ${((perEntry * outcome.tokensVerified) / MiB).toFixed(0)} MiB.`,
    );
    if (outcome.stoppedEarly || outcome.tokensVerified < settings.memoryTokens) {
      recorder.note(`Stopped at ${outcome.tokensVerified} of ${settings.memoryTokens} tokens: the ${settings.memorySeconds} s time bound was reached.`);
    }
    if (settings.memoryTokens < 1_000_000) {
      recorder.note(`Quick run: ${settings.memoryTokens} tokens (${Math.round(settings.memoryTokens / outcome.cap)} × the cap) instead of one million; \`pnpm bench\` pushes 1,000,000.`);
    }
  },
};
