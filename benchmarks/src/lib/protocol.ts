/** Messages between the runner and its child processes (over the Node IPC channel). */
export type ParentMessage =
  | { type: 'init'; value: unknown }
  | { type: 'call'; id: number; method: string; args: unknown }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; value: unknown }
  | { type: 'error'; message: string }
  | { type: 'reply'; id: number; method: string; ok: true; value: unknown }
  | { type: 'reply'; id: number; method: string; ok: false; error: string };

/** Calls every child answers, whatever it runs (lib/child-runtime.ts). */
export const BUILT_IN = {
  /** Its own CPU time so far (user + system, µs). */
  cpuUsage: 'cpuUsage',
  /** Start a V8 CPU profile of this process (the measured rounds, with --profile). */
  profileStart: 'profileStart',
  /** Stop it and write it to `{ file }`; answers the file. */
  profileStop: 'profileStop',
} as const;
