import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { BUILT_IN, type ChildMessage, type ParentMessage } from './protocol.js';

/** What a child module sets up from its init message. */
export interface ChildService {
  /** Sent back to the runner once the child is ready (e.g. the server's URL). */
  ready: unknown;
  /** Operations the runner may call by name. */
  methods?: Record<string, (args: unknown) => Promise<unknown> | unknown>;
  /** Release servers and timers before the process exits. */
  close(): Promise<void>;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // The stack goes to this child's stderr for debugging; the runner gets the one-line message for its report.
    if (process.env.CERTBOUND_BENCH_DEBUG) process.stderr.write(`${error.stack}\n`);
    return error.message;
  }
  return String(error);
}

/** CPU time this whole process has used (every thread, user + system), in µs: read before and after a measured round. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

let profiler: Session | undefined;

/** A CPU profile of a window the runner chooses (the measured rounds), through this process's own inspector. */
async function profileStart(): Promise<void> {
  if (profiler !== undefined) return;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  profiler = session;
}

async function profileStop(args: unknown): Promise<string> {
  const { file } = args as { file: string };
  if (profiler === undefined) throw new Error('no profile was started');
  const session = profiler;
  profiler = undefined;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await writeFile(file, JSON.stringify(profile));
  return file;
}

const builtIn: Record<string, (args: unknown) => unknown> = { [BUILT_IN.cpuUsage]: cpuMicros, [BUILT_IN.profileStart]: profileStart, [BUILT_IN.profileStop]: profileStop };

function send(message: ChildMessage): void {
  process.send?.(message);
}

/**
 * Child side of lib/child.ts: wait for init, start the service, answer calls, stop on request. The process exits
 * by itself once stopped (a clean exit, so that `--cpu-prof` writes its profile), and also when the runner goes
 * away (the IPC channel closes), so no server outlives the run.
 */
export function serveChild(start: (init: unknown) => Promise<ChildService>): void {
  if (process.send === undefined) {
    process.stderr.write('this module is started by benchmarks/src/run.ts, not directly\n');
    process.exit(2);
  }
  let service: ChildService | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await service?.close();
    } catch {
      // Closing is best effort: the process exits next either way.
    }
    process.exit(code);
  };
  process.on('disconnect', () => void stop(0));
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'init':
        start(message.value).then(
          (started) => {
            service = started;
            send({ type: 'ready', value: started.ready });
          },
          (error: unknown) => {
            send({ type: 'error', message: describe(error) });
            void stop(1);
          },
        );
        break;
      case 'call': {
        const method = builtIn[message.method] ?? service?.methods?.[message.method];
        if (method === undefined) {
          send({ type: 'reply', id: message.id, method: message.method, ok: false, error: `no method ${message.method}` });
          break;
        }
        Promise.resolve()
          .then(() => method(message.args))
          .then(
            (value) => send({ type: 'reply', id: message.id, method: message.method, ok: true, value }),
            (error: unknown) => send({ type: 'reply', id: message.id, method: message.method, ok: false, error: describe(error) }),
          );
        break;
      }
      case 'stop':
        void stop(0);
        break;
    }
  });
}
