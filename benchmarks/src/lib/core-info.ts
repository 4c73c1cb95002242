/** Facts read from @certbound/core itself, so the benchmarks follow its documented defaults. */
export interface CoreCacheInfo {
  /** Verified-token cache cap (maxEntries) a verifier gets by default. */
  maxEntries: number;
  /** Where the number came from. */
  source: string;
}

const DOCUMENTED_DEFAULT = 10_000; // packages/core/src/types.ts: "Default `{ maxEntries: 10000 }`"

export async function defaultCacheCap(verifierOptions: Record<string, unknown>): Promise<CoreCacheInfo> {
  try {
    const core = (await import('@certbound/core')) as {
      createVerifier?: (options: never) => { options: { cache?: unknown }; close(): Promise<void> };
      staticKeys?: (jwks: never) => unknown;
    };
    if (typeof core.createVerifier !== 'function' || typeof core.staticKeys !== 'function') throw new Error('createVerifier or staticKeys is not exported');
    // The benchmark specs carry a JWK Set; the verifier takes it as a key source.
    const { jwks, ...rest } = verifierOptions;
    const verifier = core.createVerifier({ ...rest, keys: core.staticKeys(jwks as never) } as never);
    const cache = verifier.options.cache;
    await verifier.close();
    if (typeof cache === 'object' && cache !== null && typeof (cache as { maxEntries?: unknown }).maxEntries === 'number') {
      return { maxEntries: (cache as { maxEntries: number }).maxEntries, source: 'createVerifier(...).options.cache.maxEntries' };
    }
    return { maxEntries: DOCUMENTED_DEFAULT, source: `documented default (resolved options.cache was ${JSON.stringify(cache)})` };
  } catch (error) {
    return { maxEntries: DOCUMENTED_DEFAULT, source: `documented default (core not loadable: ${(error as Error).message.split('\n')[0]})` };
  }
}
