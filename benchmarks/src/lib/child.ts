import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Placement } from './placement.js';
import { BUILT_IN, type ChildMessage, type ParentMessage } from './protocol.js';

export interface ChildOptions {
  /** Human name for messages and the profile file, e.g. "koa.warm". */
  name: string;
  /** Module run in the child (a .ts file; the child inherits this process's tsx loader flags). */
  entry: string;
  placement: Placement;
  cpu: 'server' | 'any';
  /** When set, run under `node --cpu-prof` writing into this directory. */
  profileDir?: string;
  /** Extra node flags, e.g. ["--expose-gc"]. */
  nodeFlags?: string[];
  /** How long the child may take to report ready. Default 30000. */
  readyTimeoutMs?: number;
}

export interface ChildHandle<Ready> {
  readonly name: string;
  readonly pid: number;
  readonly ready: Ready;
  /** Ask the child to run one of its operations; rejects with the child's error message. */
  call<T = unknown>(method: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** CPU time the child process has used so far (user + system, every thread), µs, as the child itself reads it. */
  cpuMicros(): Promise<number>;
  /** With --profile: profiles of the measured rounds only (startProfile … stopProfile), beside the whole-process one. */
  readonly roundProfiles: { label: string; file: string }[];
  /** With --profile, start profiling the child now (a no-op otherwise); stopProfile writes it into the child's profile folder. */
  startProfile(): Promise<void>;
  stopProfile(label: string): Promise<void>;
  /** Close the child's servers and wait for it to exit; returns the CPU profile written, if any. */
  stop(): Promise<string | undefined>;
}

/** Marks the measured-rounds profiles in a child's profile folder, apart from --cpu-prof's whole-process one. */
const ROUNDS_SUFFIX = '-rounds-';

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Start a child Node process running `entry`, send it `init`, and wait for its ready message. Servers live in
 * these children so that the runner's autocannon and the server under test are separate processes (and, when
 * pinned, on separate cores).
 */
export async function startChild<Ready>(init: unknown, options: ChildOptions): Promise<ChildHandle<Ready>> {
  const flags = [...process.execArgv, ...(options.nodeFlags ?? [])];
  let profileFolder: string | undefined;
  if (options.profileDir !== undefined) {
    // One folder per child: every thread with a V8 isolate (the main thread, tsx's module-loader thread) writes its
    // own profile there, and the main thread's is the one that saw the load.
    profileFolder = join(options.profileDir, `${safeName(options.name)}-${Date.now()}`);
    mkdirSync(profileFolder, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${profileFolder}`);
  }
  const { file, args } = options.placement.command([process.execPath, ...flags, options.entry], options.cpu);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env: { ...process.env, CERTBOUND_BENCH_CHILD: options.name } });

  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${options.name}: child exited (code ${code}, signal ${signal}) during a call`));
      }
      pending.clear();
      resolve();
    });
  });

  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${options.name}: not ready within ${options.readyTimeoutMs ?? 30_000} ms`));
      child.kill('SIGKILL');
    }, options.readyTimeoutMs ?? 30_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.value as Ready);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${options.name}: ${message.message}`));
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name}: child exited with code ${code} before it was ready`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.send({ type: 'init', value: init } satisfies ParentMessage);
  }).catch(async (error: unknown) => {
    if (!exited) child.kill('SIGKILL');
    await exitPromise;
    throw error;
  });

  child.on('message', (message: ChildMessage) => {
    if (message.type !== 'reply') return;
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${options.name}.${message.method}: ${message.error}`));
  });

  const handle: ChildHandle<Ready> = {
    name: options.name,
    pid: child.pid ?? -1,
    ready,
    cpuMicros: () => handle.call<number>(BUILT_IN.cpuUsage, undefined, 10_000),
    roundProfiles: [],
    async startProfile() {
      if (profileFolder === undefined) return;
      await handle.call(BUILT_IN.profileStart, undefined, 10_000);
    },
    async stopProfile(label: string) {
      if (profileFolder === undefined) return;
      const file = await handle.call<string>(BUILT_IN.profileStop, { file: join(profileFolder, `${safeName(label)}${ROUNDS_SUFFIX}${Date.now()}.cpuprofile`) }, 60_000);
      handle.roundProfiles.push({ label, file });
    },
    call<T>(method: string, args?: unknown, timeoutMs = 600_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${options.name}: child has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${options.name}.${method}: no reply within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        child.send({ type: 'call', id, method, args } satisfies ParentMessage);
      });
    },
    async stop(): Promise<string | undefined> {
      if (!exited) {
        child.send({ type: 'stop' } satisfies ParentMessage);
        // A clean exit is what makes --cpu-prof write its file; only a stuck child is killed.
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      if (profileFolder === undefined || !existsSync(profileFolder)) return undefined;
      const profiles = readdirSync(profileFolder)
        .filter((entry) => entry.endsWith('.cpuprofile') && !entry.includes(ROUNDS_SUFFIX))
        .map((entry) => join(profileFolder!, entry))
        .sort((a, b) => statSync(b).size - statSync(a).size);
      return profiles[0];
    },
  };
  return handle;
}

/**
 * Stop several children, ignoring the ones already gone; returns the profiles written: a child's measured-rounds
 * profiles when it has any, its whole-process profile otherwise (start-up and warm-up would bury the hot path).
 */
export async function stopAll(children: readonly (ChildHandle<unknown> | undefined)[]): Promise<{ name: string; file: string }[]> {
  const profiles: { name: string; file: string }[] = [];
  await Promise.all(
    children.map(async (child) => {
      if (child === undefined) return;
      try {
        const file = await child.stop();
        for (const rounds of child.roundProfiles) profiles.push({ name: `${child.name}: ${rounds.label}`, file: rounds.file });
        if (file !== undefined && child.roundProfiles.length === 0) profiles.push({ name: `${child.name}: whole process`, file });
      } catch {
        // Already gone: nothing to stop.
      }
    }),
  );
  return profiles;
}
