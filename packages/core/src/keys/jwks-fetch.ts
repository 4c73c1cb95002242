import { get, type Agent } from 'node:https';
import type { CoreTelemetry } from '../telemetry/telemetry.js';

export interface JwksFetchOptions {
  /** Deadline for the whole exchange (connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes: larger responses are aborted while streaming. */
  maxResponseBytes: number;
  /** The agent carrying the trust roots (custom CA) and keep-alive sockets. */
  agent: Agent;
  /** The verifier's OpenTelemetry: one HTTP client span per fetch. */
  telemetry?: CoreTelemetry | null | undefined;
}

/** Why a JWKS refresh failed, as events and the verifier's state report it. */
export type JwksFailureCause = 'dns' | 'connect' | 'tls' | 'timeout' | 'http' | 'json' | 'size' | 'keys' | 'closed' | 'pending' | 'other';

/** A failed JWKS refresh: the kind of failure and a one-line detail (no response body, no credentials). */
export interface JwksFailure {
  readonly cause: JwksFailureCause;
  /** e.g. `HTTP 404`, `ENOTFOUND keys.example.invalid`, OpenSSL's reason for a TLS failure. */
  readonly detail: string;
  /** The HTTP status, for cause `http`. */
  readonly status?: number;
}

export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
  constructor(
    message: string,
    readonly failure: JwksFailure,
  ) {
    super(message);
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL']);
// Node reports certificate verification failures with OpenSSL's X509 verify codes, handshake failures as ERR_SSL_*.
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

/** Map whatever a JWKS fetch threw onto a {@link JwksFailure}. */
export function jwksFailureOf(error: unknown): JwksFailure {
  if (error instanceof JwksFetchError) return error.failure;
  const { code, reason, message, hostname } = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = typeof message === 'string' ? message : String(error);
  if (typeof code === 'string') {
    if (DNS_CODES.has(code)) return { cause: 'dns', detail: `${code} ${typeof hostname === 'string' ? hostname : text}` };
    if (CONNECT_CODES.has(code)) return { cause: 'connect', detail: text };
    // OpenSSL's reason: `reason` for handshake errors, the message for certificate verification errors.
    if (TLS_CODE.test(code)) return { cause: 'tls', detail: `${code}: ${typeof reason === 'string' ? reason : text}` };
  }
  return { cause: 'other', detail: text };
}

/** The span's `error.type`: the HTTP status for an error status (as the semantic conventions say), else the cause. */
function errorTypeOf(status: number, error: Error): string {
  return status >= 400 ? String(status) : jwksFailureOf(error).cause;
}

function sizeError(detail: string): JwksFetchError {
  return new JwksFetchError(`JWKS response ${detail}`, { cause: 'size', detail });
}

/**
 * A fetcher for jwks-rsa's `fetcher` option: one bounded HTTPS GET. Only `200` with a JSON object holding a `keys`
 * array is a success; redirects are not followed (a JWKS location is configuration, not something the network
 * may change). TLS server verification is always on.
 * @see docs/security.md rule 3 — timeout and maximum response size
 */
export function createJwksFetcher(options: JwksFetchOptions): (uri: string) => Promise<{ keys: unknown[] }> {
  const { timeoutMs, maxResponseBytes, agent, telemetry } = options;
  return (uri: string) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const span = telemetry?.httpSpan('GET', uri) ?? null;
      let status = 0;
      const settle = (error: Error | null, value?: { keys: unknown[] }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        span?.end(status, error === null ? undefined : errorTypeOf(status, error));
        if (error !== null) {
          request.destroy();
          reject(error);
        } else {
          resolve(value!);
        }
      };
      const request = get(uri, { agent, headers: { accept: 'application/jwk-set+json, application/json' } }, (response) => {
        status = response.statusCode ?? 0;
        if (response.statusCode !== 200) {
          response.resume();
          const status = response.statusCode ?? 0;
          settle(new JwksFetchError(`JWKS endpoint answered HTTP ${status}`, { cause: 'http', detail: `HTTP ${status}`, status }));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          settle(sizeError(`declares ${declared} bytes, more than ${maxResponseBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            settle(sizeError(`exceeds ${maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => settle(error));
        response.on('aborted', () => settle(new JwksFetchError('JWKS response aborted', { cause: 'connect', detail: 'response aborted' })));
        response.on('end', () => {
          if (settled) return;
          let body: unknown;
          try {
            body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
          } catch {
            settle(new JwksFetchError('JWKS response is not JSON', { cause: 'json', detail: 'not JSON' }));
            return;
          }
          const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { keys?: unknown }).keys : undefined;
          if (!Array.isArray(keys)) {
            settle(new JwksFetchError('JWKS response has no "keys" array', { cause: 'json', detail: 'no "keys" array' }));
            return;
          }
          settle(null, { keys });
        });
      });
      request.on('error', (error) => settle(error));
      // settle() reads `timer` and `request` only from callbacks, which run after both are initialised.
      const timer = setTimeout(() => settle(new JwksFetchError(`JWKS request timed out after ${timeoutMs} ms`, { cause: 'timeout', detail: `no answer within ${timeoutMs} ms` })), timeoutMs);
    });
}
