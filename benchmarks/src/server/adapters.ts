import { staticKeys, type VerifierOptions } from '@certbound/core';
import { startBare, startEmptyMiddleware, startExpress, startFastify, startHono, startKoa, type ExpressMiddleware, type KoaMiddleware, type RunningServer } from './frameworks.js';
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

/** The three ports a side-by-side server reports in `ready.info.urls`. */
export interface SideBySideUrls {
  bare: string;
  empty: string;
  adapter: string;
}

/**
 * The framework's bare hello world, the same behind an empty middleware, and the same behind its certbound adapter,
 * in this one process on three ports (only one is loaded at a time; the process's CPU time is that one's).
 */
export async function startSideBySide(framework: Framework, tls: TlsMaterial, options: BenchVerifierOptions): Promise<RunningServer> {
  const bare = await startBare(framework, tls);
  const empty = await startEmptyMiddleware(framework, tls);
  const adapter = await startAdapter(framework, tls, options);
  const urls: SideBySideUrls = { bare: bare.ready.url, empty: empty.ready.url, adapter: adapter.ready.url };
  return {
    ready: { url: bare.ready.url, port: bare.ready.port, info: { urls } },
    close: async () => {
      await Promise.all([bare.close(), empty.close(), adapter.close()]);
    },
  };
}
