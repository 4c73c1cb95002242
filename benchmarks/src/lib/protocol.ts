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

/** The call every child answers, whatever it runs: its own CPU time so far (user + system, µs). */
export const CPU_USAGE = 'cpuUsage';
