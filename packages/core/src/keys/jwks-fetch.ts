import { get, type Agent } from 'node:https';

export interface JwksFetchOptions {
  /** Deadline for the whole exchange (connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes: larger responses are aborted while streaming. */
  maxResponseBytes: number;
  /** The agent carrying the trust roots (custom CA) and keep-alive sockets. */
  agent: Agent;
}

export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

/**
 * A fetcher for jwks-rsa's `fetcher` option: one bounded HTTPS GET. Only `200` with a JSON object holding a `keys`
 * array is a success; redirects are not followed (a JWKS location is configuration, not something the network
 * may change). TLS server verification is always on.
 * @see docs/security.md rule 3 — timeout and maximum response size
 */
export function createJwksFetcher(options: JwksFetchOptions): (uri: string) => Promise<{ keys: unknown[] }> {
  const { timeoutMs, maxResponseBytes, agent } = options;
  return (uri: string) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null, value?: { keys: unknown[] }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error !== null) {
          request.destroy();
          reject(error);
        } else {
          resolve(value!);
        }
      };
      const request = get(uri, { agent, headers: { accept: 'application/jwk-set+json, application/json' } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          settle(new JwksFetchError(`JWKS endpoint answered HTTP ${response.statusCode ?? 0}`));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          settle(new JwksFetchError(`JWKS response declares ${declared} bytes, more than ${maxResponseBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            settle(new JwksFetchError(`JWKS response exceeds ${maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => settle(error));
        response.on('aborted', () => settle(new JwksFetchError('JWKS response aborted')));
        response.on('end', () => {
          if (settled) return;
          let body: unknown;
          try {
            body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
          } catch {
            settle(new JwksFetchError('JWKS response is not JSON'));
            return;
          }
          const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { keys?: unknown }).keys : undefined;
          if (!Array.isArray(keys)) {
            settle(new JwksFetchError('JWKS response has no "keys" array'));
            return;
          }
          settle(null, { keys });
        });
      });
      request.on('error', (error) => settle(error));
      // settle() reads `timer` and `request` only from callbacks, which run after both are initialised.
      const timer = setTimeout(() => settle(new JwksFetchError(`JWKS request timed out after ${timeoutMs} ms`)), timeoutMs);
    });
}
