// The CLI: one ready line on stdout, JSON logs on stderr, admin rotation, SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevPki, writeDevPki, type DevPki } from '@certbound/dev-pki';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT_ID = 'cli-app';
const ADMIN_TOKEN = 'cli-test-admin-token-0123456789abcdef';
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
let pki: DevPki;
const children: ChildProcessWithoutNullStreams[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbound-authority-cli-'));
  pki = await createDevPki({ clients: ['client-a'] });
  await writeDevPki(pki, join(dir, 'pki'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(agents.map((agent) => agent.close()));
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    JSON.stringify({
      tls: { cert: 'pki/server.crt', key: 'pki/server.key' },
      trustedClientCas: ['pki/ca.crt'],
      log: { level: 'info' },
      tenants: [{ id: TENANT }],
      resources: [{ identifier: 'api://cli', appRoles: ['Read'] }],
      apps: [
        {
          clientId: CLIENT_ID,
          tenant: TENANT,
          objectId: '55555555-6666-4777-8888-999999999999',
          certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: pki.clients['client-a']?.thumbprint }],
          grants: { 'api://cli': ['Read'] },
        },
      ],
      ...extra,
    }),
  );
  return path;
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  ready: Record<string, unknown>;
  stderr: () => string;
  /** Resolves with the first match of `pattern` in stderr, as soon as it has arrived. */
  stderrMatch: (pattern: RegExp) => Promise<RegExpExecArray>;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['CERTBOUND_AUTHORITY_ADMIN_TOKEN'];
  delete env['CERTBOUND_AUTHORITY_CONFIG'];
  return env;
}

function startCli(configPath: string): Promise<Started> {
  const child = spawn(process.execPath, ['--conditions=certbound-source', '--import', 'tsx', cli, '--config', configPath], { cwd: repoRoot, env: childEnv() });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stderrMatch = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(stderr);
        if (match === null) return;
        child.stderr.off('data', check);
        child.off('exit', onExit);
        resolve(match);
      };
      const onExit = (): void => reject(new Error(`CLI exited before printing ${String(pattern)}: ${stderr}`));
      child.stderr.on('data', check);
      child.once('exit', onExit);
      check();
    });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve({ child, ready: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>, stderr: () => stderr, stderrMatch });
    });
    child.once('exit', (code) => reject(new Error(`CLI exited with ${String(code)}: ${stderr}`)));
  });
}

function agent(withCertificate: boolean): Agent {
  const client = pki.clients['client-a'];
  const created = new Agent({ connect: { ca: pki.ca.cert, ...(withCertificate && client ? { cert: client.cert, key: client.key } : {}) } });
  agents.push(created);
  return created;
}

describe('certbound-authority CLI', () => {
  it('prints one ready line, issues tokens, rotates through the admin endpoint, logs JSON and stops on SIGTERM', async () => {
    const { child, ready, stderr } = await startCli(await writeConfig('cli.json', { admin: { token: ADMIN_TOKEN } }));
    expect(Object.keys(ready)).toEqual(['ready', 'url']);
    expect(ready['ready']).toBe(true);
    const url = ready['url'] as string;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const tokenResponse = await request(`${url}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, scope: 'api://cli/.default', token_type: 'mtls_pop' }).toString(),
      dispatcher: agent(true),
    });
    expect(tokenResponse.statusCode).toBe(200);
    const token = ((await tokenResponse.body.json()) as { access_token: string }).access_token;

    const rotate = await request(`${url}/admin/rotate-signing-key`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, dispatcher: agent(false) });
    expect(rotate.statusCode).toBe(200);
    const { kid } = (await rotate.body.json()) as { kid: string };
    const jwks = await request(`${url}/${TENANT}/discovery/v2.0/keys`, { dispatcher: agent(false) });
    const kids = ((await jwks.body.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    expect(kids).toHaveLength(2);
    expect(kids[0]).toBe(kid);

    const exited = once(child, 'close'); // 'close': the exit code and every byte of stdio
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);

    const logLines = stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines.some((line) => line['event'] === 'token_issued' && line['client_id'] === CLIENT_ID && line['bound'] === true)).toBe(true);
    expect(logLines.some((line) => line['event'] === 'signing_key_rotated' && line['kid'] === kid)).toBe(true);
    // Logs never carry tokens or the admin token.
    expect(stderr()).not.toContain(token);
    expect(stderr()).not.toContain(ADMIN_TOKEN);
  });

  it('generates an admin token when none is configured and prints it on stderr only', async () => {
    const { child, stderrMatch } = await startCli(await writeConfig('cli-generated.json'));
    const [, endpoint, generated] = (await stderrMatch(/admin token for POST (\S+): (\S+)\n/)) as unknown as [string, string, string];
    expect(generated.length).toBeGreaterThanOrEqual(32);
    const rotate = await request(endpoint, { method: 'POST', headers: { authorization: `Bearer ${generated}` }, dispatcher: agent(false) });
    expect(rotate.statusCode).toBe(200);
    await rotate.body.text();
    const exited = once(child, 'close'); // 'close': the exit code and every byte of stdio
    child.kill('SIGTERM');
    await exited;
  });

  it('exits non-zero with the field named when the configuration is invalid', async () => {
    const path = await writeConfig('cli-bad.json', { tokenLifetimeSeconds: 'long' });
    const child = spawn(process.execPath, ['--conditions=certbound-source', '--import', 'tsx', cli, '--config', path], { cwd: repoRoot, env: childEnv() });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('tokenLifetimeSeconds');
    expect(stdout).toBe('');
  });
});
