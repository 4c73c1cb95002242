import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AuthorityConfig } from './config.js';
import { AuthorityOptionsError } from './errors.js';
import { createAuthorityApp } from './lib/app.js';
import { OpaqueTokenStore } from './lib/opaque-tokens.js';
import { KeyRing } from './lib/key-ring.js';
import { createAuthorityLogger } from './lib/logger.js';
import { tenantEndpoints } from './lib/metadata.js';
import { compileRegistry } from './lib/registry.js';
import { ReplayCache } from './lib/replay-cache.js';
import { validateAuthorityConfig } from './validate-config.js';

export interface AuthorityOptions {
  /** Server certificate and private key, PEM (e.g. the dev-pki server certificate for localhost/127.0.0.1/::1). Required. */
  tls: { cert: string; key: string };
  /**
   * PEM CAs trusted for `tls_client_auth` (chain verification, then subject match). They replace Node's default roots
   * for client certificates. Default: none, and then no app may register a `tls_client_auth` certificate.
   */
  trustedClientCas?: string[];
  /** The registry (the same shape as the JSON configuration file). Validated at startup. Required. */
  config: AuthorityConfig;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0: any free port (read it from `url`). */
  port?: number;
  /** pino logs on stderr. Default `false` (no logs). */
  logger?: false | { level?: string };
  /** Clock in milliseconds, for tests that freeze or advance time. Default `Date.now`. */
  currentTime?: () => number;
  /**
   * Token for `POST /admin/rotate-signing-key` (`Authorization: Bearer TOKEN`, loopback clients only), at least 32
   * characters. Default: none, and the admin endpoint does not exist.
   */
  adminToken?: string;
}

export interface RunningAuthority {
  /** `https://HOST:PORT`, no trailing slash. */
  readonly url: string;
  /** `${url}/${tenant}/v2.0` */
  issuer(tenant: string): string;
  /** `${url}/${tenant}/oauth2/v2.0/token` (also the `mtls_endpoint_aliases.token_endpoint`). */
  tokenEndpoint(tenant: string): string;
  /** `${url}/${tenant}/discovery/v2.0/keys` */
  jwksUri(tenant: string): string;
  /** The public keys served now: the current key first, then retired keys whose tokens have not all expired. */
  jwks(): { keys: object[] };
  /** Generate a new signing key. The previous key stays in the JWKS until the last token it signed has expired. */
  rotateSigningKey(): Promise<{ kid: string }>;
  /** Stop listening and close open connections. Idempotent. */
  close(): Promise<void>;
}

function checkOptions(options: AuthorityOptions): void {
  if (typeof options !== 'object' || options === null) throw new AuthorityOptionsError('options must be an object');
  if (typeof options.tls?.cert !== 'string' || !options.tls.cert.includes('-----BEGIN')) throw new AuthorityOptionsError('tls.cert must be a PEM certificate');
  if (typeof options.tls.key !== 'string' || !options.tls.key.includes('-----BEGIN')) throw new AuthorityOptionsError('tls.key must be a PEM private key');
  if (options.trustedClientCas !== undefined) {
    if (!Array.isArray(options.trustedClientCas) || options.trustedClientCas.some((ca) => typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----'))) {
      throw new AuthorityOptionsError('trustedClientCas must be an array of PEM certificates');
    }
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) throw new AuthorityOptionsError('port must be an integer from 0 to 65535');
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) throw new AuthorityOptionsError('host must be a non-empty string');
  if (options.currentTime !== undefined && typeof options.currentTime !== 'function') throw new AuthorityOptionsError('currentTime must be a function');
  if (options.adminToken !== undefined && (typeof options.adminToken !== 'string' || options.adminToken.length < 32)) {
    throw new AuthorityOptionsError('adminToken must be a string of at least 32 characters');
  }
}

function urlFor(host: string, port: number): string {
  return host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
}

/**
 * Start a local, Entra-shaped authorization server over HTTPS that requests (and itself verifies) client
 * certificates. Resolves once it listens.
 *
 * @example A throw-away authority for a test, with development certificates from `@certbound/dev-pki`.
 * ```ts
 * const pki = await createDevPki();
 * const authority = await startAuthority({
 *   tls: { cert: pki.server.cert, key: pki.server.key },
 *   config: await loadAuthorityConfig('authority.json'),
 * });
 * const tokenEndpoint = authority.tokenEndpoint('contoso'); // https://127.0.0.1:PORT/contoso/oauth2/v2.0/token
 * await authority.close();
 * ```
 */
export async function startAuthority(options: AuthorityOptions): Promise<RunningAuthority> {
  checkOptions(options);
  const trustedClientCas = options.trustedClientCas ?? [];
  const registry = compileRegistry(validateAuthorityConfig(options.config), trustedClientCas.length > 0);
  const now = options.currentTime ?? Date.now;
  const logger = createAuthorityLogger(options.logger);
  const keyRing = await KeyRing.create(registry.alg);
  const replayCache = new ReplayCache();
  const opaqueTokens = new OpaqueTokenStore();
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';

  const rotateSigningKey = async (): Promise<{ kid: string }> => {
    const previous = keyRing.current().kid;
    const next = await keyRing.rotate(now());
    logger.info({ event: 'signing_key_rotated', kid: next.kid, previous_kid: previous }, 'signing key rotated');
    return { kid: next.kid };
  };

  const app = createAuthorityApp({
    registry,
    keyRing,
    replayCache,
    opaqueTokens,
    baseUrl: () => baseUrl,
    now,
    logger,
    trustedCasConfigured: trustedClientCas.length > 0,
    adminToken: options.adminToken ?? null,
    rotateSigningKey,
  });

  const server: Server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      // Ask every client for a certificate but let the handshake succeed without one: the token endpoint decides,
      // per app registration, and answers with an OAuth error instead of a TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      // Only these CAs make `socket.authorized` true (they replace the default roots); none → never true.
      ...(trustedClientCas.length > 0 ? { ca: trustedClientCas } : {}),
      minVersion: 'TLSv1.2',
    },
    app.callback(),
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('secureConnection', (socket: TLSSocket) => {
    // docs/security.md rule 6: the certificate read for a request must be the one of the connection; no renegotiation.
    socket.disableRenegotiation();
  });
  server.on('tlsClientError', (error) => logger.debug({ err: { message: error.message } }, 'TLS handshake failed'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  baseUrl = urlFor(host, address.port);
  logger.info({ event: 'listening', url: baseUrl, kid: keyRing.current().kid, alg: registry.alg }, 'authority listening');

  let closing: Promise<void> | null = null;
  return {
    url: baseUrl,
    // Tenant ids are served lower case, whatever case the caller writes them in.
    issuer: (tenant) => tenantEndpoints(baseUrl, tenant.toLowerCase()).issuer,
    tokenEndpoint: (tenant) => tenantEndpoints(baseUrl, tenant.toLowerCase()).tokenEndpoint,
    jwksUri: (tenant) => tenantEndpoints(baseUrl, tenant.toLowerCase()).jwksUri,
    jwks: () => keyRing.jwks(now()),
    rotateSigningKey,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
