/**
 * A stranger's install, on every run: pack every package from the working tree, install the tarballs with plain npm
 * into an empty project, then use them with plain node, npx and tsc — as the README's install lines promise.
 *
 * Needs npm and the npm registry (for express, fastify, koa, hono, the Nest packages and TypeScript). Under CI=true nothing here is skipped;
 * locally CERTBOUND_SKIP_PACKAGING=1 skips the suite and says so.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSnippetServerTests } from '../support/readme-snippet-test.js';
import { readmeSnippet } from '../support/readme.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const PACKAGES = ['core', 'koa', 'express', 'fastify', 'hono', 'nestjs', 'gateway', 'client', 'authority', 'dev-pki'] as const;
const ADAPTERS = ['koa', 'express', 'fastify', 'hono', 'nestjs'] as const;
const CLIS = { 'certbound-gateway': /^usage: certbound-gateway /, 'certbound-authority': /^usage: certbound-authority /, 'certbound-pki': /^usage: certbound-pki / };
/** The route each adapter's README example protects. */
const EXAMPLE_PATH = { koa: '/', express: '/orders', fastify: '/orders', hono: '/orders', nestjs: '/orders' } as const;
/** Compiler options an adapter's README example needs beyond the strict consumer's: Nest's decorators. */
const EXAMPLE_COMPILER_OPTIONS: Partial<Record<(typeof ADAPTERS)[number], Record<string, unknown>>> = { nestjs: { experimentalDecorators: true } };
/** What a Nest application installs beside @certbound/nestjs (its peers, and the platform the README example uses). */
const NEST_PACKAGES = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'] as const;

const optedOut = process.env['CI'] !== 'true' && process.env['CERTBOUND_SKIP_PACKAGING'] === '1';
if (optedOut) process.stderr.write('test/packaging: skipped because CERTBOUND_SKIP_PACKAGING=1 (never skipped under CI=true)\n');

const work = mkdtempSync(join(tmpdir(), 'certbound-packaging-'));
const install = ['install', '--no-audit', '--no-fund', '--loglevel=error'] as const;
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');

/** Run a command to completion; on failure the error carries its output, so the test says what went wrong. */
async function sh(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${options.cwd}) failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, { cause: error });
  }
}

/** The environment of a stranger's shell: no workspace hints from the pnpm run that started vitest. */
function strangerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_|INIT_CWD$|NODE_OPTIONS$)/i.test(name)) env[name] = value;
  return env;
}

function tarballOf(name: string): string {
  const file = readdirSync(tarballs).find((entry) => entry.startsWith(`certbound-${name}-`) && entry.endsWith('.tgz'));
  if (!file) throw new Error(`no tarball for @certbound/${name} in ${tarballs}`);
  return join(tarballs, file);
}

describe.skipIf(optedOut)('packaging: the tarballs a user installs', () => {
  beforeAll(async () => {
    // The same command the README gives; each package's prepack builds it and drops outputs of deleted sources.
    await sh('pnpm', ['-r', '--workspace-concurrency=1', '--filter', './packages/**', 'pack', '--pack-destination', tarballs], { cwd: root, timeoutMs: 300_000 });
    mkdirSync(app);
    const env = strangerEnv();
    await sh('npm', ['init', '-y'], { cwd: app, env });
    await sh('npm', [...install, ...PACKAGES.map(tarballOf), 'express', 'fastify', 'koa', 'hono', '@hono/node-server', ...NEST_PACKAGES], { cwd: app, env, timeoutMs: 300_000 });
    // For the strict type check: TypeScript and the framework types a consumer adds. content-disposition@1 at the top
    // keeps @types/koa on its own typings (express 5.3 would otherwise hoist v2, whose bundled types it cannot read).
    await sh('npm', [...install, 'typescript@~5.9.3', '@types/node@^20.19', '@types/express@^5', '@types/koa@^3', 'content-disposition@^1'], { cwd: app, env, timeoutMs: 300_000 });
  }, 600_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  describe.each(PACKAGES)('@certbound/%s tarball', (name) => {
    it('holds compiled JavaScript, declarations, README, LICENSE and CHANGELOG — no sources, no tests', async () => {
      const { stdout } = await sh('tar', ['-tzf', tarballOf(name)], { cwd: work });
      const files = stdout.trim().split('\n').map((line) => line.replace(/^package\//, ''));
      expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']));
      const unwanted = files.filter((file) => /(^|\/)test\//.test(file) || /\.test\./.test(file) || (/\.(ts|mts|cts|tsx)$/.test(file) && !/\.d\.ts$/.test(file)) || /tsbuildinfo$/.test(file));
      expect(unwanted).toEqual([]);
    });

    it('declares only compiled entry points, no workspace protocol and a truthful engines range', async () => {
      const { stdout } = await sh('tar', ['-xzOf', tarballOf(name), 'package/package.json'], { cwd: work });
      const manifest = JSON.parse(stdout) as Record<string, unknown>;
      expect(stdout).not.toMatch(/workspace:|certbound-source/);
      const targets = JSON.stringify([manifest['exports'], manifest['bin'] ?? {}]);
      expect(targets.match(/"[^"]*\.ts"/g)?.filter((target) => !target.endsWith('.d.ts"')) ?? []).toEqual([]);
      expect(manifest['engines']).toEqual({ node: '>=20.19' });
      expect(manifest).toMatchObject({ license: 'MIT', type: 'module', repository: { directory: `packages/${name}` } });
      for (const field of ['homepage', 'bugs', 'keywords', 'sideEffects']) expect(manifest).toHaveProperty(field);
    });

    it('publint reports nothing', async () => {
      const { stdout } = await sh(join(root, 'node_modules/.bin/publint'), ['run', tarballOf(name), '--level', 'suggestion'], { cwd: work });
      expect(stdout).toMatch(/All good!/);
    });

    it('are-the-types-wrong (ESM-only profile) finds no problem', async () => {
      // attw exits non-zero when a resolution the profile covers has a problem (sh() then throws with its report).
      const { stdout } = await sh(join(root, 'node_modules/.bin/attw'), [tarballOf(name), '--profile', 'esm-only', '--format', 'ascii', '--no-color'], { cwd: work });
      expect(stdout).toContain(`@certbound/${name} v`);
    });

    it('imports with plain node (ESM)', async () => {
      const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', `const m = await import('@certbound/${name}'); console.log(Object.keys(m).length);`], { cwd: app, env: strangerEnv() });
      expect(Number(stdout.trim())).toBeGreaterThan(0);
    });
  });

  it.each(['core', ...ADAPTERS])('a CommonJS app can require() @certbound/%s (Node ≥ 20.19)', async (name) => {
    const { stdout } = await sh(process.execPath, ['-e', `const m = require('@certbound/${name}'); console.log(Object.keys(m).join(','));`], { cwd: app, env: strangerEnv() });
    expect(stdout).toMatch(name === 'core' ? /createVerifier/ : name === 'nestjs' ? /CertboundGuard/ : /certbound/);
  });

  it('leaves the optional peer @opentelemetry/api uninstalled, and core and client work without it', async () => {
    // An app of its own: the gateway's prom-client depends on @opentelemetry/api, so the main app has it. npm installs
    // no optional peer (peerDependenciesMeta), so this app is one that never asked for it.
    const bare = join(work, 'bare-app');
    mkdirSync(bare);
    await sh('npm', ['init', '-y'], { cwd: bare, env: strangerEnv() });
    await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballOf('core'), tarballOf('client')], { cwd: bare, env: strangerEnv(), timeoutMs: 300_000 });
    expect(existsSync(join(bare, 'node_modules/@opentelemetry/api'))).toBe(false);
    const script = `
      const { createVerifier, staticKeys } = await import('@certbound/core');
      const { createConfidentialClient } = await import('@certbound/client');
      const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k' };
      const verifier = createVerifier({ issuer: 'https://issuer.example', audience: 'api://x', algorithms: ['ES256'], keys: staticKeys({ keys: [jwk] }) });
      const result = await verifier.verifyRequest({ headers: {} });
      const client = createConfidentialClient({ clientId: 'app', authority: 'https://login.microsoftonline.com/contoso.com', credential: { clientSecret: 's' } });
      const error = await client.acquireTokenForClient({ scopes: ['api://x/.default'], mtlsProofOfPossession: true }).catch((e) => e);
      await Promise.all([verifier.close(), client.close()]);
      console.log(JSON.stringify([result.code, error.code]));`;
    const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', script], { cwd: bare, env: strangerEnv() });
    expect(JSON.parse(stdout)).toEqual(['ERR_NO_CREDENTIALS', 'ERR_CLIENT_CERTIFICATE_REQUIRED']);
  }, 300_000);

  it.each(Object.entries(CLIS))('npx %s --help prints its usage', async (cli, usage) => {
    const { stdout } = await sh('npx', ['--no-install', cli, '--help'], { cwd: app, env: strangerEnv() });
    expect(stdout).toMatch(usage);
  });

  it('the published types compile in a strict consumer with default libs and skipLibCheck off', async () => {
    mkdirSync(join(app, 'typecheck'), { recursive: true });
    writeFileSync(
      join(app, 'typecheck/consumer.ts'),
      PACKAGES.map((name) => `import * as ${camel(name)} from '@certbound/${name}';\n`).join('') +
        `export const entryPoints: readonly object[] = [${PACKAGES.map(camel).join(', ')}];\n`,
    );
    writeFileSync(join(app, 'typecheck/tsconfig.json'), JSON.stringify(strictConsumer({ noEmit: true }, ['consumer.ts'])));
    await sh(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'typecheck'], { cwd: app });
  }, 120_000);

  it('the @certbound/core README example compiles as written against the installed tarball', async () => {
    // It serves Entra's real JWKS on a fixed port, so here it is type-checked rather than run; the adapters' run below.
    mkdirSync(join(app, 'core-example'), { recursive: true });
    writeFileSync(join(app, 'core-example/package.json'), JSON.stringify({ private: true, type: 'module' }));
    writeFileSync(join(app, 'core-example/server.ts'), readmeSnippet(join(root, 'packages/core/README.md'), '## Example: a protected `node:https` API'));
    writeFileSync(join(app, 'core-example/tsconfig.json'), JSON.stringify(strictConsumer({ noEmit: true }, ['server.ts'])));
    await sh(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'core-example'], { cwd: app });
  }, 120_000);

  // Each adapter's README example, compiled by the consumer's own tsc and run with plain node against the installed
  // tarballs: a bound token over mTLS is accepted, the same token from another certificate refused.
  describe.each(ADAPTERS)('the @certbound/%s README example, installed from its tarball', (name) => {
    const outDir = join(app, `example-${name}`);
    beforeAll(async () => {
      mkdirSync(join(outDir, 'src'), { recursive: true });
      copyFileSync(join(root, `packages/${name}/examples/server.ts`), join(outDir, 'src/server.ts'));
      writeFileSync(join(outDir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify(strictConsumer({ outDir: 'dist', ...EXAMPLE_COMPILER_OPTIONS[name] }, ['src/server.ts'])));
      await sh(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', outDir], { cwd: app });
    }, 120_000);
    registerSnippetServerTests({ path: EXAMPLE_PATH[name], command: () => ({ args: [join(outDir, 'dist/server.js')], cwd: outDir }) });
  });

  // The peer range says Nest 11 too (the workspace tests run Nest 12): the same README example, on Nest 11's packages.
  describe('the @certbound/nestjs README example on Nest 11, installed from its tarball', () => {
    const dir = join(work, 'nest11');
    beforeAll(async () => {
      mkdirSync(join(dir, 'src'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      const nest11 = ['@nestjs/common@^11', '@nestjs/core@^11', '@nestjs/platform-express@^11', 'reflect-metadata', 'rxjs', 'typescript@~5.9.3', '@types/node@^20.19'];
      await sh('npm', [...install, tarballOf('core'), tarballOf('nestjs'), ...nest11], { cwd: dir, env: strangerEnv(), timeoutMs: 300_000 });
      const { stdout } = await sh(process.execPath, ['-p', "require('@nestjs/core/package.json').version"], { cwd: dir });
      expect(stdout.trim()).toMatch(/^11\./);
      copyFileSync(join(root, 'packages/nestjs/examples/server.ts'), join(dir, 'src/server.ts'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(strictConsumer({ outDir: 'dist', ...EXAMPLE_COMPILER_OPTIONS.nestjs }, ['src/server.ts'])));
      await sh(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
    }, 420_000);
    registerSnippetServerTests({ path: EXAMPLE_PATH.nestjs, command: () => ({ args: [join(dir, 'dist/server.js')], cwd: dir }) });
  });

  it('the README example of each adapter is the file this suite compiles', () => {
    for (const name of ADAPTERS) expect(readFileSync(join(root, `packages/${name}/README.md`), 'utf8')).toContain(readFileSync(join(root, `packages/${name}/examples/server.ts`), 'utf8'));
  });
});

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase());
}

/** A strict consumer project: the default DOM lib, library checking on, Node's own module resolution. */
function strictConsumer(extra: Record<string, unknown>, files: readonly string[]): object {
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      types: ['node'],
      ...extra,
    },
    files,
  };
}
