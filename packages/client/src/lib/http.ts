import { createSecureContext, rootCertificates, type SecureContext, type SecureContextOptions } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { tlsMaterialOf, type BindingCertificate } from '../binding-certificate.js';
import { CertboundClientError } from '../errors.js';
import { assertKnownKeys } from './known-options.js';
import { safeCause } from './safe-cause.js';
import type { HttpOptions } from '../types.js';

export type HttpSettings = Required<HttpOptions>;

const DEFAULTS: HttpSettings = {
  requestTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
  maxResponseBytes: 262_144,
  // MSAL.NET's STS policy: one retry, one second apart (DefaultRetryPolicy).
  maxAttempts: 2,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 10_000,
  retryOn429: false,
  throttleMaxMs: 3_600_000,
  maxAgents: 16,
};

/** Merge and check HTTP options (`TypeError` at client creation for nonsense values). */
export function httpSettings(options: HttpOptions | undefined): HttpSettings {
  const settings = { ...DEFAULTS };
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('http must be an object');
  assertKnownKeys(options ?? {}, Object.keys(DEFAULTS), 'http option');
  for (const [name, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (name === 'retryOn429') {
      if (typeof value !== 'boolean') throw new TypeError('http.retryOn429 must be a boolean');
      settings.retryOn429 = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`http.${name} must be a finite number >= 0`);
    (settings as unknown as Record<string, number>)[name] = value;
  }
  if (settings.maxAttempts < 1 || !Number.isInteger(settings.maxAttempts)) throw new TypeError('http.maxAttempts must be an integer >= 1');
  if (settings.maxAgents < 1 || !Number.isInteger(settings.maxAgents)) throw new TypeError('http.maxAgents must be an integer >= 1');
  if (settings.maxResponseBytes < 1) throw new TypeError('http.maxResponseBytes must be >= 1');
  if (settings.requestTimeoutMs < 1) throw new TypeError('http.requestTimeoutMs must be >= 1');
  return settings;
}

/**
 * undici agents: one without a client certificate, and one per certificate thumbprint (keep-alive connections are
 * tied to the certificate presented in their handshake, so they can never be shared across certificates).
 * Server certificates are always verified: against Node's roots plus the configured CAs.
 *
 * Each agent gets one `SecureContext`, built when the agent is created and handed to every `tls.connect` through
 * undici's `connect.secureContext`. Passing `ca`/`cert`/`key` instead makes Node build a fresh context for every
 * connection, and parsing Node's ~145 root certificates plus the extra CAs costs ~20 ms of main-thread CPU per
 * handshake. Only the context is shared: `rejectUnauthorized` keeps its default (true) and undici still sets
 * `servername`, so chain and host-name verification are unchanged.
 */
export class AgentPool {
  readonly #settings: HttpSettings;
  readonly #ca: readonly string[] | undefined;
  readonly #byThumbprint = new Map<string, Agent>();
  #plain: Agent | undefined;
  #closed = false;
  #contextsBuilt = 0;

  constructor(settings: HttpSettings, extraCas: readonly string[]) {
    this.#settings = settings;
    // `ca` replaces Node's default trust store, so the roots are listed explicitly to keep public servers trusted.
    this.#ca = extraCas.length === 0 ? undefined : Object.freeze([...rootCertificates, ...extraCas]);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The trust anchors every agent verifies servers against; `undefined` means Node's default roots. */
  get trustedCas(): readonly string[] | undefined {
    return this.#ca;
  }

  /** How many TLS secure contexts this pool has built (one per agent, never one per connection). */
  get contextsBuilt(): number {
    return this.#contextsBuilt;
  }

  #agent(tls: SecureContextOptions): Agent {
    let secureContext: SecureContext;
    try {
      secureContext = createSecureContext(this.#ca === undefined ? tls : { ...tls, ca: [...this.#ca] });
    } catch (cause) {
      throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', 'The TLS credentials could not be loaded', { cause: safeCause(cause) });
    }
    this.#contextsBuilt++;
    return new Agent({
      connect: { secureContext, timeout: this.#settings.connectTimeoutMs },
      keepAliveTimeout: this.#settings.keepAliveTimeoutMs,
      headersTimeout: this.#settings.headersTimeoutMs,
      bodyTimeout: this.#settings.bodyTimeoutMs,
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new CertboundClientError('ERR_CLIENT_CLOSED', 'The client has been closed');
  }

  /** The agent for requests without a client certificate. */
  plain(): Agent {
    this.#assertOpen();
    this.#plain ??= this.#agent({});
    return this.#plain;
  }

  /** The agent presenting `certificate` as TLS client certificate. */
  forCertificate(certificate: BindingCertificate): Agent {
    this.#assertOpen();
    const existing = this.#byThumbprint.get(certificate.thumbprint);
    if (existing !== undefined) {
      this.#byThumbprint.delete(certificate.thumbprint);
      this.#byThumbprint.set(certificate.thumbprint, existing);
      return existing;
    }
    const material = tlsMaterialOf(certificate);
    if (material === undefined) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_WITHOUT_KEY', `Certificate ${certificate.thumbprint} has no private key loaded`);
    const tls =
      material.kind === 'pem'
        ? { cert: material.cert, key: material.key, ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }) }
        : { pfx: material.pfx, ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }) };
    const agent = this.#agent(tls);
    this.#byThumbprint.set(certificate.thumbprint, agent);
    while (this.#byThumbprint.size > this.#settings.maxAgents) {
      const [oldest, old] = this.#byThumbprint.entries().next().value as [string, Agent];
      this.#byThumbprint.delete(oldest);
      // close() lets requests already running on the old certificate finish.
      void old.close().catch(() => undefined);
    }
    return agent;
  }

  /** The agent for `certificate`, or the plain one for `null`. */
  dispatcherFor(certificate: BindingCertificate | null): Dispatcher {
    return certificate === null ? this.plain() : this.forCertificate(certificate);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const agents = [...this.#byThumbprint.values(), ...(this.#plain === undefined ? [] : [this.#plain])];
    this.#byThumbprint.clear();
    this.#plain = undefined;
    // Requests still running get the request deadline to finish; then their connections are destroyed (undici's
    // close() alone would wait for a connection attempt that never completes).
    await Promise.allSettled(
      agents.map(async (agent) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.#settings.requestTimeoutMs)));
        const outcome = await Promise.race([agent.close().then(() => 'closed' as const), late]);
        clearTimeout(timer);
        if (outcome === 'late') await agent.destroy();
      }),
    );
  }
}

/** A buffered HTTP response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** Requests made, retries included. */
  readonly attempts: number;
}

export interface HttpRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Connection-level failures worth another attempt; TLS verification failures are not (they will fail again). */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const nested = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof nested === 'string' ? nested : undefined;
}

/** @see RFC 9110 §10.2.3 — `Retry-After` is delay-seconds or an HTTP-date. Returns ms, or undefined if absent/invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/ GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before retry `attempt`: MSAL's first retry waits exactly the base delay; further ones double it. */
function backoff(attempt: number, settings: HttpSettings): number {
  return Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** (attempt - 1));
}

/** What `sendWithRetry` reports to the client's logger: never headers or bodies, which may carry secrets. */
export type HttpEvent =
  | { readonly type: 'request'; readonly method: string; readonly host: string; readonly path: string; readonly attempt: number }
  | { readonly type: 'response'; readonly host: string; readonly status: number; readonly attempt: number; readonly durationMs: number }
  | { readonly type: 'retry'; readonly host: string; readonly attempt: number; readonly delayMs: number; readonly reason: string };

/**
 * Whether an answer is retried. Default (MSAL.NET's HttpRetryConditions.Sts): a 5xx without `Retry-After` only; a
 * server that says when to come back is not hammered, and 429 is never retried. `retryOn429` restores waiting out a
 * `Retry-After` on 429 and 5xx.
 */
function retryDelay(status: number, retryAfter: number | undefined, attempt: number, settings: HttpSettings): number | undefined {
  if (status !== 429 && status < 500) return undefined;
  if (settings.retryOn429) {
    const delay = retryAfter ?? backoff(attempt, settings);
    return delay <= settings.retryMaxDelayMs ? delay : undefined;
  }
  return status >= 500 && status < 600 && retryAfter === undefined ? backoff(attempt, settings) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number, contentLength: string | string[] | undefined, url: URL): Promise<Buffer> {
  const tooLarge = () => new CertboundClientError('ERR_CLIENT_RESPONSE_INVALID', `The response from ${url.host} is larger than ${limit} bytes`);
  if (typeof contentLength === 'string' && Number(contentLength) > limit) {
    body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Send one request with bounded retries (see `retryDelay`); connection failures back off exponentially.
 *
 * `requestTimeoutMs` bounds the whole exchange, every attempt and wait included: undici's timeouts bound each phase
 * and the gap between body chunks, so a server trickling one byte at a time would otherwise never be cut off.
 */
export async function sendWithRetry(
  http: HttpRequest,
  dispatcher: Dispatcher,
  settings: HttpSettings,
  now: () => number,
  observe: (event: HttpEvent) => void = () => undefined,
): Promise<HttpResponse> {
  const deadline = performance.now() + settings.requestTimeoutMs;
  const controller = new AbortController();
  // undici does not give up a connection attempt on abort: the deadline settles the exchange itself, then aborts.
  let timeoutError: CertboundClientError | undefined;
  let expire: (error: Error) => void = () => undefined;
  const expired = new Promise<never>((_resolve, reject) => (expire = reject));
  expired.catch(() => undefined);
  const timer = setTimeout(() => {
    timeoutError = new CertboundClientError('ERR_CLIENT_TIMEOUT', `Request to ${http.url.host} did not complete within ${settings.requestTimeoutMs} ms`);
    expire(timeoutError);
    controller.abort();
  }, settings.requestTimeoutMs);
  // A wait that would end past the deadline is not started: the last answer (or failure) stands instead.
  const fitsBeforeDeadline = (delay: number) => performance.now() + delay < deadline;
  try {
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let headers: Record<string, string | string[] | undefined>;
      let body: Buffer;
      const sentAt = performance.now();
      observe({ type: 'request', method: http.method, host: http.url.host, path: http.url.pathname, attempt });
      try {
        const sent = request(http.url, {
          method: http.method,
          headers: http.headers,
          ...(http.body === undefined ? {} : { body: http.body }),
          dispatcher,
          signal: controller.signal,
        });
        const response = await Promise.race([sent, expired]);
        status = response.statusCode;
        headers = response.headers;
        body = await Promise.race([readCapped(response.body, settings.maxResponseBytes, headers['content-length'], http.url), expired]);
      } catch (cause) {
        if (timeoutError !== undefined) throw timeoutError;
        if (cause instanceof CertboundClientError) throw cause;
        const code = errorCode(cause);
        if (attempt < settings.maxAttempts && code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) {
          const delay = backoff(attempt, settings);
          if (fitsBeforeDeadline(delay)) {
            observe({ type: 'retry', host: http.url.host, attempt, delayMs: delay, reason: code });
            await sleep(delay);
            continue;
          }
        }
        throw new CertboundClientError('ERR_CLIENT_NETWORK', `Request to ${http.url.host} failed${code === undefined ? '' : ` (${code})`}`, { cause });
      }
      observe({ type: 'response', host: http.url.host, status, attempt, durationMs: Math.round(performance.now() - sentAt) });
      if (attempt < settings.maxAttempts) {
        const delay = retryDelay(status, parseRetryAfter(headers['retry-after'], now()), attempt, settings);
        if (delay !== undefined && fitsBeforeDeadline(delay)) {
          observe({ type: 'retry', host: http.url.host, attempt, delayMs: delay, reason: `HTTP ${status}` });
          await sleep(delay);
          continue;
        }
      }
      return { status, headers, body, attempts: attempt };
    }
  } finally {
    clearTimeout(timer);
  }
}
