import { alternate, type Variant } from '../lib/alternate.js';
import { expectStatus } from '../lib/probe.js';
import { HELLO_PATH, type NestPlatform } from '../server/spec.js';
import type { Scenario } from './context.js';
import { benchVerifier, clientCert, loadVariant, serverTls } from './shared.js';

const PLATFORMS: readonly NestPlatform[] = ['express', 'fastify'];

/**
 * NestJS over mTLS, on each Nest platform: the bare Nest hello world against the same application with
 * `CertboundModule.forRoot()` and CertboundGuard as the global guard, one repeated token (warm: the verified-token
 * cache answers). The guard runs inside Nest's pipeline, so the ratio prices the guard, not the framework.
 */
export const httpNestScenario: Scenario = {
  name: 'http-nestjs',
  title: 'NestJS over mTLS (Express and Fastify platforms): bare vs CertboundGuard',
  async run(context, recorder) {
    const { fixtures, settings } = context;
    const tls = serverTls(fixtures);
    const cert = clientCert(fixtures);
    const verifier = benchVerifier(fixtures, ['RS256', 'ES256']);
    const authorization = { authorization: `Bearer ${fixtures.warmToken.RS256}` };
    const probeOptions = { clientCert: cert, ca: fixtures.pki.ca.cert };

    const variants: Variant[] = [];
    for (const platform of PLATFORMS) {
      const bare = await recorder.server(`nest-${platform}-bare`, { kind: 'nest', platform, tls });
      const guarded = await recorder.server(`nest-${platform}-guard`, { kind: 'nest', platform, tls, verifier });
      // The guard must really be enforcing: no token → 401, the bound token → 200, on another certificate → 401.
      await expectStatus(`Nest (${platform}) guard without a token`, 401, guarded.ready.url, HELLO_PATH, probeOptions);
      await expectStatus(`Nest (${platform}) guard with the bound token`, 200, guarded.ready.url, HELLO_PATH, { ...probeOptions, headers: authorization });
      await expectStatus(`Nest (${platform}) guard with the token on another certificate`, 401, guarded.ready.url, HELLO_PATH, {
        clientCert: clientCert(fixtures, 'client-b'),
        ca: fixtures.pki.ca.cert,
        headers: authorization,
      });
      await expectStatus(`Nest (${platform}) bare hello world`, 200, bare.ready.url, HELLO_PATH, probeOptions);
      // The bare server gets the same header (ignored) so both sides parse the same request.
      variants.push(loadVariant(`${platform}-bare`, `bare Nest (${platform})`, context, { url: bare.ready.url, path: HELLO_PATH, headers: authorization, clientCert: cert, server: bare }));
      variants.push(loadVariant(`${platform}-warm`, `Nest (${platform}) + CertboundGuard warm`, context, { url: guarded.ready.url, path: HELLO_PATH, headers: authorization, clientCert: cert, server: guarded }));
    }

    const samples = await alternate(variants, { scope: 'http-nestjs', rounds: settings.rounds, roundSeconds: settings.roundSeconds, warmupSeconds: settings.warmupSeconds });
    recorder.variantFigures('nestjs', variants, samples);
    for (const platform of PLATFORMS) {
      recorder.compare(samples, { id: `nestjs.${platform}.warm-vs-bare`, label: `Nest (${platform}) + CertboundGuard, warm`, candidate: `${platform}-warm`, baseline: `${platform}-bare`, names: ['guarded (same RS256 token)', `bare Nest (${platform})`] });
    }
    recorder.note('Every round requires 100% 2xx responses; each guarded server was first probed: no token → 401, bound token → 200, same token on client-b\'s certificate → 401.');
  },
};
