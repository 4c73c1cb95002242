// Config errors are refused at startup with a message naming the field; the CLI announces itself and stops cleanly.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig, startGateway } from '../src/index.js';
import { createTestSetup, gatewayDocument, send, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
let dir: string;

beforeAll(async () => {
  setup = await createTestSetup();
  dir = await mkdtemp(join(tmpdir(), 'certbound-gateway-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nginxSource = { format: 'nginx' };

describe('config validation', () => {
  it('refuses an unknown member of "gateway", naming it', () => {
    expect(() => parseGatewayConfig(gatewayDocument(setup, nginxSource, { gateway: { identityHeader: {} } }), dir)).toThrow(/gateway\.identityHeader\b/);
  });

  it('refuses an identity header name that is not an HTTP token, naming the field', () => {
    expect(() => parseGatewayConfig(gatewayDocument(setup, nginxSource, { gateway: { identityHeaders: { subject: 'x-sub: admin' } } }), dir)).toThrow(
      /gateway\.identityHeaders\.subject/,
    );
  });

  it('still refuses unknown top-level fields (core\'s parser), naming them', () => {
    expect(() => parseGatewayConfig(gatewayDocument(setup, nginxSource, { trustedProxy: ['127.0.0.1/32'] }), dir)).toThrow(/trustedProxy/);
  });

  it('SECURITY 7: a header source without trustedProxies is refused', () => {
    const document = gatewayDocument(setup, nginxSource);
    document['certificateSource'] = { type: 'header', format: 'nginx' };
    expect(() => parseGatewayConfig(document, dir)).toThrow(/certificateSource\.trustedProxies/);
  });

  it('a TLS certificate source is refused by startGateway: its peer is the proxy, never the client', async () => {
    const config = parseGatewayConfig(gatewayDocument(setup, nginxSource, { certificateSource: { type: 'tls' }, binding: 'if-present' }), dir);
    await expect(startGateway(config, { logLevel: 'silent' })).rejects.toThrow(/certificateSource\.type must be "header"/);
  });

  it('requiredScopes that cannot appear in a challenge are a startup error, not a per-request failure', async () => {
    const config = parseGatewayConfig(gatewayDocument(setup, nginxSource, { requiredScopes: ['orders "read"'] }), dir);
    await expect(startGateway(config, { logLevel: 'silent', processMetrics: false })).rejects.toThrow(/requiredScopes/);
  });

  it('loadGatewayConfig names the file when it is missing or not JSON', async () => {
    await expect(loadGatewayConfig(join(dir, 'absent.json'))).rejects.toThrow(/absent\.json/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "listen": ');
    await expect(loadGatewayConfig(broken)).rejects.toThrow(/not valid JSON/);
  });
});

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface CliRun {
  ready: Promise<{ ready: boolean; url: string }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['--conditions=certbound-source', '--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  const ready = new Promise<{ ready: boolean; url: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line) as { ready: boolean; url: string }));
    void exited.then(({ code }) => reject(new Error(`the CLI exited (${code}) before its ready line: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { ready, exited, kill: (signal) => child.kill(signal) };
}

describe('certbound-gateway CLI', () => {
  it('prints one JSON ready line, serves /healthz, and exits 0 on SIGTERM', async () => {
    const path = join(dir, 'gateway.json');
    await writeFile(path, JSON.stringify(gatewayDocument(setup, nginxSource)));
    const run = runCli(['--config', path, '--log-level', 'silent']);
    const ready = await run.ready;
    expect(ready.ready).toBe(true);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await send(`${ready.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    run.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code).toBe(0);
  });

  it('reads CERTBOUND_CONFIG when --config is absent', async () => {
    const path = join(dir, 'from-env.json');
    await writeFile(path, JSON.stringify(gatewayDocument(setup, nginxSource)));
    const run = runCli([], { CERTBOUND_CONFIG: path, CERTBOUND_LOG_LEVEL: 'silent' });
    expect((await run.ready).ready).toBe(true);
    run.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('a config error exits 1 with a message naming the field', async () => {
    const path = join(dir, 'bad.json');
    const document = gatewayDocument(setup, nginxSource);
    document['certificateSource'] = { type: 'header', format: 'nginx' };
    await writeFile(path, JSON.stringify(document));
    const exit = await runCli(['--config', path]).exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('certificateSource.trustedProxies');
  });

  it('without any config it prints the usage and exits 2', async () => {
    const env = { CERTBOUND_CONFIG: '' };
    const exit = await runCli([], env).exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('usage: certbound-gateway --config FILE');
  });
});
