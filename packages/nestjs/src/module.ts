import type { DynamicModule, FactoryProvider, ModuleMetadata, OnApplicationShutdown, Provider } from '@nestjs/common';
import { ConfigurationError, type Verifier, type VerifierOptions } from '@certbound/core';
import { resolveVerifier, type ResolvedVerifier } from '@certbound/core/adapter';
import { CertboundGuard } from './guard.js';
import { CERTBOUND_RESOLVED, CERTBOUND_VERIFIER } from './tokens.js';

/** `CertboundModule.forRootAsync()` options: the verifier options (or a Verifier) come from other providers. */
export interface CertboundModuleAsyncOptions {
  /** Modules whose providers `inject` names, e.g. `[ConfigModule]`. */
  imports?: ModuleMetadata['imports'];
  /** Providers handed to `useFactory`, in order, e.g. `[ConfigService]`. */
  inject?: FactoryProvider['inject'];
  /** Returns verifier options (validated then: a ConfigurationError at startup) or a Verifier from `createVerifier`. */
  useFactory: (...args: never[]) => VerifierOptions | Verifier | Promise<VerifierOptions | Verifier>;
}

/** Releases a verifier the module created (its JWKS timers) when the application closes. */
class OwnedVerifierRelease implements OnApplicationShutdown {
  constructor(private readonly resolved: ResolvedVerifier) {}

  async onApplicationShutdown(): Promise<void> {
    // A Verifier passed in stays the caller's to close: it may serve other modules or servers.
    if (this.resolved.owned) await this.resolved.verifier.close();
  }
}

function certboundModule(resolved: Provider, imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
  return {
    module: CertboundModule,
    // Global: @UseGuards(CertboundGuard) and APP_GUARD resolve the verifier from any module of the application.
    global: true,
    imports,
    providers: [
      resolved,
      { provide: CERTBOUND_VERIFIER, useFactory: (it: ResolvedVerifier) => it.verifier, inject: [CERTBOUND_RESOLVED] },
      { provide: OwnedVerifierRelease, useFactory: (it: ResolvedVerifier) => new OwnedVerifierRelease(it), inject: [CERTBOUND_RESOLVED] },
      CertboundGuard,
    ],
    exports: [CERTBOUND_VERIFIER, CertboundGuard],
  };
}

/**
 * The certbound verifier for a Nest application: import `CertboundModule.forRoot(options)` (or `forRootAsync`) once,
 * in the root module, then guard routes with {@link CertboundGuard}. A verifier created from options is closed when
 * the application closes; a Verifier passed in is left to its owner.
 * @example
 * ```ts
 * @Module({
 *   imports: [CertboundModule.forRoot({ issuer, audience: 'api://orders', algorithms: ['RS256'], keys: remoteKeys({ uri: jwksUri }) })],
 *   providers: [{ provide: APP_GUARD, useClass: CertboundGuard }],
 *   controllers: [OrdersController],
 * })
 * export class AppModule {}
 * ```
 */
export class CertboundModule {
  /** Options are validated when the application is created: a ConfigurationError at startup, never on a request. */
  static forRoot(optionsOrVerifier: VerifierOptions | Verifier): DynamicModule {
    const resolved: Provider = { provide: CERTBOUND_RESOLVED, useFactory: () => resolveVerifier(optionsOrVerifier, 'CertboundModule.forRoot()') };
    return certboundModule(resolved, []);
  }

  /**
   * The verifier options from a factory with injected providers (a config service), possibly async.
   * @example
   * ```ts
   * CertboundModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config: ConfigService) => config.verifierOptions() })
   * ```
   */
  static forRootAsync(options: CertboundModuleAsyncOptions): DynamicModule {
    if (typeof options !== 'object' || options === null || typeof options.useFactory !== 'function') {
      throw new ConfigurationError('CertboundModule.forRootAsync()', 'CertboundModule.forRootAsync() needs { useFactory } returning verifier options or a Verifier (with imports and inject for what it uses)');
    }
    const factory = options.useFactory as (...args: unknown[]) => VerifierOptions | Verifier | Promise<VerifierOptions | Verifier>;
    const resolved: Provider = {
      provide: CERTBOUND_RESOLVED,
      useFactory: async (...args: unknown[]) => resolveVerifier(await factory(...args), 'CertboundModule.forRootAsync() useFactory'),
      inject: options.inject ?? [],
    };
    return certboundModule(resolved, options.imports ?? []);
  }
}
