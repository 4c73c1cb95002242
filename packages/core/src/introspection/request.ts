import { request, type Agent } from 'node:https';

/** One bounded HTTPS POST: what the introspection client needs from the network. */
export interface PostOptions {
  /** Deadline for the whole exchange (connect, headers and body), in milliseconds. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes: larger responses are aborted while streaming. */
  readonly maxResponseBytes: number;
  /** Carries the trust roots and, for tls_client_auth, the resource's own certificate. */
  readonly agent: Agent;
}

export interface PostResponse {
  readonly status: number;
  /** Media type without parameters, lower-case ('' when absent). */
  readonly mediaType: string;
  readonly body: Buffer;
}

/**
 * POST a form to `url` and collect the answer within the deadline and the size bound; rejects on any transport
 * problem. Redirects are not followed: the endpoint is configuration, not something the network may change.
 * @see docs/security.md rule 3 — outbound calls have a timeout and a maximum response size
 */
export function postForm(url: string, form: string, headers: Record<string, string>, options: PostOptions): Promise<PostResponse> {
  const { timeoutMs, maxResponseBytes, agent } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null, value?: PostResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === null) {
        resolve(value!);
      } else {
        outgoing.destroy();
        reject(error);
      }
    };
    const body = Buffer.from(form, 'utf8');
    const outgoing = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } },
      (response) => {
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          settle(new Error(`introspection response declares ${declared} bytes, more than ${maxResponseBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) settle(new Error(`introspection response exceeds ${maxResponseBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', (error) => settle(error));
        response.on('aborted', () => settle(new Error('introspection response aborted')));
        response.on('end', () => {
          const type = response.headers['content-type'] ?? '';
          settle(null, { status: response.statusCode ?? 0, mediaType: type.split(';')[0]!.trim().toLowerCase(), body: Buffer.concat(chunks) });
        });
      },
    );
    outgoing.on('error', (error) => settle(error));
    const timer = setTimeout(() => settle(new Error(`introspection timed out after ${timeoutMs} ms`)), timeoutMs);
    outgoing.end(body);
  });
}
