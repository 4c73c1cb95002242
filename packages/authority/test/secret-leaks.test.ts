// docs/security.md rule 9 and 11: the authority's errors and log lines carry no secret, whatever shape it came in.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createPrivateKey } from 'node:crypto';
import { connect } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { writeDevPki } from '@certbound/dev-pki';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthority } from '../src/index.js';
import { readAuthorityFile } from '../src/lib/config-file.js';
import { APPS, API, JWT_BEARER, TENANT, createCertificates, registry, type Certificates } from './support.js';

const ADMIN_TOKEN = 'leak-test-admin-token-0123456789abcdefghij';
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let certs: Certificates;
let dir: string;
let serverKeyDer: Buffer;

beforeAll(async () => {
  certs = await createCertificates();
  // The folder's name shares no 6-character piece with ADMIN_TOKEN (a "leak-" prefix plus a random "t…" did).
  dir = await mkdtemp(join(tmpdir(), 'certbound-authority-secrets-'));
  await writeDevPki(certs.pki, join(dir, 'pki'));
  serverKeyDer = createPrivateKey(certs.pki.server.key).export({ type: 'pkcs8', format: 'der' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every `size`-character piece of each secret, raw and in base64, base64url and hex. */
function piecesOf(secrets: (string | Buffer)[], size = 20): string[] {
  const pieces = new Set<string>();
  for (const secret of secrets) {
    const bytes = Buffer.isBuffer(secret) ? secret : Buffer.from(secret);
    const forms = [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
    if (!Buffer.isBuffer(secret)) forms.push(secret);
    for (const form of forms) for (let i = 0; i + size <= form.length; i++) pieces.add(form.slice(i, i + size));
  }
  return [...pieces];
}

/** Message, stack and inspect output of an error and of every error in its cause chain or AggregateError. */
function textsOf(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || error === undefined || seen.has(error)) return [];
  seen.add(error);
  const texts = [String(error), inspect(error, { depth: 20, showHidden: true })];
  if (error instanceof Error) {
    texts.push(error.message, error.stack ?? '', ...textsOf(error.cause, seen));
    if (error instanceof AggregateError) for (const member of error.errors) texts.push(...textsOf(member, seen));
  }
  return texts;
}

function leaked(texts: string[], pieces: string[]): string[] {
  return pieces.filter((piece) => texts.some((text) => text.includes(piece)));
}

describe('no secret in startup errors', () => {
  const envText = (pem: string) => pem.replaceAll('\n', '\\n');
  it.each([
    ['a truncated PEM key', () => certs.pki.server.key.slice(0, 120)],
    ['an env-var PEM key with literal \\n', () => envText(certs.pki.server.key)],
    ['a PEM key with a corrupted body', () => certs.pki.server.key.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!')],
    ['a base64 DER key without armour', () => serverKeyDer.toString('base64')],
    ['the key of another certificate', () => certs.a.key],
  ])('tls.key as %s', async (_label, key) => {
    const error = await startAuthority({ tls: { cert: certs.pki.server.cert, key: key() }, config: registry(certs) }).then(
      async (running) => {
        await running.close();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect(leaked(textsOf(error), piecesOf([serverKeyDer, certs.a.key]))).toEqual([]);
  });

  it('a configuration file that is not JSON: the admin token near the fault is not quoted', async () => {
    const path = join(dir, 'broken.json');
    // Unquoted: V8's message quotes about ten characters around the fault, which is the token's first ones.
    await writeFile(path, `{"admin": {"token": ${ADMIN_TOKEN}}}`);
    const error = await readAuthorityFile(path).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_AUTHORITY_CONFIG' });
    expect((error as Error).message).toContain('is not valid JSON');
    expect(leaked(textsOf(error), piecesOf([ADMIN_TOKEN], 6))).toEqual([]);
  });
});

describe('no secret in log lines', () => {
  it('hostile requests with tokens, assertions and a near-miss admin token leave no piece of them in the debug log', async () => {
    const configPath = join(dir, 'leak.json');
    await writeFile(
      configPath,
      JSON.stringify({
        tls: { cert: 'pki/server.crt', key: 'pki/server.key' },
        trustedClientCas: ['pki/ca.crt'],
        log: { level: 'debug' },
        admin: { token: ADMIN_TOKEN },
        ...registry(certs),
      }),
    );
    const env = { ...process.env };
    delete env['CERTBOUND_AUTHORITY_ADMIN_TOKEN'];
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--config', configPath], { cwd: repoRoot, env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const agents: Agent[] = [];
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = (JSON.parse(line.toString().split('\n')[0]!) as { url: string }).url;
      const agent = (withCertificate: boolean) => {
        const created = new Agent({ connect: { ca: certs.pki.ca.cert, ...(withCertificate ? { cert: certs.a.cert, key: certs.a.key } : {}) } });
        agents.push(created);
        return created;
      };
      const post = async (body: Record<string, string>, withCertificate: boolean) => {
        const response = await request(`${url}/${TENANT}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body).toString(),
          dispatcher: agent(withCertificate),
        });
        return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
      };
      const issued = await post({ grant_type: 'client_credentials', client_id: APPS.vanilla.clientId, scope: 'api://AzureADTokenExchange/.default', token_type: 'mtls_pop' }, true);
      expect(issued.status).toBe(200);
      const leg1 = issued.json['access_token'] as string;
      // A real Leg 1 token sent where it must be refused: jwt-bearer without its certificate, and to an app that does not trust it.
      expect((await post({ grant_type: 'client_credentials', client_id: APPS.leg2.clientId, scope: `${API}/.default`, client_assertion_type: JWT_BEARER, client_assertion: leg1 }, false)).status).toBe(401);
      expect((await post({ grant_type: 'client_credentials', client_id: APPS.pem.clientId, scope: `${API}/.default`, client_assertion_type: JWT_BEARER, client_assertion: `${leg1}x` }, false)).status).toBe(401);
      // A client secret (never accepted) and the server's own key pasted into a parameter.
      expect((await post({ grant_type: 'client_credentials', client_id: APPS.vanilla.clientId, scope: `${API}/.default`, client_secret: serverKeyDer.toString('base64') }, false)).status).toBe(401);
      // An admin token that differs only in its last characters.
      const admin = await request(`${url}/admin/rotate-signing-key`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -4)}zzzz` }, dispatcher: agent(false) });
      expect(admin.statusCode).toBe(401);
      await admin.body.text();
      // A TLS handshake that fails (the debug log records it).
      const [host, port] = url.slice('https://'.length).split(':') as [string, string];
      await new Promise<void>((resolve) => {
        const socket = connect({ host, port: Number(port), rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
        socket.on('error', () => resolve());
        socket.on('secureConnect', () => {
          socket.destroy();
          resolve();
        });
      });
      const issuedLine = stderr.split('\n').find((text) => text.includes('token_issued'));
      expect(issuedLine).toBeDefined();
      expect(stderr).toContain('token_refused');
      expect(leaked([stderr], piecesOf([ADMIN_TOKEN, leg1, serverKeyDer, certs.pki.server.key]))).toEqual([]);
    } finally {
      await Promise.all(agents.map((created) => created.close()));
      const exited = once(child, 'close');
      child.kill('SIGTERM');
      await exited;
    }
  });
});
