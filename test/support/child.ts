/**
 * Start a server as a child process and wait for its ready line (`{"ready": true, "url": ...}` on stdout), the way
 * the servers of docs/configuration.md announce themselves. Every child started here is stopped by `stopAllChildren()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

export interface StartChildOptions {
  /** Executable. Default: this Node binary. */
  command?: string;
  args: string[];
  cwd?: string;
  /** Added to (and overriding) the current environment. */
  env?: Record<string, string | undefined>;
  /** Give up waiting for the ready line after this many milliseconds. Default 30000. */
  readyTimeoutMs?: number;
  /**
   * Recognise the ready line and return the server's URL, or null for other lines. Default: a JSON line
   * `{"ready": true, "url": ...}` as the servers of docs/configuration.md print.
   */
  ready?: (line: string) => string | null;
  /**
   * Start the child in its own process group and signal the whole group (for wrappers such as `pnpm start`,
   * which do not forward SIGTERM to the server they run). Default false.
   */
  processGroup?: boolean;
}

function jsonReadyLine(line: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null; // not the ready line (e.g. a package manager's banner)
  }
  const ready = parsed as { ready?: unknown; url?: unknown } | null;
  return ready !== null && typeof ready === 'object' && ready.ready === true && typeof ready.url === 'string' ? ready.url : null;
}

export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  /** Every stdout line so far (the ready line included). */
  readonly stdout: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Send a signal (default SIGTERM) and wait for the exit; resolves with how it ended and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; milliseconds: number }>;
}

const running = new Map<ChildProcess, (signal: NodeJS.Signals) => void>();

/** Node flags that run the workspace's TypeScript sources: tsx, and the export condition that resolves them. */
export const SOURCE_FLAGS: readonly string[] = ['--conditions=certbound-source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

/** Run TypeScript entry points through tsx inside one Node process (signals reach the server directly). */
export function tsxArgs(entry: string, ...args: string[]): string[] {
  return [...SOURCE_FLAGS, entry, ...args];
}

/**
 * What a child running `examples/<name>` through tsx needs in its environment: tsx reads the tsconfig.json of the
 * working folder (the root one enables no decorators), and the NestJS example is written with Nest's decorators.
 */
export function exampleEnv(name: string): Record<string, string> {
  return name === 'nestjs-api' ? { TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../examples/tsconfig.json', import.meta.url)) } : {};
}

/** Wait until no process of group `pgid` is left (bounded: 10 s, then the group is killed). */
async function groupGone(pgid: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (performance.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      throw new Error(`process group ${pgid} still running 10 s after its leader exited`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function startChild(options: StartChildOptions): Promise<ChildServer> {
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    // A group outlives its leader (e.g. pnpm exits while the server still shuts down): keep addressing it.
    if (!options.processGroup && (child.exitCode !== null || child.signalCode !== null)) return;
    try {
      // A negative pid addresses the child's own process group (it leads it: detached).
      process.kill(options.processGroup ? -child.pid : child.pid, name);
    } catch {
      // already gone
    }
  };
  running.set(child, signal);
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  return new Promise<ChildServer>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`no ready line within ${timeoutMs} ms from ${options.args.join(' ')}\nstdout: ${stdout.join('\n')}\nstderr: ${stderr}`));
    }, timeoutMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.args.join(' ')} exited (code ${code}, signal ${signal}) before its ready line\nstdout: ${stdout.join('\n')}\nstderr: ${stderr}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      stdout.push(line);
      const url = (options.ready ?? jsonReadyLine)(line);
      if (url === null) return;
      clearTimeout(timer);
      resolve({
        url,
        pid: child.pid!,
        stdout,
        stderr: () => stderr,
        async stop(name = 'SIGTERM') {
          const started = performance.now();
          signal(name);
          const result = await exited;
          if (options.processGroup) await groupGone(child.pid!);
          return { ...result, milliseconds: performance.now() - started };
        },
      });
    });
  });
}

/** Kill every child still running (for afterAll hooks and failed setups). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      ([child, signal]) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          signal('SIGKILL');
        }),
    ),
  );
}
