/**
 * Child process of the `adapters-micro` scenario: builds each adapter of micro/adapters.ts ADAPTERS with static
 * keys, checks it lets the bound token through and refuses the same token on another certificate, then times it
 * and the empty handler of its calling convention in alternated rounds, on the server core.
 */
import { X509Certificate } from 'node:crypto';
import { serveChild } from '../lib/child-runtime.js';
import { packageSourceReady } from '../lib/available.js';
import { verifierOptions } from '../server/adapters.js';
import type { BenchVerifierOptions } from '../server/spec.js';
import { ADAPTERS, SHAPES, fakeConnection, timeCalls, type FakeRequest, type Handler, type Outcome, type Shape, type ShapeName } from './adapters.js';

export interface AdaptersMicroInit {
  verifier: BenchVerifierOptions;
  /** The bound token (`cnf["x5t#S256"]` of `cert`). */
  token: string;
  /** PEM of the client certificate the token is bound to, and of another client's. */
  cert: string;
  otherCert: string;
}

export interface AdaptersMicroRun {
  rounds: number;
  roundMs: number;
  warmupMs: number;
}

export interface AdaptersMicroItem {
  id: string;
  label: string;
  shape: ShapeName;
  /** Set on adapters: the id of the empty handler of the same shape measured in the same rounds. */
  baseline?: string;
  iterations: number;
  /** ns per call, one per round. */
  nsPerCall: number[];
}

export interface AdaptersMicroResult {
  items: AdaptersMicroItem[];
  skipped: { id: string; reason: string }[];
}

interface Measured {
  item: AdaptersMicroItem;
  shape: Shape;
  handler: Handler;
}

const baselineId = (shape: ShapeName) => `baseline-${shape}`;

async function expectOutcome(label: string, shape: Shape, handler: Handler, req: FakeRequest, expected: Outcome): Promise<void> {
  const outcome = await shape.invoke(handler, req);
  if (outcome !== expected) throw new Error(`${label}: expected ${expected}, got ${outcome}`);
}

async function setUp(init: AdaptersMicroInit): Promise<{ measured: Measured[]; skipped: AdaptersMicroResult['skipped']; request: () => FakeRequest }> {
  const options = verifierOptions(init.verifier);
  const request = fakeConnection(Buffer.from(new X509Certificate(init.cert).raw), `Bearer ${init.token}`);
  const stolen = fakeConnection(Buffer.from(new X509Certificate(init.otherCert).raw), `Bearer ${init.token}`);
  const anonymous = () => {
    const req = request();
    return { ...req, headers: { host: 'localhost' }, rawHeaders: ['Host', 'localhost'] };
  };
  const measured: Measured[] = [];
  const skipped: AdaptersMicroResult['skipped'] = [];
  for (const entry of ADAPTERS) {
    if (!packageSourceReady(entry.package)) {
      skipped.push({ id: entry.id, reason: `${entry.package} has no src/index.ts` });
      continue;
    }
    const shape = SHAPES[entry.shape];
    try {
      const handler = await entry.create(options);
      // Enforcing, or the figure means nothing: the bound token passes, the same token on another certificate and no token are refused.
      await expectOutcome(`${entry.id}, token on another certificate`, shape, handler, stolen(), 401);
      await expectOutcome(`${entry.id}, no token`, shape, handler, anonymous(), 401);
      await expectOutcome(`${entry.id}, bound token`, shape, handler, request(), 'passed');
      if (!measured.some(({ item }) => item.id === baselineId(entry.shape))) {
        measured.push({ item: { id: baselineId(entry.shape), label: `empty ${entry.shape} handler`, shape: entry.shape, iterations: 0, nsPerCall: [] }, shape, handler: shape.baseline });
      }
      measured.push({ item: { id: entry.id, label: entry.label, shape: entry.shape, baseline: baselineId(entry.shape), iterations: 0, nsPerCall: [] }, shape, handler });
    } catch (error) {
      skipped.push({ id: entry.id, reason: (error as Error).message.split('\n')[0]! });
    }
  }
  return { measured, skipped, request };
}

async function run(setup: Awaited<ReturnType<typeof setUp>>, settings: AdaptersMicroRun): Promise<AdaptersMicroResult> {
  const { measured, request } = setup;
  // Warm-up (JIT) doubles as calibration: how many calls fill one round of roundMs.
  for (const { item, shape, handler } of measured) {
    let calls = 0;
    let nanos = 0;
    const started = performance.now();
    while (performance.now() - started < settings.warmupMs) {
      nanos += (await timeCalls(shape, handler, request, 1000)) * 1000;
      calls += 1000;
    }
    // Rounds are sized in CPU time, so a busy machine makes them longer in wall time, not shorter in calls.
    item.iterations = Math.max(1000, Math.ceil((settings.roundMs * 1e6) / Math.max(1, nanos / calls)));
  }
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? measured : [...measured].reverse();
    for (const { item, shape, handler } of order) item.nsPerCall.push(await timeCalls(shape, handler, request, item.iterations));
  }
  return { items: measured.map(({ item }) => item), skipped: setup.skipped };
}

serveChild(async (init) => {
  const setup = await setUp(init as AdaptersMicroInit);
  return {
    ready: { pid: process.pid, skipped: setup.skipped },
    methods: { run: (args) => run(setup, args as AdaptersMicroRun) },
    close: async () => {},
  };
});
