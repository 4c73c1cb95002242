import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Where processes run. On a machine with at least two cores and `taskset`, this process (the autocannon load
 * generator and the orchestration) is pinned to CPU 0 and every server-side process to the other cores, so the
 * load generator and the server never compete for one core. Without taskset the OS scheduler places them.
 */
export interface Placement {
  readonly pinned: boolean;
  readonly description: string;
  /** Command and arguments that start `argv` on the server cores ("server") or anywhere ("any"). */
  command(argv: readonly string[], cpu: 'server' | 'any'): { file: string; args: string[] };
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path));

export function setupPlacement(): Placement {
  const cores = cpus().length;
  if (TASKSET === undefined || cores < 2) {
    return {
      pinned: false,
      description: `not pinned (${TASKSET === undefined ? 'taskset missing' : 'one core'}): servers run in child processes, autocannon in the runner process, placed by the OS scheduler`,
      command: (argv) => ({ file: argv[0]!, args: argv.slice(1) }),
    };
  }
  const serverCpus = cores === 2 ? '1' : `1-${cores - 1}`;
  try {
    // -a: every thread of this process (libuv pool, V8 helpers), not only the main thread.
    execFileSync(TASKSET, ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  } catch (error) {
    return {
      pinned: false,
      description: `not pinned (taskset failed: ${(error as Error).message.split('\n')[0]}): servers in child processes, autocannon in the runner`,
      command: (argv) => ({ file: argv[0]!, args: argv.slice(1) }),
    };
  }
  return {
    pinned: true,
    description: `load generator (autocannon, in the runner process) pinned to CPU 0; every server-side process (servers, gateway, nginx, authority, micro-benchmark child) started with taskset -c ${serverCpus}; the memory scenario's child runs unpinned (its token signer is a worker thread)`,
    command: (argv, cpu) => (cpu === 'server' ? { file: TASKSET, args: ['-c', serverCpus, ...argv] } : { file: argv[0]!, args: argv.slice(1) }),
  };
}
