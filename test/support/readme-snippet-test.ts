/** The README check every framework adapter shares: its "## Example" snippet is examples/server.ts, and it runs. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild, stopAllChildren, tsxArgs, type ChildServer } from './child.js';
import { AUDIENCE, ISSUER, createAuthFixture, type AuthFixture } from './fixture.js';
import { rawHttpsRequest } from './mtls.js';
import { readmeSnippet } from './readme.js';

export interface ReadmeSnippetTestOptions {
  /** The adapter package's folder, e.g. `new URL('..', import.meta.url)` from its test file. */
  readonly packageDir: URL;
  /** The protected route the snippet serves (`/` for koa, `/orders` for express and fastify). */
  readonly path: string;
  /** Added to the child's environment (e.g. the tsconfig tsx must read for decorators). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SnippetServerTestOptions {
  /** The protected route the snippet serves. */
  readonly path: string;
  /** How to start the snippet: Node's arguments and the working folder (called once the fixture exists). */
  readonly command: () => { readonly args: readonly string[]; readonly cwd: string };
  /** Added to the child's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Register the behaviour tests of one example server (a README snippet, run from source or from an installed
 * tarball): started as a child process against a real JWKS and dev-pki certificates, it accepts a bound token,
 * refuses it from another certificate and answers a missing scope with 403. Call it inside a `describe`.
 */
export function registerSnippetServerTests(options: SnippetServerTestOptions): void {
  const path = options.path;
  let fixture: AuthFixture;
  let child: ChildServer;

  beforeAll(async () => {
    fixture = await createAuthFixture();
    const { args, cwd } = options.command();
    child = await startChild({
      args: [...args],
      cwd,
      env: {
        ISSUER,
        AUDIENCE,
        JWKS_URI: fixture.jwks.url,
        JWKS_CA: fixture.files.caCert,
        TLS_CERT: fixture.files.serverCert,
        TLS_KEY: fixture.files.serverKey,
        PORT: '0',
        ...options.env,
      },
      ready: (line) => /^listening on (https:\/\/\S+)$/.exec(line)?.[1] ?? null,
    });
  });

  afterAll(async () => {
    await child?.stop();
    await stopAllChildren();
    await fixture?.close();
  });

  it('RFC 8705 §3: the snippet accepts a bound token over mTLS and answers with the thumbprint', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await rawHttpsRequest(child.url, fixture.tls('client-a'), { path, headers: [['Authorization', `mtls_pop ${token}`]] });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ subject: fixture.issuer.claims(null)['sub'], thumbprint: fixture.thumbprint('client-a') });
  });

  it('docs/security.md rule 5: the snippet refuses the same token from another certificate', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a') });
    const response = await rawHttpsRequest(child.url, fixture.tls('client-b'), { path, headers: [['Authorization', `Bearer ${token}`]] });
    expect(response.status).toBe(401);
    expect(response.header('www-authenticate')[0]).toMatch(/error="invalid_token"/);
  });

  it('RFC 6750 §3.1: the snippet\'s scope guard answers 403 insufficient_scope', async () => {
    const token = fixture.issuer.mint({ thumbprint: fixture.thumbprint('client-a'), claims: { scp: 'profile' } });
    const response = await rawHttpsRequest(child.url, fixture.tls('client-a'), { path, headers: [['Authorization', `Bearer ${token}`]] });
    expect(response.status).toBe(403);
    expect(response.header('www-authenticate')[0]).toMatch(/error="insufficient_scope".*scope="api\.read"/);
  });
}

/**
 * Register the README tests for one adapter package: the README shows `examples/server.ts` verbatim, and that file,
 * run from the workspace sources, behaves as `registerSnippetServerTests` describes. Call it at the top level.
 */
export function registerReadmeSnippetTests(options: ReadmeSnippetTestOptions): void {
  const packageDir = fileURLToPath(options.packageDir);
  const snippetFile = `${packageDir}examples/server.ts`;

  describe('README: the example is the code that runs', () => {
    it('the README shows examples/server.ts verbatim', () => {
      expect(readmeSnippet(`${packageDir}README.md`, '## Example')).toBe(readFileSync(snippetFile, 'utf8'));
    });
    registerSnippetServerTests({ path: options.path, command: () => ({ args: tsxArgs(snippetFile), cwd: packageDir }), ...(options.env === undefined ? {} : { env: options.env }) });
  });
}
