/**
 * Memory scenario child (run with --expose-gc): pushes distinct valid tokens through one verifier with its default
 * cache and records the heap after forced collections: before, once exactly `cap` tokens went through (the cache
 * is full), at checkpoints, and at the end.
 */
import { Worker } from 'node:worker_threads';
import { serveChild } from '../lib/child-runtime.js';
import { SIGNER_SOURCE, type SignerData } from './signer.js';

export interface MemoryInit {
  signer: Omit<SignerData, 'total'>;
  jwks: { keys: Record<string, unknown>[] };
  tokens: number;
  maxSeconds: number;
}

export interface MemoryCheckpoint {
  tokens: number;
  heapUsed: number;
  external: number;
  seconds: number;
}

export interface MemoryOutcome {
  cap: number | null;
  cacheOption: unknown;
  tokensVerified: number;
  failures: number;
  firstFailure: string | null;
  stoppedEarly: boolean;
  seconds: number;
  baseline: MemoryCheckpoint;
  atCap: MemoryCheckpoint | null;
  checkpoints: MemoryCheckpoint[];
  final: MemoryCheckpoint;
  verificationsPerSecond: number;
}

declare const gc: (() => void) | undefined;

function collect(): void {
  if (typeof gc !== 'function') throw new Error('the memory child needs --expose-gc');
  // Twice: the first pass may only promote what the second frees.
  gc();
  gc();
}

async function run(init: MemoryInit): Promise<MemoryOutcome> {
  const { createVerifier, staticKeys } = await import('@certbound/core');
  const verifier = createVerifier({
    issuer: init.signer.issuer,
    audience: init.signer.audience,
    algorithms: ['ES256'],
    keys: staticKeys(init.jwks as never),
  });
  const cacheOption = verifier.options.cache;
  const cap = typeof cacheOption === 'object' && cacheOption !== null && typeof cacheOption.maxEntries === 'number' ? cacheOption.maxEntries : null;
  const certificate = { thumbprint: init.signer.thumbprint };

  const worker = new Worker(SIGNER_SOURCE, { eval: true, workerData: { ...init.signer, total: init.tokens + 1 } satisfies SignerData });
  const batchSize = 2000;
  const queue: string[][] = [];
  const waiters: ((batch: string[]) => void)[] = [];
  worker.on('message', (message: { type: string; tokens: string[] }) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(message.tokens);
    else queue.push(message.tokens);
  });
  const request = () => worker.postMessage({ type: 'batch', size: batchSize });
  const nextBatch = () => new Promise<string[]>((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiters.push(resolve)));

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const snapshot = (tokens: number): MemoryCheckpoint => {
    collect();
    const usage = process.memoryUsage();
    return { tokens, heapUsed: usage.heapUsed, external: usage.external, seconds: elapsed() };
  };

  // Warm the code paths with one token that is then evicted long before the end (it is token #0).
  request();
  request();
  let batch = await nextBatch();
  request();
  let index = 0;
  const warmup = await verifier.verifyToken(batch[index++]!, certificate);
  if (!warmup.ok) throw new Error(`the first token was refused: ${warmup.code} ${warmup.description}`);
  const baseline = snapshot(0);

  let verified = 0;
  let failures = 0;
  let firstFailure: string | null = null;
  let atCap: MemoryCheckpoint | null = null;
  const checkpoints: MemoryCheckpoint[] = [];
  const every = Math.max(1, Math.floor(init.tokens / 10));
  let stoppedEarly = false;
  let verifySeconds = 0;
  while (verified < init.tokens) {
    if (index >= batch.length) {
      batch = await nextBatch();
      index = 0;
      if (verified + batch.length < init.tokens) request();
    }
    const t0 = performance.now();
    const result = await verifier.verifyToken(batch[index++]!, certificate);
    verifySeconds += (performance.now() - t0) / 1000;
    verified++;
    if (!result.ok) {
      failures++;
      firstFailure ??= `${result.code}: ${result.description}`;
    }
    if (cap !== null && verified === cap) atCap = snapshot(verified);
    if (verified % every === 0) {
      checkpoints.push(snapshot(verified));
      process.stderr.write(`[memory] ${verified}/${init.tokens} tokens, heap ${(checkpoints.at(-1)!.heapUsed / 2 ** 20).toFixed(1)} MiB, ${elapsed().toFixed(0)} s\n`);
    }
    if (elapsed() > init.maxSeconds) {
      stoppedEarly = true;
      break;
    }
  }
  const final = snapshot(verified);
  await worker.terminate();
  await verifier.close();
  return {
    cap,
    cacheOption,
    tokensVerified: verified,
    failures,
    firstFailure,
    stoppedEarly,
    seconds: elapsed(),
    baseline,
    atCap,
    checkpoints,
    final,
    verificationsPerSecond: verifySeconds > 0 ? verified / verifySeconds : 0,
  };
}

serveChild(async () => ({
  ready: { pid: process.pid },
  methods: { run: (args) => run(args as MemoryInit) },
  close: async () => {},
}));
