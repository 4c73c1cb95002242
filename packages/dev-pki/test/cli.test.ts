import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DevPkiError, createDevPki } from '../src/index.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
/** tsx's loader by absolute URL: the CLI runs in folders that have no node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Run the CLI from source in `cwd`, as a user types it; INIT_CWD dropped so the folder is the process's own. */
function pki(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, INIT_CWD: undefined };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=certbound-source', '--import', TSX, CLI, ...args], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('certbound-pki: names and folders it refuses, in one line', () => {
  it.each([
    ['../evil', /--client: a client name must be/],
    ['a/b', /--client: a client name must be/],
    ['..', /--client: a client name must be/],
    ['server', /--client: client name "server" is taken by the PKI's own files/],
    ['CA', /--client: client name "CA" is taken/],
    ['thumbprints', /is taken/],
  ])('--client %s is refused before anything is written', async (name, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'certbound-pki-cli-'));
    const result = await pki(dir, '--out', 'out', '--client', name);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(dir)).toEqual([]);
  });

  it('--out naming an existing file is one clear line, not a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certbound-pki-cli-'));
    await writeFile(join(dir, 'taken'), 'not a folder');
    const result = await pki(dir, '--out', 'taken');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^certbound-pki: --out: the output folder .*taken is a file, not a folder\n$/);
  });

  it('writes the named clients next to the PKI\'s own files, and thumbprints.json lists exactly them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certbound-pki-cli-'));
    const result = await pki(dir, '--out', 'out', '--client', 'app-a', '--client', 'app.b');
    expect(result.code).toBe(0);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['app-a.crt', 'app-a.key', 'app.b.crt', 'app.b.key', 'ca.crt', 'other-ca.crt', 'server.crt', 'server.key', 'thumbprints.json']);
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'out/thumbprints.json'), 'utf8')))).toEqual(['app-a', 'app.b']);
  });
});

describe('createDevPki: client names', () => {
  it('refuses duplicates (case-insensitive) and reserved names with ERR_DEV_PKI_CLIENT_NAME', async () => {
    for (const clients of [['a', 'A'], ['other-ca'], [''], ['x'.repeat(65)], ['-dash']]) {
      await expect(createDevPki({ clients })).rejects.toMatchObject({ name: 'DevPkiError', code: 'ERR_DEV_PKI_CLIENT_NAME', field: 'clients' });
    }
    await expect(createDevPki({ clients: ['../x'] })).rejects.toBeInstanceOf(DevPkiError);
  });
});
