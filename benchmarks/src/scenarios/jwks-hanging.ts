import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { runLoad, assertHealthy } from '../lib/load.js';
import { expectStatus } from '../lib/probe.js';
import type { Scenario } from './context.js';
import { benchVerifier, clientCert, writeExampleConfig } from './shared.js';

const WHOAMI_PATH = '/whoami';
/** The JWKS fetch timeout of the measured server: every hang round must end before it. */
const FETCH_TIMEOUT_MS = 8000;

/** An HTTPS JWKS endpoint in the runner that serves the keys, or accepts requests and never answers. */
async function startJwks(cert: string, key: string, jwks: unknown): Promise<{ url: string; hang(on: boolean): void; pending(): number; close(): Promise<void> }> {
  let hanging = false;
  const held = new Set<Socket>();
  const server: Server = createServer({ cert, key }, (req, res) => {
    req.resume();
    if (!hanging) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      return;
    }
    held.add(req.socket);
    req.socket.once('close', () => held.delete(req.socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/keys`,
    hang(on) {
      hanging = on;
      // Ending a hang cuts the held requests: the pending fetch fails at once instead of at its timeout.
      if (!on) for (const socket of held) socket.destroy();
    },
    pending: () => held.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * JWKS hanging: examples/koa-api from a config file whose JWKS endpoint accepts connections and never answers. Each
 * round measures known-kid load normally, then starts a refetch with one unknown kid (which the endpoint holds) and
 * measures the same load while that fetch hangs. Known keys must not wait for it: the p99 during the hang is
 * reported next to the normal one.
 */
export const jwksHangingScenario: Scenario = {
  name: 'jwks-hanging',
  title: 'JWKS hanging: known-kid p99 while a JWKS fetch never answers',
  async run(context, recorder) {
    const { fixtures, settings } = context;
    const verifier = benchVerifier(fixtures, ['RS256']);
    const jwks = await startJwks(fixtures.pki.server.cert, fixtures.pki.server.key, verifier.jwks);
    try {
      const configFile = await writeExampleConfig(fixtures, 'jwks-hanging.json', {
        jwksUri: jwks.url,
        jwksCa: fixtures.files.caCert,
        // A short cooldown so every round can start a new refetch; the timeout outlasts every hang round.
        jwksOptions: { timeoutMs: FETCH_TIMEOUT_MS, cooldownMs: 100, unknownKidWaitMs: 1000 },
        algorithms: verifier.algorithms,
      });
      const api = await recorder.server('example-api', { kind: 'example', framework: 'koa', configFile });
      const cert = clientCert(fixtures);
      const token = fixtures.warmToken.RS256;
      const probeOptions = { clientCert: cert, ca: fixtures.pki.ca.cert, headers: { authorization: `Bearer ${token}` } };
      await expectStatus('koa-api /whoami with the bound token (keys loaded)', 200, api.ready.url, WHOAMI_PATH, probeOptions);
      const [header, payload] = token.split('.');
      const unknownKid = (): string => {
        const changed = { ...(JSON.parse(Buffer.from(header!, 'base64url').toString()) as object), kid: randomUUID() };
        return `${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${payload}.${token.split('.')[2]}`;
      };

      const seconds = Math.min(settings.roundSeconds, (FETCH_TIMEOUT_MS - 2000) / 1000);
      const load = { url: api.ready.url, path: WHOAMI_PATH, headers: { authorization: `Bearer ${token}` }, clientCert: cert };
      const normal: number[] = [];
      const hanging: number[] = [];
      const unknownMs: number[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        const before = await runLoad({ ...load, connections: settings.connections, durationSeconds: seconds });
        assertHealthy('known kid, JWKS answering', before);
        normal.push(before.latencyP99Ms);

        jwks.hang(true);
        await new Promise((resolve) => setTimeout(resolve, 150)); // past the 100 ms cooldown of the last refetch
        const started = performance.now();
        await expectStatus('an unknown kid while the JWKS hangs', 503, api.ready.url, WHOAMI_PATH, { ...probeOptions, headers: { authorization: `Bearer ${unknownKid()}` } });
        unknownMs.push(performance.now() - started);
        if (jwks.pending() === 0) throw new Error('the unknown kid did not start a JWKS fetch');
        const during = await runLoad({ ...load, connections: settings.connections, durationSeconds: seconds });
        assertHealthy('known kid, JWKS hanging', during);
        if (jwks.pending() === 0) throw new Error('the JWKS fetch ended before the load did: the hang was not measured');
        hanging.push(during.latencyP99Ms);
        jwks.hang(false);
      }
      recorder.figure('jwks-hanging.normal-p99', 'known-kid p99, JWKS answering', 'ms', normal);
      recorder.figure('jwks-hanging.hang-p99', 'known-kid p99, JWKS fetch hanging', 'ms', hanging);
      recorder.figure('jwks-hanging.unknown-kid', 'unknown kid during the hang: time to 503', 'ms', unknownMs);
      recorder.note(
        `examples/koa-api over mTLS, ${settings.connections} connections, ${seconds} s per measurement. Each round: known-kid load with the JWKS answering, then one unknown kid starts a refetch the endpoint never answers (fetch timeout ${FETCH_TIMEOUT_MS} ms, unknownKidWaitMs 1000) and the same load runs while it hangs. Every known-kid request must be 2xx.`,
      );
    } finally {
      await jwks.close();
    }
  },
};
