import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** Set to 1 outside CI to skip the Redis store tests when redis-server is not installed (never honoured in CI). */
export const REDIS_SKIP_VARIABLE = 'CERTBOUND_SKIP_REDIS_TESTS';
const INSTALL = 'apt-get update && apt-get install -y redis-server';

export const redisBinary = ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path)) ?? null;

/** True only when redis-server is missing and the developer opted out outside CI; the skip is announced. */
export const skipRedis = (() => {
  const inCi = (process.env['CI'] ?? '') !== '';
  const skip = redisBinary === null && !inCi && process.env[REDIS_SKIP_VARIABLE] === '1';
  if (skip) console.warn(`packages/client: redis-server is not installed and ${REDIS_SKIP_VARIABLE}=1: the Redis token store tests are skipped. Install it with \`${INSTALL}\`.`);
  return skip;
})();

export interface RunningRedis {
  readonly url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Start a throwaway redis-server on 127.0.0.1 and a random port, without persistence; fails clearly if missing. */
export async function startRedis(): Promise<RunningRedis> {
  if (redisBinary === null) {
    throw new Error(`redis-server is not installed: install it with \`${INSTALL}\` (.ci/run does), or set ${REDIS_SKIP_VARIABLE}=1 outside CI to skip`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(redisBinary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${output.slice(-500)}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
