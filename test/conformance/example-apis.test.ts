/**
 * The example APIs as docs/configuration.md promises them: started by `pnpm --dir examples/X start`, by
 * `--config` or by `CERTBOUND_CONFIG`, one JSON ready line, clean SIGTERM, startup errors naming the field, the TLS client
 * certificate policy, and the programmatic `startServer(config)` the demo and benchmarks import.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type VerifierEvent } from '@certbound/core';
import { startServer as startExpress } from '../../examples/express-api/src/server.js';
import { startServer as startFastify } from '../../examples/fastify-api/src/server.js';
import { startServer as startHono } from '../../examples/hono-api/src/server.js';
import { startServer as startKoa } from '../../examples/koa-api/src/server.js';
import { startServer as startNest } from '../../examples/nestjs-api/src/server.js';
import { CLIENT_ID, createAuthFixture, exampleEnv, mtlsRequest, rawHttpsRequest, startChild, stopAllChildren, tsxArgs, type AuthFixture } from '../support/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = [
  { name: 'koa-api', startServer: startKoa },
  { name: 'express-api', startServer: startExpress },
  { name: 'fastify-api', startServer: startFastify },
  { name: 'hono-api', startServer: startHono },
  { name: 'nestjs-api', startServer: startNest },
] as const;
const READY_LINE = /^\{"ready": true, "url": "https:\/\/127\.0\.0\.1:\d+"\}$/;

let fixture: AuthFixture;
let configFile: string;
let verifyingConfigFile: string;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  fixture = await createAuthFixture();
  configFile = await fixture.writeConfig('certbound.json');
  verifyingConfigFile = await fixture.writeConfig('verifying.json', {
    tls: { cert: 'pki/server.crt', key: 'pki/server.key', verifyClientCertificate: true, ca: 'pki/ca.crt' },
  });
});

afterAll(async () => {
  await stopAllChildren();
  await fixture?.close();
});

describe('examples: `pnpm --dir examples/X start`', () => {
  it('a relative CERTBOUND_CONFIG is read from the directory the command was typed in, not the example\'s folder', async () => {
    // As documented: `CERTBOUND_CONFIG=./certbound.json pnpm --dir examples/koa-api start`, typed where the file is.
    // INIT_CWD is removed so that pnpm sets it afresh, as in a user's shell (pnpm keeps an inherited one).
    const child = await startChild({
      command: 'pnpm',
      args: ['--dir', join(root, 'examples/koa-api'), 'start'],
      cwd: fixture.dir,
      env: { CERTBOUND_CONFIG: './certbound.json', INIT_CWD: undefined },
      processGroup: true,
    });
    try {
      expect(child.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect((await rawHttpsRequest(child.url, fixture.tls('client-a'), { path: '/healthz' })).status).toBe(200);
    } finally {
      await child.stop('SIGTERM');
    }
  });

  it(`docs/configuration.md: with CERTBOUND_CONFIG each of ${EXAMPLES.map((e) => e.name).join(', ')} prints exactly one JSON ready line and serves`, async () => {
    await Promise.all(
      EXAMPLES.map(async ({ name }) => {
        const child = await startChild({ command: 'pnpm', args: ['--dir', `examples/${name}`, 'start'], cwd: root, env: { CERTBOUND_CONFIG: configFile }, processGroup: true });
        try {
          const json = child.stdout.filter((line) => line.startsWith('{'));
          expect(json, name).toHaveLength(1);
          expect(json[0], name).toMatch(READY_LINE);
          const health = await mtlsRequest(`${child.url}/healthz`, fixture.tls('none'));
          expect(health.status, name).toBe(200);
          expect(health.json(), name).toEqual({ status: 'ok' });
          const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-b') });
          const whoami = await mtlsRequest(`${child.url}/whoami`, fixture.tls('client-b'), { headers: { authorization: `mtls_pop ${token}` } });
          expect(whoami.status, name).toBe(200);
          expect(whoami.json(), name).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-b'), scopes: ['api.read'], roles: ['Api.Caller'] });
        } finally {
          // pnpm does not forward SIGTERM: the whole process group gets it, and stop() waits until it is gone.
          await child.stop('SIGTERM');
        }
      }),
    );
  });
});

for (const { name, startServer } of EXAMPLES) {
  describe(`examples/${name}`, () => {
    it('--config PATH; tls.verifyClientCertificate: true refuses other CAs at the handshake; SIGTERM exits 0', async () => {
      const child = await startChild({ args: tsxArgs(`examples/${name}/src/main.ts`, '--config', verifyingConfigFile), cwd: root, env: exampleEnv(name) });
      expect(child.stdout).toEqual([expect.stringMatching(READY_LINE)]);
      await expect(rawHttpsRequest(child.url, fixture.tls('other-ca'), { path: '/healthz' })).rejects.toThrow();
      await expect(rawHttpsRequest(child.url, fixture.tls('none'), { path: '/healthz' })).rejects.toThrow();
      expect((await rawHttpsRequest(child.url, fixture.tls('client-a'), { path: '/healthz' })).status).toBe(200);
      const stopped = await child.stop('SIGTERM');
      expect({ code: stopped.code, signal: stopped.signal, stderr: child.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    });

    it('docs/configuration.md: startup errors — no configuration (exit 2, usage), an unknown field (exit 1, naming it)', async () => {
      const bad = join(fixture.dir, `${name}-bad.json`);
      await writeFile(bad, JSON.stringify({ ...fixture.baseConfig(), certificateSource: { type: 'tls', trustedProxy: ['0.0.0.0/0'] } }));
      const [missing, unknown] = await Promise.all([
        run(tsxArgs(`examples/${name}/src/main.ts`), { CERTBOUND_CONFIG: '', ...exampleEnv(name) }),
        run(tsxArgs(`examples/${name}/src/main.ts`, '--config', bad), exampleEnv(name)),
      ]);
      expect(missing).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/usage: .*--config FILE/) });
      expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/unknown field certificateSource\.trustedProxy/) });
    });

    it('startServer(config) runs in-process, takes verifier option overrides, and closes', async () => {
      const events: VerifierEvent[] = [];
      const server = await startServer(await loadConfig(configFile), { verifierOptions: { onEvent: (event) => events.push(event) } });
      try {
        expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
        const accepted = await rawHttpsRequest(server.url, fixture.tls('client-a'), { path: '/whoami', headers: [['Authorization', `Bearer ${token}`]] });
        expect(accepted.status).toBe(200);
        const refused = await rawHttpsRequest(server.url, fixture.tls('client-b'), { path: '/whoami', headers: [['Authorization', `Bearer ${token}`]] });
        expect(refused.status).toBe(401);
        const decisions = events.filter((event) => event.type !== 'jwks-refresh');
        expect(decisions.map((event) => event.type)).toEqual(['accepted', 'rejected']);
        expect(events.filter((event) => event.type === 'jwks-refresh')).toEqual([expect.objectContaining({ ok: true, keyCount: 2 })]);
        expect(decisions[1]).toMatchObject({ code: 'ERR_BINDING_MISMATCH', thumbprint: fixture.thumbprint('client-b') });
      } finally {
        await server.close();
      }
      await expect(rawHttpsRequest(server.url, fixture.tls('client-a'), { path: '/healthz' })).rejects.toThrow();
    });
  });
}
