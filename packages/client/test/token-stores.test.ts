import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileTokenStore, RedisTokenStore, TokenCache, type ConfidentialClient, type TokenStore } from '../src/index.js';
import { GRAPH, pem, startWireFixture, type WireFixture } from './support/fixtures.js';
import { skipRedis, startRedis, type RunningRedis } from './support/redis-server.js';

let fx: WireFixture;
let directory: string;
beforeAll(async () => {
  fx = await startWireFixture();
  directory = await mkdtemp(join(tmpdir(), 'certbound-store-'));
});
afterAll(async () => {
  await fx.close();
  await rm(directory, { recursive: true, force: true });
});

const pop = { scopes: [GRAPH], mtlsProofOfPossession: true } as const;

/** A client on its own cache over `store`: one "instance" or one "process lifetime". */
function instance(store: TokenStore, who: 'client-a' | 'client-b' = 'client-a'): ConfidentialClient {
  return fx.client({ credential: pem(fx.pki.clients[who]!), tokenCache: new TokenCache({ store }) });
}

/** Neither private key of the test PKI, in PEM or as its base64 body, appears in `text`. */
function expectNoKeys(text: string): void {
  expect(text).not.toContain('PRIVATE KEY');
  for (const name of ['client-a', 'client-b'] as const) {
    const body = fx.pki.clients[name]!.key.replace(/-----[^-]+-----|\s/g, '');
    expect(text).not.toContain(body.slice(0, 40));
  }
}

describe('FileTokenStore: tokens survive a restart, in a 0600 file written atomically, without keys', () => {
  it('a new client over the same file is served from it; the file is 0600 and holds no private key', async () => {
    const path = join(directory, 'restart', 'tokens.json');
    const before = fx.mtls.requests.length;
    const first = await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    const afterRestart = await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    expect(afterRestart.source).toBe('cache');
    expect(afterRestart.accessToken).toBe(first.accessToken);
    expect(afterRestart.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    expect(fx.mtls.requests.length - before).toBe(1);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(directory, 'restart'))).mode & 0o777).toBe(0o700);
    // Renamed into place: no temporary file is left behind.
    expect(await readdir(join(directory, 'restart'))).toEqual(['tokens.json']);
    const text = await readFile(path, 'utf8');
    expect(text).toContain(fx.pki.clients['client-a']!.thumbprint);
    expectNoKeys(text);
  });

  it('an instance with another certificate never receives the token, even if an entry is moved under its key', async () => {
    const path = join(directory, 'shared.json');
    const a = await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    const bClient = instance(new FileTokenStore({ path }), 'client-b');
    const b = await bClient.acquireTokenForClient(pop);
    expect(b.source).toBe('network');
    expect(b.accessToken).not.toBe(a.accessToken);
    expect(b.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    // Tamper: put client-a's entry under client-b's key. The thumbprint inside it does not match: not served.
    const file = JSON.parse(await readFile(path, 'utf8')) as { entries: Record<string, { value: string; expiresAt: number }> };
    const entries = Object.entries(file.entries).filter(([key]) => !key.endsWith(':index'));
    const aEntry = entries.find(([, entry]) => entry.value.includes(fx.pki.clients['client-a']!.thumbprint))!;
    const bKey = entries.find(([, entry]) => entry.value.includes(fx.pki.clients['client-b']!.thumbprint))![0];
    file.entries[bKey] = aEntry[1];
    await writeFile(path, JSON.stringify(file));
    const again = await bClient.acquireTokenForClient(pop);
    expect(again.source).toBe('network');
    expect(again.accessToken).not.toBe(a.accessToken);
  });

  it('a damaged file is a miss, not an error, and is rewritten', async () => {
    const path = join(directory, 'damaged.json');
    await writeFile(path, '{"version":1,"entries":', { mode: 0o600 });
    const result = await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    expect(result.source).toBe('network');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1 });
  });

  it('a group- or world-writable file is not trusted: its entries are ignored and it is replaced 0600', async () => {
    const path = join(directory, 'loose.json');
    await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    await chmod(path, 0o666);
    const again = await instance(new FileTokenStore({ path })).acquireTokenForClient(pop);
    expect(again.source).toBe('network');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses unknown options and a missing path', () => {
    expect(() => new FileTokenStore({ path: join(directory, 'x'), mode: 0o644 } as never)).toThrow(/Unknown FileTokenStore option "mode"/);
    expect(() => new FileTokenStore({} as never)).toThrow(TypeError);
  });
});

describe.skipIf(skipRedis)('RedisTokenStore against a real redis-server on loopback', () => {
  let redis: RunningRedis;
  let connection: ReturnType<typeof createClient>;
  beforeAll(async () => {
    redis = await startRedis();
    connection = createClient({ url: redis.url });
    await connection.connect();
  });
  afterAll(async () => {
    await connection?.quit();
    await redis?.stop();
  });

  it('instances sharing the certificate share one token; Redis expires it with the token', async () => {
    const before = fx.mtls.requests.length;
    const one = await instance(new RedisTokenStore({ client: connection })).acquireTokenForClient(pop);
    const two = await instance(new RedisTokenStore({ client: connection })).acquireTokenForClient(pop);
    expect(one.source).toBe('network');
    expect(two.source).toBe('cache');
    expect(two.accessToken).toBe(one.accessToken);
    expect(fx.mtls.requests.length - before).toBe(1);
    const keys = await connection.keys('certbound:tokens:*');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      const ttl = await connection.pTTL(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(86_400_000);
      expectNoKeys((await connection.get(key)) ?? '');
    }
    const tokenKey = keys.find((key) => !key.endsWith(':index'))!;
    expect(await connection.pTTL(tokenKey)).toBeLessThanOrEqual(3_600_000);
  });

  it('an instance with another certificate gets its own token, bound to its own certificate', async () => {
    const a = await instance(new RedisTokenStore({ client: connection, prefix: 'iso:' })).acquireTokenForClient(pop);
    const b = await instance(new RedisTokenStore({ client: connection, prefix: 'iso:' }), 'client-b').acquireTokenForClient(pop);
    expect(b.source).toBe('network');
    expect(b.accessToken).not.toBe(a.accessToken);
    expect(b.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    expect(fx.mtls.requests.at(-1)?.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
  });

  it('an unreachable Redis costs a token request, not the acquisition', async () => {
    const broken = createClient({ url: redis.url });
    await broken.connect();
    await broken.quit();
    const events: string[] = [];
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), tokenCache: new TokenCache({ store: new RedisTokenStore({ client: broken }) }), logger: (event) => events.push(event.type) });
    expect((await client.acquireTokenForClient(pop)).source).toBe('network');
    expect(events).toContain('cache-error');
  });
});
