import { join } from 'node:path';
import { srcDir } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import { overheadPerRound } from '../micro/adapters.js';
import type { AdaptersMicroInit, AdaptersMicroResult, AdaptersMicroRun } from '../micro/adapters-main.js';
import type { Scenario } from './context.js';
import { benchVerifier } from './shared.js';

/** Quick: seconds. Rounds are short and many, so a median moves by less than the microsecond it must reveal. */
const QUICK_RUN: AdaptersMicroRun = { rounds: 9, roundMs: 150, warmupMs: 300 };
const FULL_RUN: AdaptersMicroRun = { rounds: 15, roundMs: 400, warmupMs: 1000 };

/**
 * The adapters' own code path, no sockets: each adapter (micro/adapters.ts ADAPTERS) called on a fake
 * IncomingMessage of one TLS 1.3 keep-alive connection presenting client-a's certificate, with the bound token,
 * against an empty handler of the same calling convention, in alternated rounds in a child on the server core.
 */
export const adaptersMicroScenario: Scenario = {
  name: 'adapters-micro',
  title: 'Adapter code path, fake request (no sockets)',
  async run(context, recorder) {
    const { fixtures } = context;
    const init: AdaptersMicroInit = {
      verifier: benchVerifier(fixtures, ['RS256']),
      token: fixtures.warmToken.RS256,
      cert: fixtures.pki.clients['client-a']!.cert,
      otherCert: fixtures.pki.clients['client-b']!.cert,
    };
    const settings = context.quick ? QUICK_RUN : FULL_RUN;
    const child = await recorder.child<{ pid: number }>('adapters', join(srcDir, 'micro', 'adapters-main.ts'), init, { cpu: 'server' });
    const result = await child.call<AdaptersMicroResult>('run', settings, 5 * 60_000);
    const byId = new Map(result.items.map((item) => [item.id, item]));
    for (const item of result.items) {
      recorder.figure(`micro.${item.id}`, `${item.label}, CPU per call`, 'ns', item.nsPerCall, `${item.iterations.toLocaleString('en')} calls per round`);
    }
    for (const item of result.items) {
      if (item.baseline === undefined) continue;
      const baseline = byId.get(item.baseline)!;
      const overhead = overheadPerRound(item.nsPerCall, baseline.nsPerCall);
      recorder.value(`micro.${item.id}.overhead`, `${item.label}: cost over an empty handler`, `ns per call: ${item.label} − ${baseline.label}, per round`, 'ns', overhead);
      progress('adapters-micro', `${item.id}: ${Math.round(recorder.comparisons.at(-1)!.stat.median)} ns per call over ${baseline.label}`);
    }
    for (const { id, reason } of result.skipped) recorder.note(`${id} not measured: ${reason}.`);
    recorder.note(
      `Each adapter was first checked on fake requests: the bound token is let through, the same token on client-b's certificate and no token get 401. Then ${settings.rounds} alternated rounds of about ${settings.roundMs} ms of CPU per item (after ${settings.warmupMs} ms of warm-up that also sets the calls per round), each call on a fresh request object of one fake TLS 1.3 connection (socket.getPeerCertificate(false).raw = client-a's DER, getProtocol() = TLSv1.3, remoteAddress 127.0.0.1), RS256, static keys, binding required. Times are the child's CPU time (process.cpuUsage(), user + system) per call, not wall time, so time spent descheduled on a shared machine is not counted. Overhead = adapter − the empty handler of the same calling convention in the same round (Koa: async (ctx, next) => await next(); Express: (req, res, next) => next(); Fastify hook: async () => undefined; core: an async function returning a result).`,
    );
  },
};
