import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { assertKnownKeys } from './lib/known-options.js';

/**
 * Where a {@link TokenCache} keeps its entries. Values are JSON text holding an access token, its lifetime, scopes
 * and the thumbprint of the certificate it is bound to; never a private key, passphrase, secret or assertion.
 * Keys pin environment, tenant, client id, token type and certificate thumbprint, so a store shared by several
 * processes only ever gives a process tokens bound to a certificate it presents itself.
 */
export interface TokenStore {
  /** The value stored under `key`, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Store `value` under `key` until `expiresAt` (epoch ms); the store may drop it earlier, never keep it later. */
  set(key: string, value: string, expiresAt: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Scope-index entries of the cache: tiny, expiring, not counted against `maxEntries`. */
const isIndexKey = (key: string) => key.endsWith(':index');

/** Options of {@link InMemoryTokenStore}. */
export interface InMemoryTokenStoreOptions {
  /** Largest number of tokens kept; the least recently used goes first. Default 1000. */
  maxEntries?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The default store: a bounded LRU map in this process. */
export class InMemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: InMemoryTokenStoreOptions = {}) {
    assertKnownKeys(options, ['maxEntries', 'now'], 'InMemoryTokenStore option');
    const maxEntries = options.maxEntries ?? 1000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Tokens held (index entries excluded). */
  get tokenCount(): number {
    let count = 0;
    for (const key of this.#entries.keys()) if (!isIndexKey(key)) count++;
    return count;
  }

  clear(): void {
    this.#entries.clear();
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, expiresAt: number): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    if (this.tokenCount <= this.#maxEntries) return;
    const now = this.#now();
    for (const [candidate, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(candidate);
    for (const candidate of this.#entries.keys()) {
      if (this.tokenCount <= this.#maxEntries) break;
      if (!isIndexKey(candidate)) this.#entries.delete(candidate);
    }
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The JSON file holding the entries; created with mode 0600 (its directory with 0700 when missing). */
  path: string;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
}

type FileEntries = Record<string, { value: string; expiresAt: number }>;

/** Largest store file read, bytes: a bigger file is not a token cache this client wrote. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A store in one JSON file, for tokens that survive a restart and processes on one machine sharing them. Every write
 * goes to a new 0600 temporary file in the same directory, renamed over the old one: a reader sees the old file or
 * the new one, never half of one. Concurrent writers from several processes may lose an entry (the next acquisition
 * fetches it again); they never corrupt the file.
 */
export class FileTokenStore implements TokenStore {
  readonly #path: string;
  readonly #now: () => number;
  /** Writes from this process run one after another. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileTokenStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('FileTokenStore needs { path }');
    assertKnownKeys(options, ['path', 'now'], 'FileTokenStore option');
    if (typeof options.path !== 'string' || options.path === '') throw new TypeError('FileTokenStore path must be a non-empty string');
    this.#path = options.path;
    this.#now = options.now ?? Date.now;
  }

  async #load(): Promise<FileEntries> {
    let text: string;
    let handle;
    try {
      handle = await open(this.#path, 'r');
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const info = await handle.stat();
      // Tokens are only taken from a file that only this user could have written: another user's or a group- or
      // world-writable file is ignored (and replaced by the next write).
      const foreign = typeof process.getuid === 'function' && info.uid !== process.getuid();
      if (foreign || (info.mode & 0o022) !== 0 || info.size > MAX_FILE_BYTES) return {};
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A damaged file is a cache miss, rewritten by the next store.
      return {};
    }
    const entries: FileEntries = {};
    const raw = (parsed as { entries?: unknown } | null)?.entries;
    if (typeof raw !== 'object' || raw === null) return entries;
    const now = this.#now();
    for (const [key, entry] of Object.entries(raw as Record<string, unknown>)) {
      const { value, expiresAt } = (entry ?? {}) as { value?: unknown; expiresAt?: unknown };
      if (typeof value === 'string' && typeof expiresAt === 'number' && expiresAt > now) entries[key] = { value, expiresAt };
    }
    return entries;
  }

  async #write(entries: FileEntries): Promise<void> {
    const directory = dirname(this.#path);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const temporary = join(directory, `.${basename(this.#path)}.${randomBytes(8).toString('hex')}.tmp`);
    // 'wx' with mode 0600: a new file only this user can read, never one planted in advance.
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ version: 1, entries }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(temporary, 0o600);
      await rename(temporary, this.#path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  #update(change: (entries: FileEntries) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const entries = await this.#load();
      change(entries);
      await this.#write(entries);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#load())[key]?.value;
  }

  set(key: string, value: string, expiresAt: number): Promise<void> {
    return this.#update((entries) => {
      entries[key] = { value, expiresAt };
    });
  }

  delete(key: string): Promise<void> {
    return this.#update((entries) => {
      delete entries[key];
    });
  }
}

/**
 * The part of a Redis client this store uses: node-redis v4/v5 (`createClient()` from the `redis` package) has it.
 * With ioredis, pass `{ get: (k) => r.get(k), set: (k, v, o) => r.set(k, v, 'PX', o.PX), del: (k) => r.del(k) }`.
 */
export interface RedisClientLike {
  get(key: string): Promise<string | null | undefined | object>;
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** A connected client (the caller owns it: connects, authenticates over TLS if needed, and quits it). */
  client: RedisClientLike;
  /** Prefix of every key. Default `certbound:tokens:`. */
  prefix?: string;
  /** Clock in epoch ms (expiries are sent as time to live). Default `Date.now`. */
  now?: () => number;
}

/**
 * A store in Redis, shared by every instance of a service: one token acquisition serves all instances presenting
 * the same certificate; an instance with another certificate has other keys and never sees those tokens. Redis
 * expires each entry with the token (`PX`).
 */
export class RedisTokenStore implements TokenStore {
  readonly #client: RedisClientLike;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(options: RedisTokenStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('RedisTokenStore needs { client }');
    assertKnownKeys(options, ['client', 'prefix', 'now'], 'RedisTokenStore option');
    const client = options.client as Partial<RedisClientLike> | undefined;
    if (typeof client?.get !== 'function' || typeof client.set !== 'function' || typeof client.del !== 'function') {
      throw new TypeError('RedisTokenStore client must have get, set and del (a node-redis client)');
    }
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'certbound:tokens:';
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#client.get(this.#prefix + key);
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, expiresAt: number): Promise<void> {
    const ttl = Math.floor(expiresAt - this.#now());
    if (ttl < 1) return;
    await this.#client.set(this.#prefix + key, value, { PX: ttl });
  }

  async delete(key: string): Promise<void> {
    await this.#client.del(this.#prefix + key);
  }
}
