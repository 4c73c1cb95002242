// Start the whole example on 127.0.0.1: a dev PKI, the certbound gateway, the echo upstream and a real nginx
// terminating mTLS in front of them. Every file lives in one temporary directory, removed on close().
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevPki, writeDevPki, type DevPki, type DevPkiFiles } from '@certbound/dev-pki';
import { loadGatewayConfig, startGateway, type Gateway, type StartGatewayOptions } from '@certbound/gateway';
import { createDemoIssuer, type DemoIssuer } from './demo-issuer.js';
import { findProgram, HOST, PROXY_PROGRAMS, renderTemplate, startProxyProgram, type ProxyName } from './proxy-process.js';
import { startUpstream, type Upstream } from './upstream.js';

export const TEMPLATE_PATH = fileURLToPath(new URL('../nginx.conf.template', import.meta.url));
/** Header nginx uses for the client certificate (`$ssl_client_escaped_cert`); matches the template. */
export const CERTIFICATE_HEADER = 'x-ssl-client-cert';

export interface NginxGatewayOptions {
  /** Certificates to use. Default: a fresh `createDevPki()`. */
  pki?: DevPki;
  /**
   * docs/configuration.md fields merged over the example's gateway config (issuer, audience, jwks, algorithms, binding,
   * requiredScopes, …). Default: a throw-away ES256 demo issuer (see `demo` in the result).
   */
  config?: Record<string, unknown>;
  /** Options for `startGateway`. Default `{ logLevel: "warn" }`. */
  gatewayOptions?: StartGatewayOptions;
  /** The nginx executable. Default: `$NGINX_BINARY`, else `nginx` from PATH, /usr/sbin or /usr/local/sbin. */
  nginxBinary?: string;
  /** How long to wait for nginx to accept connections, in ms. Default 10000. */
  startTimeoutMs?: number;
}

export interface GatewayStackOptions extends Omit<NginxGatewayOptions, 'nginxBinary'> {
  /** The proxy in front of the gateway and the upstream, and its configuration template. */
  proxy: { name: ProxyName; template: string; binary?: string; values?: Record<string, string> };
}

export interface NginxGatewayStack {
  /** nginx's HTTPS URL: where clients send requests (mTLS). */
  readonly url: string;
  /** The gateway, reached directly (plain HTTP; trusted peer = nginx on 127.0.0.1). */
  readonly gatewayUrl: string;
  /** The upstream, reached directly. */
  readonly upstreamUrl: string;
  /** The upstream itself (what it received). */
  readonly upstream: Upstream;
  /** The directory holding nginx.conf, gateway.json, the PKI files and nginx's logs. */
  readonly dir: string;
  readonly pki: DevPki;
  readonly files: DevPkiFiles;
  readonly gateway: Gateway;
  /** The demo issuer, when `config` did not replace the token settings. */
  readonly demo: DemoIssuer | undefined;
  /** Stop nginx, the gateway and the upstream and delete the directory. Idempotent. */
  close(): Promise<void>;
}

/** Where the nginx executable is, or null when it is not installed. */
export function findNginx(explicit?: string): string | null {
  return findProgram(PROXY_PROGRAMS.nginx, explicit);
}

/** Fill the template's {{PLACEHOLDERS}}; an unknown or missing one is an error, not an empty string. */
export const renderNginxConfig = renderTemplate;

/** Start PKI, gateway, upstream and nginx. */
export function startNginxGateway(options: NginxGatewayOptions = {}): Promise<NginxGatewayStack> {
  const { nginxBinary, ...rest } = options;
  return startGatewayStack({ ...rest, proxy: { name: 'nginx', template: TEMPLATE_PATH, ...(nginxBinary === undefined ? {} : { binary: nginxBinary }) } });
}

/**
 * Start PKI, gateway, upstream and a proxy in front of them (nginx, Caddy's forward_auth, HAProxy with certbound-auth.lua). The template gets
 * DIR, LISTEN, PORT, SERVER_CERT, SERVER_KEY, SERVER_PEM (certificate + key, for HAProxy), CA_CERT, GATEWAY,
 * UPSTREAM and `proxy.values`.
 */
/** The template values naming the working directory and the PKI files (SERVER_PEM is written here). */
export async function proxyFileValues(dir: string, files: DevPkiFiles): Promise<Record<string, string>> {
  const serverPem = join(dir, 'pki', 'server.pem');
  await writeFile(serverPem, (await readFile(files.serverCert, 'utf8')) + (await readFile(files.serverKey, 'utf8')), { mode: 0o600 });
  return { DIR: dir, SERVER_CERT: files.serverCert, SERVER_KEY: files.serverKey, SERVER_PEM: serverPem, CA_CERT: files.caCert };
}

export async function startGatewayStack(options: GatewayStackOptions): Promise<NginxGatewayStack> {
  const program = PROXY_PROGRAMS[options.proxy.name];
  const binary = findProgram(program, options.proxy.binary);
  if (binary === null) throw new Error(`${program.name} is not installed (Debian/Ubuntu: ${program.install})`);
  const pki = options.pki ?? (await createDevPki());
  const dir = await mkdtemp(join(tmpdir(), `certbound-${program.name}-`));
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    // nginx workers drop root privileges (to "nobody"): they must be able to enter the directory for temp files.
    // Private keys stay 0600 — only the master process reads them.
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'tmp'));
    const files = await writeDevPki(pki, join(dir, 'pki'));

    const demo = createDemoIssuer();
    const gatewayConfig: Record<string, unknown> = {
      listen: { host: HOST, port: 0 },
      issuer: demo.issuer,
      audience: demo.audience,
      jwks: demo.jwks,
      algorithms: ['ES256'],
      tokenTypes: ['at+jwt', 'application/at+jwt'],
      binding: 'required',
      // @see docs/security.md rule 7 — only the proxy (on loopback) may hand the gateway a certificate
      certificateSource: { type: 'header', format: 'nginx', header: CERTIFICATE_HEADER, trustedProxies: ['127.0.0.1/32'] },
      ...options.config,
    };
    // Exactly one key source: a caller's jwksUri replaces the demo's inline JWKS.
    if (options.config?.['jwksUri'] !== undefined && options.config['jwks'] === undefined) delete gatewayConfig['jwks'];
    const replacedTokens = ['issuer', 'audience', 'jwks', 'jwksUri'].some((field) => options.config?.[field] !== undefined);
    const configPath = join(dir, 'gateway.json');
    await writeFile(configPath, JSON.stringify(gatewayConfig, null, 2) + '\n');

    const upstream: Upstream = await startUpstream({ host: HOST });
    cleanups.push(() => upstream.close());
    const gateway = await startGateway(await loadGatewayConfig(configPath), { logLevel: 'warn', ...options.gatewayOptions });
    cleanups.push(() => gateway.close());

    const proxy = await startProxyProgram(program, {
      binary,
      dir,
      template: await readFile(options.proxy.template, 'utf8'),
      values: { ...(await proxyFileValues(dir, files)), GATEWAY: `${HOST}:${gateway.port}`, UPSTREAM: `${HOST}:${upstream.port}`, ...options.proxy.values },
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    });
    cleanups.push(() => proxy.stop());

    let closing: Promise<void> | undefined;
    return {
      url: proxy.url,
      gatewayUrl: gateway.url,
      upstreamUrl: upstream.url,
      upstream,
      dir,
      pki,
      files,
      gateway,
      demo: replacedTokens ? undefined : demo,
      close: () => (closing ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
