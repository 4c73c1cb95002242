import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { Placement } from './placement.js';

/** A free loopback port (nginx cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not open port ${port}`);
}

export interface NginxHandle {
  prefix: string;
  stop(): Promise<void>;
}

/**
 * Run nginx in the foreground (`daemon off`) from a prefix folder holding its config, temp paths and error log;
 * stop it with SIGQUIT (graceful) and, if it lingers, SIGTERM (fast shutdown, the master still stops its worker) — only the master process this function started.
 */
export async function startNginx(binary: string, prefix: string, config: string, ports: number[], placement: Placement): Promise<NginxHandle> {
  if (!existsSync(binary)) throw new Error(`nginx not found at ${binary}`);
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  const confFile = join(prefix, 'nginx.conf');
  await writeFile(confFile, config);
  const { file, args } = placement.command([binary, '-p', prefix, '-c', confFile, '-e', join(prefix, 'error.log')], 'server');
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  // If the runner dies mid-scenario, take this nginx (and only it) down with it: SIGTERM, so that the master
  // stops its worker too (a killed master would leave the worker behind).
  const onRunnerExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', onRunnerExit);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.off('exit', onRunnerExit);
      resolve();
    }),
  );
  try {
    const deadline = Date.now() + 10_000;
    for (const port of ports) {
      await Promise.race([
        waitForPort(port, deadline),
        exit.then(async () => {
          const log = existsSync(join(prefix, 'error.log')) ? await readFile(join(prefix, 'error.log'), 'utf8') : '';
          throw new Error(`nginx exited at start: ${stderr.trim()} ${log.trim().split('\n').slice(-3).join(' | ')}`);
        }),
      ]);
    }
  } catch (error) {
    if (!exited) child.kill('SIGTERM');
    await exit;
    throw error;
  }
  return {
    prefix,
    async stop() {
      if (exited) return;
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The `http {}` preamble every benchmark nginx uses: one worker, no access log, temp paths inside the prefix. */
export function nginxMain(prefix: string, httpBody: string): string {
  const runAs = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${runAs}worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'tmp', 'body')};
  proxy_temp_path ${join(prefix, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'tmp', 'scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 120s;
${httpBody}
}
`;
}
