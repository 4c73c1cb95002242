// Running a real reverse proxy (nginx, Caddy, HAProxy) in the foreground on a loopback port, from a configuration
// template whose {{PLACEHOLDERS}} are filled in: how each program is found, started, awaited and stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export const HOST = '127.0.0.1';

export type ProxyName = 'nginx' | 'caddy' | 'haproxy';

/** How to run one proxy program. */
export interface ProxyProgram {
  readonly name: ProxyName;
  /** Environment variable naming the executable, checked before PATH. */
  readonly binaryVariable: string;
  /** Debian/Ubuntu install command, for messages. */
  readonly install: string;
  /** File name of the rendered configuration inside the working directory. */
  readonly configFile: string;
  /** Command-line arguments to run in the foreground with `config` (absolute path) in `dir`. */
  args(dir: string, config: string): string[];
  /** Environment overrides (programs that write state under $HOME get `dir` instead). */
  env(dir: string): Record<string, string>;
  /** The signal for a graceful stop (SIGKILL follows if it does not exit in time). */
  readonly stopSignal: NodeJS.Signals;
  /** A file the program writes its own errors to, shown when it fails to start. */
  readonly errorLog?: string;
}

export const PROXY_PROGRAMS: Readonly<Record<ProxyName, ProxyProgram>> = {
  nginx: {
    name: 'nginx',
    binaryVariable: 'NGINX_BINARY',
    install: 'apt-get install nginx-light',
    configFile: 'nginx.conf',
    args: (dir, config) => ['-p', dir, '-c', config, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`],
    env: () => ({}),
    // SIGQUIT is nginx's graceful shutdown.
    stopSignal: 'SIGQUIT',
    errorLog: 'error.log',
  },
  caddy: {
    name: 'caddy',
    binaryVariable: 'CADDY_BINARY',
    install: 'apt-get install caddy',
    configFile: 'Caddyfile',
    args: (_dir, config) => ['run', '--config', config, '--adapter', 'caddyfile'],
    // Caddy keeps its data and config state under XDG directories (else $HOME): keep them in the directory.
    env: (dir) => ({ HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') }),
    stopSignal: 'SIGTERM',
  },
  haproxy: {
    name: 'haproxy',
    binaryVariable: 'HAPROXY_BINARY',
    install: 'apt-get install haproxy',
    configFile: 'haproxy.cfg',
    // -db: stay in the foreground, no daemon.
    args: (_dir, config) => ['-db', '-f', config],
    env: () => ({}),
    // SIGUSR1 is HAProxy's soft stop (finish open connections).
    stopSignal: 'SIGUSR1',
  },
};

/** Where a program's executable is, or null when it is not installed. */
export function findProgram(program: ProxyProgram, explicit?: string): string | null {
  const fromEnv = process.env[program.binaryVariable];
  const candidates = explicit !== undefined ? [explicit] : [
    ...(fromEnv ? [fromEnv] : []),
    ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, program.name)),
    ...['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', `/usr/local/${program.name}/sbin`].map((dir) => join(dir, program.name)),
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

/** Fill a template's {{PLACEHOLDERS}}; an unknown or missing one is an error, not an empty string. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`config template: no value for {{${name}}}`);
    return value;
  });
}

export async function freePort(): Promise<number> {
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

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Run the program in the foreground with the rendered configuration in `dir` and wait until `port` accepts
 * connections. Rejects with the program's own error output (e.g. the port was taken meanwhile).
 */
async function runProgram(program: ProxyProgram, binary: string, dir: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(binary, program.args(dir, join(dir, program.configFile)), {
    cwd: dir,
    env: { ...process.env, ...program.env(dir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: string) => {
    // Bounded: only the start-up errors matter.
    if (output.length < 16_384) output += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const spawnError = new Promise<never>((_resolve, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    // None of the three gives a readiness signal in the foreground: poll the port (bounded by the deadline).
    const ready = await Promise.race([canConnect(port), spawnError]);
    if (ready && !exited) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await stopProcess(child, 'SIGKILL');
  const log = program.errorLog === undefined ? '' : await readFile(join(dir, program.errorLog), 'utf8').catch(() => '');
  throw new Error(`${program.name} did not start on ${HOST}:${port}: ${(output + log).trim() || 'no output'}`);
}

export interface RunningProxy {
  readonly port: number;
  readonly url: string;
  /** Stop the program (gracefully, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Render `template` into `dir` with LISTEN (host:port) and PORT added to `values`, start the program on a free
 * loopback port and wait until it listens. If another process takes the port meanwhile, another one is tried.
 */
export async function startProxyProgram(
  program: ProxyProgram,
  options: { binary: string; dir: string; template: string; values: Record<string, string>; startTimeoutMs?: number },
): Promise<RunningProxy> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = renderTemplate(options.template, { ...options.values, LISTEN: `${HOST}:${port}`, PORT: String(port) });
    await writeFile(join(options.dir, program.configFile), config);
    let child: ChildProcess;
    try {
      child = await runProgram(program, options.binary, options.dir, port, options.startTimeoutMs ?? 10_000);
    } catch (error) {
      if (attempt < 2 && /in use/i.test(String(error))) continue;
      throw error;
    }
    // If this process dies without stop(), do not leave the proxy running.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    let stopping: Promise<void> | undefined;
    return {
      port,
      url: `https://${HOST}:${port}`,
      stop: () =>
        (stopping ??= (async () => {
          process.off('exit', killOnExit);
          await stopProcess(child, program.stopSignal);
        })()),
    };
  }
}
