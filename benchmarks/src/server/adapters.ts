import { staticKeys, type VerifierOptions } from '@certbound/core';
import { startExpress, startFastify, startHono, startKoa, type ExpressMiddleware, type KoaMiddleware, type RunningServer } from './frameworks.js';
import type { BenchVerifierOptions, Framework, TlsMaterial } from './spec.js';

export function verifierOptions(options: BenchVerifierOptions): VerifierOptions {
  // Everything else is the verifier's default: binding "required", TLS certificate source, cache of 10,000 entries.
  const resolved: VerifierOptions = { issuer: options.issuer, audience: options.audience, algorithms: options.algorithms, keys: staticKeys(options.jwks) };
  if (options.tokenTypes !== undefined) resolved.tokenTypes = options.tokenTypes;
  return resolved;
}

/** The framework's hello world behind its certbound adapter, configured the way each adapter's README shows. */
export async function startAdapter(framework: Framework, tls: TlsMaterial, options: BenchVerifierOptions): Promise<RunningServer> {
  switch (framework) {
    case 'koa': {
      const { certbound } = await import('@certbound/koa');
      return startKoa(tls, certbound(verifierOptions(options)) as unknown as KoaMiddleware);
    }
    case 'express': {
      const { certbound } = await import('@certbound/express');
      return startExpress(tls, certbound(verifierOptions(options)) as unknown as ExpressMiddleware);
    }
    case 'fastify': {
      const { certbound } = await import('@certbound/fastify');
      return startFastify(tls, async (app) => {
        await app.register(certbound, { verifier: verifierOptions(options) });
      });
    }
    case 'hono': {
      const { certbound } = await import('@certbound/hono');
      return startHono(tls, certbound(verifierOptions(options)));
    }
  }
}
