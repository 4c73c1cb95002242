// Start the whole example on 127.0.0.1: a dev PKI, the certbound gateway, the echo upstream and a real nginx
// terminating mTLS in front of them. Every file lives in one temporary directory, removed on close().
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevPki, writeDevPki, type DevPki, type DevPkiFiles } from '@certbound/dev-pki';
import { loadGatewayConfig, startGateway, type Gateway, type StartGatewayOptions } from '@certbound/gateway';
import { createDemoIssuer, type DemoIssuer } from './demo-issuer.js';
import { startUpstream, type Upstream } from './upstream.js';

export const TEMPLATE_PATH = fileURLToPath(new URL('../nginx.conf.template', import.meta.url));
/** Header nginx uses for the client certificate (`$ssl_client_escaped_cert`); matches the template. */
export const CERTIFICATE_HEADER = 'x-ssl-client-cert';
const HOST = '127.0.0.1';

export interface NginxGatewayOptions {
  /** Certificates to use. Default: a fresh `createDevPki()`. */
  pki?: DevPki;
  /**
   * CONFIG.md fields merged over the example's gateway config (issuer, audience, jwks, algorithms, binding,
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
  const candidates = explicit !== undefined ? [explicit] : [
    ...(process.env['NGINX_BINARY'] ? [process.env['NGINX_BINARY']] : []),
    ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nginx')),
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/nginx/sbin/nginx',
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Fill the template's {{PLACEHOLDERS}}; an unknown or missing one is an error, not an empty string. */
export function renderNginxConfig(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: no value for {{${name}}}`);
    return value;
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGQUIT is nginx's graceful shutdown; SIGKILL only if it does not finish in time.
  child.kill('SIGQUIT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Run nginx in the foreground on `port` and wait until it accepts connections. Resolves with the process, or
 * rejects with nginx's own error output (e.g. the port was taken meanwhile).
 */
async function runNginx(binary: string, dir: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(binary, ['-p', dir, '-c', 'nginx.conf', '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const spawnError = new Promise<never>((_resolve, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    // nginx gives no readiness signal in the foreground: poll the port (bounded by the deadline).
    const ready = await Promise.race([canConnect(port), spawnError]);
    if (ready && !exited) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await stopProcess(child);
  const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  throw new Error(`nginx did not start on ${HOST}:${port}: ${(stderr + log).trim() || 'no output'}`);
}

/** Start PKI, gateway, upstream and nginx. */
export async function startNginxGateway(options: NginxGatewayOptions = {}): Promise<NginxGatewayStack> {
  const binary = findNginx(options.nginxBinary);
  if (binary === null) throw new Error('nginx is not installed (Debian/Ubuntu: apt-get install nginx-light)');
  const pki = options.pki ?? (await createDevPki());
  const dir = await mkdtemp(join(tmpdir(), 'certbound-nginx-'));
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
      // @see SECURITY.md rule 7 — only nginx (on loopback) may hand the gateway a certificate
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

    const template = await readFile(TEMPLATE_PATH, 'utf8');
    let nginx: ChildProcess | undefined;
    let port = 0;
    // The free port is found before nginx binds it; if another process takes it meanwhile, try another.
    for (let attempt = 0; attempt < 3 && nginx === undefined; attempt++) {
      port = await freePort();
      const conf = renderNginxConfig(template, {
        DIR: dir,
        LISTEN: `${HOST}:${port}`,
        SERVER_CERT: files.serverCert,
        SERVER_KEY: files.serverKey,
        CA_CERT: files.caCert,
        GATEWAY: `${HOST}:${gateway.port}`,
        UPSTREAM: `${HOST}:${upstream.port}`,
      });
      await writeFile(join(dir, 'nginx.conf'), conf);
      try {
        nginx = await runNginx(binary, dir, port, options.startTimeoutMs ?? 10_000);
      } catch (error) {
        if (attempt === 2 || !String(error).includes('in use')) throw error;
      }
    }
    if (nginx === undefined) throw new Error('nginx did not start');
    const started = nginx;
    // If this process dies without close(), do not leave nginx running.
    const killOnExit = () => started.kill('SIGKILL');
    process.once('exit', killOnExit);
    cleanups.push(async () => {
      process.off('exit', killOnExit);
      await stopProcess(started);
    });

    let closing: Promise<void> | undefined;
    return {
      url: `https://${HOST}:${port}`,
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
